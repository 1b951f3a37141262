"""`raymuc import-config`: RayMUC configs from MongooseIM ones (tests/config/mongooseim/: one
shaped like MongooseIM's shipped default, one built the way its documentation builds a group
chat service; and every mod_muc option of the spec set at once)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import tomlkit

from raymuc.config import parse_config
from raymuc.config.import_mim import import_mongooseim
from tests.config.spec_examples import SPEC, spec_examples

HERE = Path(__file__).resolve().parent / "mongooseim"


def imported(name: str):
    return import_mongooseim((HERE / name).read_text(), name)


def left(result) -> dict[str, str]:
    return dict(result.left_out)


def test_shipped_default_imports_and_loads():
    result = imported("shipped_default.toml")
    assert result.problems == []
    config = parse_config(result.text)
    assert config.general.hosts == ("localhost",)
    assert (config.component.host, config.component.port, config.component.password) == \
        ("127.0.0.1", 8888, "secret")             # its [[listen.service]]
    assert config.muc.host == "conference.@HOST@"  # no mod_muc there: its defaults
    gone = left(result)
    source = tomlkit.parse((HERE / "shipped_default.toml").read_text()).unwrap()
    for top in ("auth", "s2s", "services", "internal_databases"):
        assert top in gone
    for kind in ("http", "c2s", "s2s"):
        assert f"listen.{kind}" in gone
    for module in source["modules"]:
        assert f"modules.{module}" in gone
    for key in set(source["general"]) - {"hosts", "loglevel"}:
        assert f"general.{key}" in gone
    for rule in source["access"]:                  # mod_muc is off: every rule is unused
        assert gone[f"access.{rule}"] == "not used by mod_muc or mod_muc_log"
    assert "# Left out of the MongooseIM config:" in result.text


def test_documented_muc_service_keeps_its_behaviour():
    result = imported("muc_enabled.toml")
    assert result.problems == []
    config = parse_config(result.text)
    muc = config.muc
    assert (muc.host, muc.access, muc.access_create, muc.access_admin, muc.room_shaper,
            muc.http_auth_pool) == ("muc.@HOST@", "muc", "muc_create", "muc_admin", "muc_room",
                                    "muc_auth")
    assert muc.default_room.config["password_protected"] is True
    assert config.general.hosts == ("example.com", "example.org")
    assert config.general.loglevel == "info"        # MongooseIM's "notice"
    assert config.component.port == 8888 and config.component.password == "component-secret"
    assert config.shapers["muc_room"].max_rate == 20000 and "fast" not in config.shapers
    pool = config.http_pools["muc_auth"]
    assert (pool.strategy, pool.workers, pool.connection.host, pool.connection.path_prefix) == \
        ("available_worker", 4, "https://auth.example.com:8443", "/xmpp/")
    assert config.muc_log is not None and config.muc_log.top_link == ("https://example.com/", "Example")
    rules = config.access_rules()
    for jid, rule, allowed in [
        ("alice@example.com", "muc_admin", True), ("alice@example.org", "muc_admin", False),
        ("ops-7@example.com", "muc_admin", True), ("ops-7@example.org", "muc_admin", False),
        ("bob@example.com", "muc_admin", False),
        ("eve@spam.example", "muc", False), ("bob@example.net", "muc", True),
        ("bob@example.com", "muc_create", True), ("bob@example.net", "muc_create", False),
        ("alice@example.com", "muc_log_admins", True), ("bob@example.com", "muc_log_admins", False),
    ]:
        assert rules.allows(rule, jid, "example.com") is allowed, (jid, rule)
    gone = left(result)
    assert "never matches" in gone["access.muc_log_admins[1]"]    # undefined class: dropped
    assert set(gone) >= {"modules.mod_mam", "access.c2s", "shaper.fast", "outgoing_pools.rdbms",
                         "outgoing_pools.http.muc_auth.scope", "general.host_types",
                         "listen.service[1]", "instrumentation.exometer"}
    assert config.instrumentation.prometheus is not None


@pytest.mark.skipif(not SPEC.is_file(), reason="spec file not found")
def test_every_mod_muc_option_set_comes_over_as_it_was():
    lines: dict[str, list[str]] = {}
    for example in spec_examples(SPEC.read_text(encoding="utf-8")):
        if example.table is not None:
            lines.setdefault(example.table, []).append(example.text)
    mim = ('[general]\nhosts = ["localhost"]\n[[listen.service]]\nport = 8888\npassword = "s"\n'
           + "".join(f"[{t}]\n" + "\n".join(ls) + "\n" for t, ls in lines.items())
           + '[outgoing_pools.http.external_auth]\nconnection.host = "http://127.0.0.1:8000"\n'
           '[shaper.muc_room_shaper]\nmax_rate = 100\n[modules.mod_muc_log]\n'
           '[acl]\nlocal = [{}]\nadmin = [{user = "root"}]\n[access]\n'
           'muc = [{acl = "all", value = "allow"}]\nmuc_create = [{acl = "local", value = "allow"}]\n'
           'muc_admin = [{acl = "admin", value = "allow"}]\n')
    result = import_mongooseim(mim)
    assert result.problems == []
    assert not [k for k in left(result) if k.startswith("modules.mod_muc")]
    source = tomlkit.parse(mim).unwrap()["modules"]["mod_muc"]
    ours = tomlkit.parse(result.text).unwrap()["modules"]["mod_muc"]
    assert ours == source
    effective = parse_config(result.text).to_toml_dict(hide_secrets=False)["modules"]["mod_muc"]
    for key, value in source.items():
        if key != "default_room":
            assert effective[key] == value, key
    for key, value in source["default_room"].items():
        assert effective["default_room"][key] == value, key


def test_without_a_component_listener_the_operator_is_told_what_to_fill_in():
    result = import_mongooseim('[general]\nhosts = ["localhost"]\n[modules.mod_muc]\n')
    assert len(result.problems) == 1 and "component.password" in result.problems[0]
    assert "has no [[listen.service]]" in result.text


def test_an_access_class_that_cannot_come_whole_takes_its_rule_with_it():
    # a pattern losing a condition would match more people: the rule is left out instead,
    # and the loader then refuses the mod_muc option naming it
    result = import_mongooseim('[general]\nhosts = ["localhost"]\n[[listen.service]]\n'
                               'password = "s"\n[modules.mod_muc]\naccess_create = "makers"\n'
                               '[acl]\nmakers = [{user = "a", shoe_size = 42}]\n'
                               '[access]\nmakers = [{acl = "makers", value = "allow"}]\n')
    gone = left(result)
    assert "acl.makers[0].shoe_size" in gone and "access.makers" in gone
    assert "modules.mod_muc.access_create" in result.problems[0]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "raymuc.cli", *args], capture_output=True,
                          text=True, timeout=60)


def test_cli_writes_the_config_and_reports_on_stderr(tmp_path):
    out = tmp_path / "raymuc.toml"
    done = run_cli("import-config", str(HERE / "muc_enabled.toml"), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "left out: modules.mod_mam: " in done.stderr and done.stdout == ""
    checked = run_cli("check-config", str(out))
    assert checked.returncode == 0, checked.stderr


def test_cli_refuses_what_it_cannot_read(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[general\nhosts = []")
    done = run_cli("import-config", str(bad))
    assert done.returncode == 2 and "invalid TOML" in done.stderr
    done = run_cli("import-config", str(tmp_path / "missing.toml"))
    assert done.returncode == 2 and "cannot read" in done.stderr
    (tmp_path / "no-listener.toml").write_text('[general]\nhosts = ["localhost"]\n')
    done = run_cli("import-config", str(tmp_path / "no-listener.toml"))
    assert done.returncode == 1 and "to fix before it runs: " in done.stderr


@pytest.mark.skipif(not SPEC.is_file(), reason="spec file not found")
@pytest.mark.parametrize("heading", ["Example Configuration", "External HTTP Authentication",
                                     "default_room", "default_room.affiliations"])
def test_the_spec_examples_as_mongooseim_configs(heading):
    # each of the spec's config blocks in a MongooseIM file with a component listener
    blocks = [e for e in spec_examples(SPEC.read_text(encoding="utf-8"))
              if e.table is None and e.name == f"{heading} (block)"]
    assert blocks
    for block in blocks:
        mim = ('[general]\nhosts = ["localhost"]\n[[listen.service]]\nport = 8888\n'
               'password = "s"\n' + block.toml())
        result = import_mongooseim(mim)
        assert result.problems == [], result.problems
        source = tomlkit.parse(mim).unwrap()
        ours = tomlkit.parse(result.text).unwrap()
        if "mod_muc" in source.get("modules", {}):
            assert ours["modules"]["mod_muc"] == source["modules"]["mod_muc"]
        for name, pool in source.get("outgoing_pools", {}).get("http", {}).items():
            if name == source.get("modules", {}).get("mod_muc", {}).get("http_auth_pool"):
                assert ours["outgoing_pools"]["http"][name] == pool
