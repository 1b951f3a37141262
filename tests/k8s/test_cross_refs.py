"""Names the manifests share must agree: ConfigMaps, Secrets and keys the pods use, the
config file and where it is mounted, the Ray address and token, the metrics ports."""
from __future__ import annotations

import shlex
import tomllib

import pytest
from packaging.requirements import Requirement

from raymuc.config import parse_config
from tests.k8s import manifests
from tests.k8s.manifests import REPO

MARKERS = {"@COMPONENT_PASSWORD@": "component-password", "@MONGO_URI@": "mongo-uri"}


def substituted_config():
    """The TOML as render-config writes it, from the Secret template's placeholder values."""
    text = manifests.config_template()
    for marker, key in MARKERS.items():
        assert marker in text, f"the config template has no {marker}"
        text = text.replace(marker, manifests.secret_values()[key])
    return parse_config(text, "k8s/raymuc-driver.yaml ConfigMap raymuc-config")


def refs(pod_spec: dict) -> list[tuple[str, str, str | None]]:
    """(kind, name, key or None) for every ConfigMap and Secret a pod reads."""
    found = []
    for volume in pod_spec.get("volumes", []):
        if "configMap" in volume:
            found += [("ConfigMap", volume["configMap"]["name"], i["key"]) for i in volume["configMap"].get("items", [])]
            found.append(("ConfigMap", volume["configMap"]["name"], None))
        if "secret" in volume:
            found.append(("Secret", volume["secret"]["secretName"], None))
    for c in manifests.containers(pod_spec):
        for env in c.get("env", []):
            source = env.get("valueFrom", {})
            for field, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                if field in source:
                    found.append((kind, source[field]["name"], source[field]["key"]))
        for env_from in c.get("envFrom", []):
            for field, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                if field in env_from:
                    found.append((kind, env_from[field]["name"], None))
    return found


def keys_of(kind: str, name: str) -> set[str] | None:
    docs = [d for d in manifests.objects(kind) if d["metadata"]["name"] == name]
    if not docs:
        return None
    return set(docs[0].get("data", {})) | set(docs[0].get("stringData", {}))


@pytest.mark.parametrize("where,pod_spec", manifests.pod_params())
def test_every_configmap_and_secret_a_pod_reads_exists(where, pod_spec):
    token_secret = manifests.ray_token_secret_name(manifests.raycluster())
    for kind, name, key in refs(pod_spec):
        if kind == "Secret" and name == token_secret:
            assert key in (None, "auth_token"), f"{where}: KubeRay's token Secret has only auth_token"
            continue
        keys = keys_of(kind, name)
        assert keys is not None, f"{where} reads {kind} {name}, which no manifest defines"
        assert key is None or key in keys, f"{where} reads key {key} of {kind} {name}, which has {sorted(keys)}"


@pytest.mark.parametrize("where,pod_spec", manifests.pod_params())
def test_every_volume_mount_names_a_volume(where, pod_spec):
    volumes = {v["name"] for v in pod_spec.get("volumes", [])}
    for c in manifests.containers(pod_spec):
        for mount in c.get("volumeMounts", []):
            assert mount["name"] in volumes, f"{where}/{c['name']} mounts unknown volume {mount['name']}"


def test_the_config_template_passes_the_config_loader():
    config = substituted_config()
    assert config.storage.mongo_uri.startswith(("mongodb://", "mongodb+srv://"))
    assert config.component.password == manifests.secret_values()["component-password"]


def test_the_ray_address_is_the_head_service_gcs_port():
    cluster = manifests.raycluster()
    expected = f"{cluster['metadata']['name']}-head-svc:6379"
    assert substituted_config().ray.address == expected
    driver = manifests.container(manifests.deployment()["spec"]["template"]["spec"], "raymuc")
    assert manifests.env_value(driver, "RAY_HEAD_ADDRESS")["value"] == expected
    head_ports = cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["ports"]
    assert {"containerPort": 6379, "name": "gcs-server"} in head_ports


def test_the_driver_authenticates_with_the_clusters_token():
    cluster = manifests.raycluster()
    assert cluster["spec"]["authOptions"]["mode"] == "token"
    driver = manifests.container(manifests.deployment()["spec"]["template"]["spec"], "raymuc")
    assert manifests.env_value(driver, "RAY_AUTH_MODE")["value"] == "token"
    token = manifests.env_value(driver, "RAY_AUTH_TOKEN")["valueFrom"]["secretKeyRef"]
    assert token == {"name": manifests.ray_token_secret_name(cluster), "key": "auth_token"}


def test_the_rendered_config_is_where_raymuc_run_reads_it():
    pod = manifests.deployment()["spec"]["template"]["spec"]
    render, driver = manifests.container(pod, "render-config"), manifests.container(pod, "raymuc")
    mounts = {c["name"]: {m["name"]: m["mountPath"] for m in c["volumeMounts"]} for c in (render, driver)}
    template_path = manifests.env_value(render, "RAYMUC_TEMPLATE")["value"]
    config_path = manifests.env_value(render, "RAYMUC_CONFIG")["value"]
    assert template_path == f"{mounts['render-config']['config-template']}/raymuc.toml"
    assert config_path == f"{mounts['render-config']['config']}/raymuc.toml"
    assert mounts["raymuc"]["config"] == mounts["render-config"]["config"]
    run = shlex.split(driver["args"][0].splitlines()[-1])
    assert run == ["exec", "raymuc", "run", "--config", config_path]
    assert str(substituted_config().storage.data_dir) == mounts["raymuc"]["data"]


def test_the_rendered_config_never_touches_disk():
    volumes = {v["name"]: v for v in manifests.deployment()["spec"]["template"]["spec"]["volumes"]}
    assert volumes["config"]["emptyDir"]["medium"] == "Memory"


def test_the_metrics_service_reaches_the_supervisor_on_the_head():
    cluster = manifests.raycluster()
    service = manifests.one("Service", "raymuc-metrics")
    assert service["spec"]["selector"] == {"ray.io/cluster": cluster["metadata"]["name"], "ray.io/node-type": "head"}
    head = cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]
    named = {p["name"]: p["containerPort"] for p in head["ports"]}
    for port in service["spec"]["ports"]:
        assert named.get(port["targetPort"]) == port["port"], port
    prometheus = substituted_config().instrumentation.prometheus
    assert prometheus.host == "0.0.0.0", "the supervisor must listen beyond the pod's loopback"
    assert named["raymuc-metrics"] == prometheus.port
    assert float(cluster["spec"]["headGroupSpec"]["resources"]["raymuc_head"]) >= 1


def test_ray_version_is_the_one_pyproject_pins():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    ray = [Requirement(d) for d in pyproject["project"]["dependencies"] if Requirement(d).name == "ray"]
    assert len(ray) == 1
    version = manifests.raycluster()["spec"]["rayVersion"]
    assert ray[0].specifier.contains(version), f"rayVersion {version} vs pyproject's ray{ray[0].specifier}"


def test_every_pod_runs_the_same_image_tagged_with_the_project_version():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    images = {c["image"] for _, pod in manifests.pod_templates() for c in manifests.containers(pod)}
    assert images == {f"ghcr.io/raymuc/raymuc:{pyproject['project']['version']}"}


def test_one_driver_at_a_time():
    spec = manifests.deployment()["spec"]
    assert spec["replicas"] == 1 and spec["strategy"] == {"type": "Recreate"}
    labels = spec["template"]["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in spec["selector"]["matchLabels"].items())
