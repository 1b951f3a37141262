"""Room discovery (XEP-0045 §6.4, 6.5) on the pure core."""
import pytest

from actors.core import commands as c
from actors.core.effects import DiscoInfoResult, DiscoItemsResult, IqResult
from actors.core.state import RoomSeed
from tests.core.driver import ROOM, Driver, errors, to

OWNER = "owner@localhost/o"
BOB = "bob@localhost/b"
EVE = "eve@localhost/e"


def info(d: Driver, sender: str = EVE) -> DiscoInfoResult:
    [res] = [s for s in to(d.send(c.DiscoInfo(sender, "i")), sender) if isinstance(s, IqResult)]
    return res.payload


def items(d: Driver, sender: str = EVE) -> DiscoItemsResult:
    [res] = [s for s in to(d.send(c.DiscoItems(sender, "i")), sender) if isinstance(s, IqResult)]
    return res.payload


def roominfo(result: DiscoInfoResult) -> dict:
    [form] = result.forms
    assert form.type == "result"
    return dict(form.fields)


def test_identity_name_is_title_or_local_part():
    assert info(Driver()).identities == (("conference", "text", "room"),)
    d = Driver(seed=RoomSeed(config={"title": "A Dark Cave"}))
    assert info(d).identities == (("conference", "text", "A Dark Cave"),)


@pytest.mark.parametrize("config, expected", [
    ({}, {"muc_public", "muc_temporary", "muc_open", "muc_moderated", "muc_semianonymous",
          "muc_unsecured"}),
    ({"public": False, "persistent": True, "members_only": True, "moderated": False,
      "anonymous": False, "password_protected": True, "password": "x"},
     {"muc_hidden", "muc_persistent", "muc_membersonly", "muc_unmoderated", "muc_nonanonymous",
      "muc_passwordprotected"}),
])
def test_muc_features_follow_the_configuration(config, expected):
    feats = set(info(Driver(seed=RoomSeed(config=config))).features)
    assert expected <= feats
    assert {"http://jabber.org/protocol/muc", "urn:xmpp:occupant-id:0", "urn:xmpp:sid:0",
            "http://jabber.org/protocol/muc#stable_id"} <= feats
    opposites = {"muc_public": "muc_hidden", "muc_temporary": "muc_persistent",
                 "muc_open": "muc_membersonly", "muc_moderated": "muc_unmoderated",
                 "muc_semianonymous": "muc_nonanonymous", "muc_unsecured": "muc_passwordprotected"}
    pairs = {**opposites, **{v: k for k, v in opposites.items()}}
    assert not any(pairs[f] in feats for f in expected)


def test_roominfo_form():
    d = Driver(seed=RoomSeed(config={"description": "witches", "language": "en",
                                     "title": "Cave"}, subject="Spells"))
    d.join(BOB, "Bob")
    fields = roominfo(info(d))
    assert fields["FORM_TYPE"] == ("http://jabber.org/protocol/muc#roominfo",)
    assert fields["muc#roominfo_description"] == ("witches",)
    assert fields["muc#roominfo_subject"] == ("Spells",)
    assert fields["muc#roominfo_occupants"] == ("2",)
    assert fields["muc#roominfo_lang"] == ("en",)
    assert fields["muc#roominfo_subjectmod"] == ("1",)
    assert fields["muc#maxhistoryfetch"] == ("20",)
    assert fields["muc#roomconfig_roomname"] == ("Cave",)
    assert "muc#roominfo_contactjid" not in fields          # semi-anonymous


def test_roominfo_contactjid_in_non_anonymous_rooms():
    d = Driver(seed=RoomSeed(config={"anonymous": False}))
    assert roominfo(info(d))["muc#roominfo_contactjid"] == ("owner@localhost",)


def test_items_per_public_list():
    d = Driver()
    d.join(BOB, "Bob")
    assert {jid for jid, _, _ in items(d).items} == {f"{ROOM}/Owner", f"{ROOM}/Bob"}
    d.room.config = d.room.config.replace(public_list=False)
    assert items(d).items == ()
    assert len(items(d, BOB).items) == 2                    # occupants still see them


def test_locked_room_is_invisible_except_to_owners():
    d = Driver(instant=False)
    assert errors(d.send(c.DiscoInfo(EVE, "i")), EVE) == ["item-not-found"]
    assert errors(d.send(c.DiscoItems(EVE, "i")), EVE) == ["item-not-found"]
    assert info(d, OWNER).identities[0][0] == "conference"


def test_unknown_node_is_item_not_found():
    d = Driver()
    assert errors(d.send(c.DiscoInfo(EVE, "i", node="nope")), EVE) == ["item-not-found"]
    assert errors(d.send(c.DiscoItems(EVE, "i", node="nope")), EVE) == ["item-not-found"]


DETAILS = {"muc#roominfo_description", "muc#roominfo_subject", "muc#roominfo_occupants",
           "muc#roominfo_contactjid", "muc#roomconfig_pubsub"}


def private_room(**config) -> Driver:
    d = Driver(seed=RoomSeed(config={"description": "coven business", "anonymous": False,
                                     "pubsub": "xmpp:pubsub.localhost?;node=spells",
                                     "title": "Cave", **config}, subject="Tonight's plan"))
    d.join(BOB, "Bob")
    return d


@pytest.mark.parametrize("config", [{"public": False}, {"members_only": True},
                                    {"public": False, "members_only": True}])
def test_hidden_or_members_only_room_tells_outsiders_no_details(config):
    d = private_room(**config)
    result = info(d, EVE)
    assert result.identities == (("conference", "text", "Cave"),)
    assert "http://jabber.org/protocol/muc" in result.features
    fields = roominfo(result)
    assert not DETAILS & set(fields), DETAILS & set(fields)
    assert not [v for vs in fields.values() for v in vs
                if "coven" in v or "Tonight" in v or "owner@" in v or "spells" in v]
    assert fields["muc#roomconfig_roomname"] == ("Cave",) and "muc#roominfo_subjectmod" in fields
    assert fields["muc#roomconfig_maxusers"] == ("200",)


@pytest.mark.parametrize("sender", [BOB, OWNER, "member@localhost/m"])
def test_occupants_and_members_of_a_private_room_see_its_details(sender):
    from actors.core.roles import Affiliation
    d = private_room(public=False, members_only=True)
    d.room.affiliations["bob@localhost"] = Affiliation.MEMBER
    d.join(BOB, "Bob")
    d.room.affiliations["member@localhost"] = Affiliation.MEMBER
    fields = roominfo(info(d, sender))
    assert DETAILS <= set(fields) and fields["muc#roominfo_subject"] == ("Tonight's plan",)


def test_a_public_open_room_shows_its_details_to_anyone():
    fields = roominfo(info(private_room(), EVE))
    assert DETAILS <= set(fields) and fields["muc#roominfo_occupants"] == ("2",)
