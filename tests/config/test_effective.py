"""The built model: @HOST@ expansion, paths, the effective config printed by
check-config (secrets hidden), the example file and the generated reference."""
from __future__ import annotations

import io
import pickle
from pathlib import Path

import pytest
import tomlkit

from raymuc.config import Config, parse_config, reference_markdown, schema
from raymuc.config.check import check_config_main, effective_toml
from raymuc.config.load import load_config

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "raymuc.toml"
BASE = '[general]\nhosts = ["localhost"]\n[component]\npassword = "secret"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "raymuc.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_host_expands_for_each_served_host():
    c = parse_config('[general]\nhosts = ["localhost", "Example.COM"]\n[component]\npassword = "x"\n'
                     '[modules.mod_muc]\nhost = "muc.@HOST@"')
    assert c.general.hosts == ("localhost", "example.com")
    assert c.muc.host == "muc.@HOST@"
    assert c.muc_domains() == ("muc.localhost", "muc.example.com")
    assert c.server_host_of("MUC.example.com") == "example.com"
    with pytest.raises(KeyError):
        c.server_host_of("conference.localhost")


def test_default_host_and_fixed_domain():
    assert parse_config(BASE).muc_domains() == ("conference.localhost",)
    c = parse_config('[general]\nhosts = ["a.org", "b.org"]\n[component]\npassword = "x"\n'
                     '[modules.mod_muc]\nhost = "chat.example.net"')
    assert c.muc_domains() == ("chat.example.net",)        # no @HOST@: one service


def test_defaults_fill_the_model():
    c = parse_config(BASE)
    assert c.muc.max_room_id is None and c.muc.hibernate_timeout == 90000
    assert c.muc.default_room.config["max_users"] == 200
    assert c.muc.default_room.config["maygetmemberlist"] == ()
    assert (c.muc.default_room.subject, c.muc.default_room.subject_author) == ("", "")
    assert c.muc_log is None and c.instrumentation.prometheus is None
    assert c.storage.embedded and c.ray.address == "local" and c.component.port == 5347
    names = {o.name for o in schema.section("modules.mod_muc").options}
    assert names | {"default_room"} == set(c.muc.__dataclass_fields__)


def test_default_room_values_and_affiliations():
    c = parse_config(BASE + '[modules.mod_muc]\ndefault_room.password_protected = true\n'
                     'default_room.maygetmemberlist = ["moderator"]\n'
                     'default_room.subject = "Lambda days"\ndefault_room.subject_author = "Alice"\n'
                     '[[modules.mod_muc.default_room.affiliations]]\nuser = "Alice"\nserver = "LocalHost"\n'
                     'resource = "res1"\naffiliation = "member"\n'
                     '[[modules.mod_muc.default_room.affiliations]]\nuser = "bob"\nserver = "localhost"\n'
                     'affiliation = "owner"\n')
    room = c.muc.default_room
    assert room.config["password_protected"] is True
    assert room.config["maygetmemberlist"] == ("moderator",)
    assert room.affiliations == (("alice@localhost", "res1", "member"), ("bob@localhost", "", "owner"))
    assert (room.subject, room.subject_author) == ("Lambda days", "Alice")
    assert "subject" not in room.config and "affiliations" not in room.config


def test_relative_paths(tmp_path):
    path = write(tmp_path, BASE + '[storage]\ndata_dir = "state"\n'
                 '[modules.mod_muc_log]\naccess_log = "all"\n')
    c = load_config(path)
    assert c.storage.data_dir == tmp_path.resolve() / "state"
    assert c.muc_log is not None and c.muc_log.outdir == tmp_path.resolve() / "state" / "www" / "muc"
    assert c.source_path == path.resolve()
    c = load_config(write(tmp_path, BASE + '[storage]\ndata_dir = "/srv/x"\n'
                          '[modules.mod_muc_log]\naccess_log = "all"\noutdir = "/logs"\n'))
    assert (c.storage.data_dir, c.muc_log.outdir) == (Path("/srv/x"), Path("/logs"))


def test_mod_muc_log_defaults():
    log = parse_config(BASE + '[modules.mod_muc_log]\naccess_log = "all"').muc_log
    assert log is not None
    assert (log.dirtype, log.dirname, log.file_format, log.css_file, log.timezone,
            log.top_link, log.spam_prevention) == ("subdirs", "room_jid", "html", None, "local",
                                                   ("/", "Home"), True)


def test_config_access_rules_follow_the_tables():
    c = load_config(EXAMPLE)
    rules = c.access_rules()
    assert rules.allows(c.muc.access_admin, "alice@localhost")
    assert not rules.allows(c.muc.access_admin, "bob@localhost")
    assert rules.allows(c.muc.access_create, "bob@localhost/phone", c.server_host_of("conference.localhost"))
    assert not rules.allows(c.muc.access_create, "bob@elsewhere.org")
    assert not rules.allows(c.muc.access, "spammer@elsewhere.org")
    assert rules.allows(c.muc.access, "bob@elsewhere.org")


def test_config_is_picklable():
    c = load_config(EXAMPLE)
    copy = pickle.loads(pickle.dumps(c))
    assert copy == c and isinstance(copy, Config)
    assert copy.access_rules().allows("muc_admin", "alice@localhost")


def test_model_is_frozen():
    c = parse_config(BASE)
    with pytest.raises(AttributeError):
        c.muc.max_users = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        c.muc.default_room.config["max_users"] = 5  # type: ignore[index]


def test_example_file_parses_and_sets_what_it_says():
    c = load_config(EXAMPLE)
    assert c.muc.access_create == "muc_create" and c.muc.room_shaper == "muc_room_shaper"
    assert c.instrumentation.prometheus is not None
    assert c.muc_log is not None and c.muc_log.timezone == "universal"
    assert c.http_pools["auth"].connection.host == "http://127.0.0.1:8000"
    assert c.muc.default_room.affiliations == (("alice@localhost", "", "owner"),)


def test_effective_config_round_trips(tmp_path):
    text = effective_toml(EXAMPLE, hide_secrets=False)
    again = parse_config(text, base_dir=EXAMPLE.parent)
    assert again == parse_config(EXAMPLE.read_text(), base_dir=EXAMPLE.parent)


def test_effective_config_hides_secrets(tmp_path):
    path = write(tmp_path, '[general]\nhosts = ["localhost"]\n[component]\npassword = "comp-secret"\n'
                 '[storage]\nmongo_uri = "mongodb://raymuc:db-secret@db.example:27017/raymuc"\n'
                 '[modules.mod_muc.default_room]\npassword = "room-secret"\n'
                 '[outgoing_pools.http.auth]\nconnection.host = "https://u:pool-secret@auth.example"\n')
    out, err = io.StringIO(), io.StringIO()
    assert check_config_main(path, out, err) == 0
    text = out.getvalue()
    assert err.getvalue() == ""
    for secret in ("comp-secret", "db-secret", "room-secret", "pool-secret"):
        assert secret not in text
    printed = tomlkit.parse(text).unwrap()
    assert printed["component"]["password"] == "********"
    assert printed["modules"]["mod_muc"]["default_room"]["password"] == "********"
    assert printed["storage"]["mongo_uri"] == "mongodb://raymuc:********@db.example:27017/raymuc"
    assert printed["outgoing_pools"]["http"]["auth"]["connection"]["host"] == "https://u:********@auth.example"
    # defaults are filled in
    assert printed["modules"]["mod_muc"]["max_room_id"] == "infinity"
    assert printed["modules"]["mod_muc"]["default_room"]["max_users"] == 200


def test_check_config_main_reports_errors_on_stderr(tmp_path):
    path = write(tmp_path, BASE + "[modules.mod_muc]\nmax_user = 10\n")
    out, err = io.StringIO(), io.StringIO()
    assert check_config_main(path, out, err) == 2
    assert out.getvalue() == ""
    assert err.getvalue() == (f'config error: {path}: modules.mod_muc.max_user: unknown key; '
                              'did you mean "max_users"?\n')


def test_check_config_main_uses_the_real_streams(tmp_path, capsys):
    assert check_config_main(write(tmp_path, BASE)) == 0
    assert "[modules.mod_muc]" in capsys.readouterr().out
    assert check_config_main(tmp_path / "missing.toml") == 2
    assert "cannot read the file" in capsys.readouterr().err


def test_reference_lists_every_option_with_its_default():
    md = reference_markdown()
    for sec in schema.SECTIONS:
        assert sec.path.replace("*", "NAME") in md
        for opt in sec.options:
            assert f"| `{opt.name}` | {opt.allowed.replace('|', chr(92) + '|')} |" in md
    assert '| `max_room_id` | a non-negative integer or "infinity" | `"infinity"` |' in md
    assert "| `password` | a non-empty string | *required* |" in md
