"""The driver's render-config init container, run for real: its bash script from the
Deployment, the ConfigMap's template, secrets in its environment, `raymuc check-config`
from this venv."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from raymuc.config import load_config
from tests.k8s import manifests

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="bash is not installed")

# Characters a real URI or password carries that a naive sed/bash substitution mangles.
PASSWORD = "p&w|rd/$HOME 'x' @COMPONENT_PASSWORD@ ~!#%^*()"
MONGO_URI = "mongodb://raymuc:p%40ss&w%2Fd@mongo-0.mongo:27017,mongo-1.mongo:27017/raymuc?replicaSet=rs0&authSource=admin"


def render(tmp_path: Path, template: str | None = None, **secrets: str | None) -> subprocess.CompletedProcess:
    init = manifests.container(manifests.deployment()["spec"]["template"]["spec"], "render-config")
    (tmp_path / "template.toml").write_text(manifests.config_template() if template is None else template)
    env = {key: value for key, value in os.environ.items() if not key.startswith("RAYMUC_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"   # raymuc
    env["RAYMUC_TEMPLATE"] = str(tmp_path / "template.toml")
    env["RAYMUC_CONFIG"] = str(tmp_path / "raymuc.toml")
    values = {"RAYMUC_COMPONENT_PASSWORD": PASSWORD, "RAYMUC_MONGO_URI": MONGO_URI}
    values.update(secrets)
    env.update({key: value for key, value in values.items() if value is not None})
    assert init["command"] == ["/bin/bash", "-c"] and len(init["args"]) == 1
    return subprocess.run([BASH, "-c", init["args"][0]], env=env, capture_output=True, text=True, timeout=120)


def test_the_deployment_feeds_the_script_from_the_secret():
    init = manifests.container(manifests.deployment()["spec"]["template"]["spec"], "render-config")
    for name, key in (("RAYMUC_COMPONENT_PASSWORD", "component-password"), ("RAYMUC_MONGO_URI", "mongo-uri")):
        ref = manifests.env_value(init, name)["valueFrom"]["secretKeyRef"]
        assert ref == {"name": "raymuc-secrets", "key": key}


def test_secrets_arrive_in_the_config_exactly(tmp_path):
    result = render(tmp_path)
    assert result.returncode == 0, result.stderr
    config = load_config(tmp_path / "raymuc.toml")
    assert config.component.password == PASSWORD
    assert config.storage.mongo_uri == MONGO_URI
    assert stat.S_IMODE((tmp_path / "raymuc.toml").stat().st_mode) == 0o600


def test_the_log_shows_the_effective_config_with_secrets_masked(tmp_path):
    result = render(tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'address = "raymuc-head-svc:6379"' in result.stdout
    assert "p%40ss" not in result.stdout and "p&w|rd" not in result.stdout
    assert 'password = "********"' in result.stdout


def test_the_secret_templates_placeholders_are_refused(tmp_path):
    placeholders = manifests.secret_values()
    result = render(tmp_path, RAYMUC_COMPONENT_PASSWORD=placeholders["component-password"],
                    RAYMUC_MONGO_URI=placeholders["mongo-uri"])
    assert result.returncode == 2
    assert "RAYMUC_COMPONENT_PASSWORD still holds a REPLACE_ME placeholder" in result.stderr
    assert not (tmp_path / "raymuc.toml").exists()


def test_a_placeholder_left_in_the_uri_alone_is_refused(tmp_path):
    result = render(tmp_path, RAYMUC_MONGO_URI=manifests.secret_values()["mongo-uri"])
    assert result.returncode == 2 and "RAYMUC_MONGO_URI still holds a REPLACE_ME" in result.stderr


@pytest.mark.parametrize("value", ['pa"ss', "pa\\ss", "pa\nss", "pa\tss"], ids=["quote", "backslash", "newline", "tab"])
def test_values_that_would_break_a_toml_string_are_refused(tmp_path, value):
    result = render(tmp_path, RAYMUC_COMPONENT_PASSWORD=value)
    assert result.returncode == 2
    assert "must not contain a double quote, a backslash or control characters" in result.stderr
    assert not (tmp_path / "raymuc.toml").exists()


@pytest.mark.parametrize("value", ["", None], ids=["empty", "unset"])
def test_a_missing_secret_is_refused(tmp_path, value):
    result = render(tmp_path, RAYMUC_MONGO_URI=value)
    assert result.returncode == 2 and "RAYMUC_MONGO_URI is empty" in result.stderr


def test_a_template_without_a_marker_is_refused(tmp_path):
    template = manifests.config_template().replace('"@MONGO_URI@"', '"mongodb://fixed/raymuc"')
    result = render(tmp_path, template=template)
    assert result.returncode == 2 and "has no @MONGO_URI@" in result.stderr


def test_a_config_error_stops_the_pod_with_the_key(tmp_path):
    template = manifests.config_template().replace("port = 5347", "port = 70000")
    result = render(tmp_path, template=template)
    assert result.returncode == 2
    assert "component.port = 70000" in result.stderr
