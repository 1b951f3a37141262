"""mod_muc limits on the pure core, at their edges: max_room_name / max_room_desc
(characters, at config submit), max_users as the service cap over the room's own value,
history_size (0 keeps nothing)."""
from __future__ import annotations

import pytest

from actors.core import commands as c
from actors.core.policy import ServicePolicy
from tests.core.driver import Driver, errors

OWNER = "owner@localhost/o"


def submit(d: Driver, *fields) -> list:
    return d.send(c.OwnerSet(OWNER, "cfg", form=c.Form("submit", tuple(fields))))


@pytest.mark.parametrize("var, option", [("muc#roomconfig_roomname", "max_room_name"),
                                         ("muc#roomconfig_roomdesc", "max_room_desc")])
def test_name_and_description_at_the_limit_pass_one_more_is_not_acceptable(var, option):
    d = Driver(policy=ServicePolicy("conference.localhost", **{option: 5}))
    before = d.room.config
    assert errors(submit(d, (var, ("abcdef",))), OWNER) == ["not-acceptable"]
    assert d.room.config == before
    assert errors(submit(d, (var, ("ĉĝĥĵŝ",))), OWNER) == []       # 5 characters, 10 bytes
    assert errors(submit(d, (var, ("",))), OWNER) == []


def test_name_limit_zero_allows_only_empty_and_infinity_allows_anything():
    d = Driver(policy=ServicePolicy("conference.localhost", max_room_name=0))
    assert errors(submit(d, ("muc#roomconfig_roomname", ("a",))), OWNER) == ["not-acceptable"]
    d = Driver(policy=ServicePolicy("conference.localhost", max_room_name=None))
    assert errors(submit(d, ("muc#roomconfig_roomname", ("a" * 5000,))), OWNER) == []


def test_room_max_users_above_the_service_cap_is_capped_to_it():
    # MongooseIM caps a submitted maxusers at the service's max_users
    d = Driver(policy=ServicePolicy("conference.localhost", max_users=7))
    assert errors(submit(d, ("muc#roomconfig_maxusers", ("8",))), OWNER) == []
    assert d.room.config.max_users == 7
    assert errors(submit(d, ("muc#roomconfig_maxusers", ("5",))), OWNER) == []
    assert d.room.config.max_users == 5
    assert errors(submit(d, ("muc#roomconfig_maxusers", ("100000",))), OWNER) == []
    assert d.room.config.max_users == 7


def test_room_stored_above_a_lowered_service_cap_is_capped_and_stays_editable():
    d = Driver(policy=ServicePolicy("conference.localhost", max_users=2,
                                    max_users_admin_threshold=1))
    d.room.config = d.room.config.replace(max_users=50)    # stored under an older config
    assert errors(d.join("bob@localhost/b", "Bob"), "bob@localhost/b") == []
    assert errors(d.join("eve@localhost/e", "Eve"), "eve@localhost/e") == ["service-unavailable"]
    # a client echoing the whole form back may still change something else
    assert errors(submit(d, ("muc#roomconfig_maxusers", ("50",)),
                         ("muc#roomconfig_roomname", ("Renamed",))), OWNER) == []
    assert d.room.config.max_users == 50 and d.room.config.title == "Renamed"
    assert errors(submit(d, ("muc#roomconfig_maxusers", ("40",))), OWNER) == []
    assert d.room.config.max_users == 2


@pytest.mark.parametrize("size, kept", [(0, []), (1, ["m3"]), (3, ["m1", "m2", "m3"])])
def test_history_size_keeps_the_last_n(size, kept):
    d = Driver(policy=ServicePolicy("conference.localhost", history_size=size))
    for n in (1, 2, 3):
        d.send(c.Message(OWNER, "", "groupchat", f"m{n}", body=f"m{n}", payload=f"<body>m{n}</body>"))
    assert [m.message.id for m in d.room.history._entries] == kept
