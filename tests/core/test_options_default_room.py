"""default_room from the TOML to a new room (config -> wiring.room_seed -> Room.new):
every field, the affiliations list and the subject with its author."""
from __future__ import annotations

from actors.core import commands as c
from actors.core.effects import MessageOut
from actors.core.features.registry import FIELDS
from actors.core.policy import ServicePolicy
from actors.core.roles import Affiliation
from actors.core.room import Room
from actors.core.state import Env
from raymuc import wiring
from raymuc.config import parse_config
from raymuc.config.schema import ROOM_FIELDS

BASE = '[general]\nhosts = ["localhost"]\n[component]\npassword = "x"\n'
NON_DEFAULT = {
    "title": "T", "description": "D", "allow_change_subj": False, "allow_query_users": False,
    "allow_private_messages": False, "allow_visitor_status": False,
    "allow_visitor_nickchange": False, "public": False, "public_list": False,
    "persistent": True, "moderated": False, "members_by_default": False, "members_only": True,
    "allow_user_invites": True, "allow_multiple_sessions": True, "password_protected": True,
    "password": "pw", "anonymous": False, "max_users": 7, "logging": True,
    "maygetmemberlist": ("moderator", "participant"),
}


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, tuple):
        return "[" + ", ".join(f'"{x}"' for x in v) + "]"
    return f'"{v}"' if isinstance(v, str) else str(v)


def config_text() -> str:
    lines = [f"{k} = {toml_value(v)}" for k, v in NON_DEFAULT.items()]
    return BASE + "[modules.mod_muc.default_room]\n" + "\n".join(lines) + """
subject = "Lambda days"
subject_author = "Alice"
[modules.mod_muc_log]
access_log = "all"
[[modules.mod_muc.default_room.affiliations]]
user = "Alice"
server = "LocalHost"
resource = "resource1"
affiliation = "member"
[[modules.mod_muc.default_room.affiliations]]
user = "bob"
server = "localhost"
affiliation = "owner"
[[modules.mod_muc.default_room.affiliations]]
user = "carol"
server = "localhost"
affiliation = "none"
[[modules.mod_muc.default_room.affiliations]]
user = "creator"
server = "localhost"
affiliation = "outcast"
"""


def new_room() -> Room:
    seed = wiring.room_seed(parse_config(config_text()))
    return Room.new("r@conference.localhost", ServicePolicy("conference.localhost"), seed,
                    "creator@localhost/c", Env(1.0, "u"))


def test_the_test_covers_every_default_room_field():
    assert set(NON_DEFAULT) == {f.name for f in ROOM_FIELDS}


def test_every_field_reaches_the_new_room():
    room = new_room()
    for name, value in NON_DEFAULT.items():
        assert getattr(room.config, name) == value, name
    # fields outside default_room keep their own defaults
    assert room.config.history_length == FIELDS["history_length"].default


def test_affiliations_bare_lowercased_none_dropped_creator_stays_owner():
    room = new_room()
    assert room.affiliations == {"alice@localhost": Affiliation.MEMBER,
                                 "bob@localhost": Affiliation.OWNER,
                                 "creator@localhost": Affiliation.OWNER}


def test_subject_is_sent_on_entering_from_its_author():
    room = new_room()
    out = room.handle_create(c.Presence("creator@localhost/c", "Creator", True, muc=True),
                             Env(2.0, "v"))
    subject = [d.stanza for d in out if isinstance(getattr(d, "stanza", None), MessageOut)][-1]
    assert (subject.nick, subject.subject) == ("Alice", "Lambda days")
