"""Secrets never reach a config error, check-config's output or `raymuc room`; the
service's data_dir is created for its owner only."""
from __future__ import annotations

import io
import os
import stat

import pytest
import tomlkit

from actors.core.roomconfig import RoomConfig
from raymuc.config import ConfigError, parse_config
from raymuc.config.check import check_config_main
from raymuc.service import ensure_data_dir

GENERAL = '[general]\nhosts = ["localhost"]\n'
BASE = GENERAL + '[component]\npassword = "secret"\n'
POOL = '[outgoing_pools.http.auth]\nconnection.host = '


def refused(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as e:
        parse_config(text, source="test.toml")
    return e.value


@pytest.mark.parametrize("text, secret", [
    (GENERAL + "[component]\npassword = 123456789\n", "123456789"),
    (GENERAL + '[component]\npassword = ["hunter2"]\n', "hunter2"),
    (GENERAL + '[component]\npassword = {value = "hunter2"}\n', "hunter2"),
    (BASE + "[modules.mod_muc.default_room]\npassword = 424242\n", "424242"),
    (BASE + '[storage]\nmongo_uri = "mysql://raymuc:s3cr3t@db/raymuc"\n', "s3cr3t"),
    (BASE + '[storage]\nmongo_uri = "raymuc:s3cr3t@db/raymuc"\n', "s3cr3t"),
    (BASE + '[storage]\nmongo_uri = ["mongodb://raymuc:s3cr3t@db/raymuc"]\n', "s3cr3t"),
    (BASE + '[storage]\nmongo_uri = "postgres://db/x?password=s3cr3t"\n', "s3cr3t"),
    (BASE + POOL + '"ftp://u:s3cr3t@auth.example"\n', "s3cr3t"),
    (BASE + POOL + '"https://u:s3cr3t@auth.example:0"\n', "s3cr3t"),
    (BASE + '[outgoing_pools.http.auth]\nconnection = ["https://u:s3cr3t@auth.example"]\n',
     "s3cr3t"),
])
def test_config_errors_never_echo_a_secret(text, secret):
    e = refused(text)
    assert secret not in str(e) and secret not in repr(e.value)
    assert "********" in str(e)


def test_a_non_secret_bad_value_is_still_shown():
    e = refused(BASE + '[storage]\nmongo_uri = "mysql://db/raymuc"\n')
    assert str(e) == ('test.toml: storage.mongo_uri = "mysql://db/raymuc": expected '
                      f"{e.allowed}")


@pytest.mark.parametrize("uri, shown", [
    ("mongodb://db/raymuc?password=s3cr3t&replicaSet=rs0",
     "mongodb://db/raymuc?password=********&replicaSet=rs0"),
    ("mongodb://db/raymuc?authSource=admin&authMechanism=MONGODB-AWS"
     "&authMechanismProperties=AWS_SESSION_TOKEN:s3cr3t",
     "mongodb://db/raymuc?authSource=admin&authMechanism=MONGODB-AWS"
     "&authMechanismProperties=********"),
    ("mongodb://db/raymuc?tlsCertificateKeyFilePassword=s3cr3t;token=s3cr3t",
     "mongodb://db/raymuc?tlsCertificateKeyFilePassword=********;token=********"),
    ("mongodb://raymuc:p@ss/w0rd:s3cr3t@db1,db2/raymuc", "mongodb://raymuc:********@db1,db2/raymuc"),
    ("mongodb+srv://s3cr3t@cluster.example/raymuc", "mongodb+srv://********@cluster.example/raymuc"),
])
def test_check_config_masks_uri_userinfo_and_query_secrets(tmp_path, uri, shown):
    path = tmp_path / "raymuc.toml"
    path.write_text(BASE + f'[storage]\nmongo_uri = "{uri}"\n')
    out, err = io.StringIO(), io.StringIO()
    assert check_config_main(path, out, err) == 0, err.getvalue()
    assert "s3cr3t" not in out.getvalue()
    assert tomlkit.parse(out.getvalue()).unwrap()["storage"]["mongo_uri"] == shown


def test_check_config_masks_a_token_in_the_http_pool_path(tmp_path):
    path = tmp_path / "raymuc.toml"
    path.write_text(BASE + POOL + '"https://auth.example"\n'
                    'connection.path_prefix = "/check?token=s3cr3t&v=1"\n')
    out, err = io.StringIO(), io.StringIO()
    assert check_config_main(path, out, err) == 0, err.getvalue()
    assert "s3cr3t" not in out.getvalue() and "token=********" in out.getvalue()


def test_the_room_state_admin_tools_print_masks_the_room_password():
    config = RoomConfig({"password_protected": True, "password": "cauldronburn", "title": "T"})
    shown = config.shown()
    assert shown["password"] == "********" and shown["title"] == "T"
    assert "cauldronburn" not in repr(shown)
    assert RoomConfig().shown()["password"] == ""          # no password: nothing to hide


def test_data_dir_is_created_for_the_owner_only(tmp_path):
    old = os.umask(0o002)
    try:
        ensure_data_dir(tmp_path / "state" / "raymuc")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "state" / "raymuc").stat().st_mode) == 0o700
    existing = tmp_path / "mine"
    existing.mkdir(mode=0o750)
    existing.chmod(0o750)
    ensure_data_dir(existing)           # the owner's choice for an existing one is kept
    assert stat.S_IMODE(existing.stat().st_mode) == 0o750
