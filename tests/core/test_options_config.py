"""A bad value in any option of this part (access rules, limits, default rooms,
load_permanent_rooms_at_startup) is refused at start: the config layer names the key,
the value and what is accepted, and `raymuc run` exits 2 with that message before
starting anything. (More cases: tests/config/test_errors.py.)"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from raymuc.config import ConfigError, parse_config

BASE = '[general]\nhosts = ["localhost"]\n[component]\npassword = "x"\n'
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text, key", [
    ("[modules.mod_muc]\nmax_users_admin_threshold = 0", "modules.mod_muc.max_users_admin_threshold"),
    ("[modules.mod_muc]\nmax_user_conferences = -1", "modules.mod_muc.max_user_conferences"),
    ('[modules.mod_muc]\nmax_user_conferences = "infinity"', "modules.mod_muc.max_user_conferences"),
    ("[modules.mod_muc]\nmax_room_id = -1", "modules.mod_muc.max_room_id"),
    ('[modules.mod_muc]\nmax_room_name = "unbounded"', "modules.mod_muc.max_room_name"),
    ("[modules.mod_muc]\nmax_room_desc = 1.5", "modules.mod_muc.max_room_desc"),
    ("[modules.mod_muc]\nhistory_size = -5", "modules.mod_muc.history_size"),
    ("[modules.mod_muc]\nload_permanent_rooms_at_startup = 1",
     "modules.mod_muc.load_permanent_rooms_at_startup"),
    ('[modules.mod_muc]\naccess_persistent = "keepers"', "modules.mod_muc.access_persistent"),
    ('[modules.mod_muc]\naccess_admin = "admins"\n[access]\nadmins = [{acl = "nobody", value = "allow"}]',
     "access.admins[0].acl"),
    ('[acl]\nadmins = [{user_regexp = "(unclosed"}]', "acl.admins[0].user_regexp"),
    ('[modules.mod_muc]\nmax_room_desc = 4\ndefault_room.description = "too long"',
     "modules.mod_muc.default_room.description"),
    ('[modules.mod_muc.default_room]\nmaygetmemberlist = "moderator"',
     "modules.mod_muc.default_room.maygetmemberlist"),
    ('[modules.mod_muc.default_room]\nsubject_author = 7', "modules.mod_muc.default_room.subject_author"),
    ('[[modules.mod_muc.default_room.affiliations]]\nuser = "a"\nserver = "localhost"\n'
     'affiliation = "member"\nrole = "moderator"', "modules.mod_muc.default_room.affiliations[0].role"),
])
def test_bad_value_is_refused_naming_the_key(text, key):
    with pytest.raises(ConfigError) as e:
        parse_config(BASE + text, source="t.toml")
    assert e.value.key == key, str(e.value)
    assert str(e.value).startswith(f"t.toml: {key}")


def test_edges_that_are_valid():
    c = parse_config(BASE + '[modules.mod_muc]\nmax_user_conferences = 0\nmax_room_id = "infinity"\n'
                     "history_size = 0\nmax_room_name = 0")
    assert (c.muc.max_user_conferences, c.muc.max_room_id, c.muc.history_size,
            c.muc.max_room_name) == (0, None, 0, 0)


def test_raymuc_run_refuses_a_bad_value_before_starting_anything(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(BASE + f'[storage]\ndata_dir = "{tmp_path / "data"}"\n'
                   '[modules.mod_muc]\naccess_create = "creators"\n')
    result = subprocess.run([sys.executable, "-m", "raymuc.cli", "run", "--config", str(cfg)],
                            capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 2
    assert "modules.mod_muc.access_create" in result.stderr and '"creators"' in result.stderr
    assert not (tmp_path / "data").exists()          # nothing was started
