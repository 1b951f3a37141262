"""default_room end to end: every field of a service's default_room table applies to the
rooms it creates, seen through the protocol (the owner form, disco, and behaviour with
allow and deny sides). Two services, one per module, since members_only and
password_protected would hide the rest: "open" (most fields away from their default)
and "closed" (members_only, password, logging, maygetmemberlist for participants)."""
from __future__ import annotations

import asyncio

import pytest

from tests.e2e.muc import NS_OWNER, NS_USER, codes, create_instant, error_condition, item, join, say
from tests.e2e.muc_flow import (NS_ADMIN, NS_DISCO_INFO, NS_DISCO_ITEMS, disco_features,
                                disco_items, form_fields, iq, values)
from tests.e2e.options_stack import OptionsStack

pytestmark = pytest.mark.e2e

AFFILIATIONS = """
[[modules.mod_muc.default_room.affiliations]]
user = "dmember"
server = "localhost"
affiliation = "member"
[[modules.mod_muc.default_room.affiliations]]
user = "dadmin"
server = "localhost"
resource = "res1"
affiliation = "admin"
[[modules.mod_muc.default_room.affiliations]]
user = "downer"
server = "localhost"
affiliation = "owner"
[[modules.mod_muc.default_room.affiliations]]
user = "doutcast"
server = "localhost"
affiliation = "outcast"
"""
OPEN = """
[modules.mod_muc.default_room]
title = "Lobby"
description = "Default description"
allow_change_subj = false
allow_query_users = false
allow_private_messages = false
allow_visitor_status = false
allow_visitor_nickchange = false
public = false
public_list = false
persistent = true
moderated = false
members_by_default = false
allow_user_invites = true
allow_multiple_sessions = true
anonymous = false
max_users = 4
maygetmemberlist = ["visitor"]
subject = "Lambda days"
subject_author = "Alice"
""" + AFFILIATIONS
CLOSED = """
[modules.mod_muc.default_room]
members_only = true
password_protected = true
password = "sesame"
logging = true
maygetmemberlist = ["participant"]
""" + AFFILIATIONS
USERS = ("creator", "dmember", "dadmin", "downer", "doutcast", "guest", "guest2", "guest3")
PASSWORD_X = "<password>sesame</password>"


@pytest.fixture(scope="module")
def open_stack():
    s = OptionsStack("dopen", OPEN, USERS).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def closed_stack():
    s = OptionsStack("dclosed", CLOSED, USERS).start()
    yield s
    s.stop()


def run(coro):
    return asyncio.run(coro)


async def fresh_join(client, room: str, nick: str, extra: str = ""):
    client.inbox.drain()
    return await join(client, room, nick, extra=extra)


async def owner_form(client, room: str) -> dict:
    reply = await iq(client, room, f"<query xmlns='{NS_OWNER}'/>")
    assert reply["type"] == "result", reply
    return {var: values(f) for var, f in form_fields(reply.xml.find(f"{{{NS_OWNER}}}query")).items()}


async def member_list(client, room: str):
    return await iq(client, room, f"<query xmlns='{NS_ADMIN}'><item affiliation='member'/></query>")


# open: the form shows every default ---------------------------------------------------

def test_every_default_room_field_is_in_the_new_rooms_configuration(open_stack):
    s = open_stack
    room = s.room("f")

    async def scenario():
        async with s.client("creator") as creator:
            await create_instant(creator, room, "Creator")
            form = await owner_form(creator, room)
            expected = {
                "muc#roomconfig_roomname": ["Lobby"],
                "muc#roomconfig_roomdesc": ["Default description"],
                "muc#roomconfig_changesubject": ["0"],
                "allow_query_users": ["0"],
                "muc#roomconfig_allowpm": ["none"],
                "muc#roomconfig_allowvisitorstatus": ["0"],
                "muc#roomconfig_allowvisitornickchange": ["0"],
                "muc#roomconfig_publicroom": ["0"],
                "public_list": ["0"],
                "muc#roomconfig_persistentroom": ["1"],
                "muc#roomconfig_moderatedroom": ["0"],
                "members_by_default": ["0"],
                "muc#roomconfig_membersonly": ["0"],
                "muc#roomconfig_allowinvites": ["1"],
                "muc#roomconfig_allowmultisessions": ["1"],
                "muc#roomconfig_passwordprotectedroom": ["0"],
                "muc#roomconfig_whois": ["anyone"],
                "muc#roomconfig_maxusers": ["4"],
                "muc#roomconfig_enablelogging": ["0"],
                "muc#roomconfig_getmemberlist": ["visitor"],
            }
            assert {var: form.get(var) for var in expected} == expected
            # affiliations: the creator is an owner too; resources are dropped (bare JIDs)
            assert set(form["muc#roomconfig_roomowners"]) == {s.jid("creator"), s.jid("downer")}
            assert form["muc#roomconfig_roomadmins"] == [s.jid("dadmin")]
            info = await iq(creator, room, f"<query xmlns='{NS_DISCO_INFO}'/>")
            feats = disco_features(info)
            assert {"muc_hidden", "muc_persistent", "muc_unmoderated", "muc_nonanonymous",
                    "muc_open", "muc_unsecured"} <= feats
    run(scenario())


# open: behaviour, allow and deny ----------------------------------------------------------

def test_subject_and_author_affiliations_roles_and_anonymity(open_stack):
    s = open_stack
    room = s.room("a")

    async def scenario():
        async with s.client("creator") as creator, s.client("dmember") as member, \
                s.client("dadmin") as admin, s.client("downer") as owner, \
                s.client("doutcast") as outcast, s.client("guest") as guest:
            await create_instant(creator, room, "Creator")
            member.inbox.drain()
            pres = await join(member, room, "Member")
            assert (item(pres).get("affiliation"), item(pres).get("role")) == ("member", "participant")
            assert 100 in codes(pres)                                   # anonymous = false
            subject = await member.wait_for_stanza(
                lambda m: m.name == "message" and m.xml.find("{jabber:client}subject") is not None)
            assert str(subject["from"]) == f"{room}/Alice" and subject["subject"] == "Lambda days"
            pres = await join(guest, room, "Guest")                     # members_by_default = false
            assert (item(pres).get("affiliation"), item(pres).get("role")) == ("none", "visitor")
            pres = await join(admin, room, "Admin")                     # any resource: bare JID
            assert item(pres).get("affiliation") == "admin"
            assert item(pres).get("role") == "moderator"
            assert item(await join(owner, room, "Owner")).get("affiliation") == "owner"
            assert error_condition(await join(outcast, room, "Out")) == "forbidden"
            seen = await guest.wait_for_stanza(lambda p: p.name == "presence"
                                               and str(p["from"]) == f"{room}/Member")
            assert item(seen).get("jid", "").startswith(s.jid("dmember"))   # non-anonymous
    run(scenario())


def test_visitors_speak_unmoderated_but_keep_nick_and_lose_status_no_pms_no_subject(open_stack):
    s = open_stack
    room = s.room("v")

    async def scenario():
        async with s.client("creator") as creator, s.client("dmember") as member, \
                s.client("guest") as guest:
            await create_instant(creator, room, "Creator")
            await join(member, room, "Member")
            await join(guest, room, "Guest")
            await say(guest, room, "a visitor speaks")                 # moderated = false
            got = await member.wait_for_stanza(lambda m: m.name == "message"
                                               and m["body"] == "a visitor speaks")
            assert got["type"] == "groupchat"
            guest.send_raw(f"<presence to='{room}/Guest'><status>busy</status></presence>")
            upd = await member.wait_for_stanza(lambda p: p.name == "presence"
                                               and str(p["from"]) == f"{room}/Guest")
            assert upd.xml.find("{jabber:client}status") is None      # allow_visitor_status = false
            guest.send_raw(f"<presence to='{room}/Renamed'/>")
            err = await guest.wait_for_stanza(lambda p: p.name == "presence" and p["type"] == "error")
            assert error_condition(err) == "not-allowed"               # allow_visitor_nickchange = false
            member.send_raw(f"<message to='{room}/Guest' type='chat' id='pm1'><body>psst</body></message>")
            err = await member.wait_for_stanza(lambda m: m.name == "message" and m["id"] == "pm1")
            assert err["type"] == "error" and error_condition(err) == "forbidden"   # no PMs
            member.send_raw(f"<message to='{room}' type='groupchat' id='s1'><subject>mine</subject></message>")
            err = await member.wait_for_stanza(lambda m: m.name == "message" and m["id"] == "s1")
            assert err["type"] == "error" and error_condition(err) == "forbidden"     # allow_change_subj
            creator.send_raw(f"<message to='{room}' type='groupchat' id='s2'><subject>owner's</subject></message>")
            changed = await member.wait_for_stanza(lambda m: m.name == "message"
                                                   and m["subject"] == "owner's")
            assert str(changed["from"]) == f"{room}/Creator"
    run(scenario())


def test_hidden_room_list_multiple_sessions_max_users_and_member_list_for_visitors(open_stack):
    s = open_stack
    room = s.room("h")

    async def scenario():
        async with s.client("creator") as creator, s.client("dmember") as member, \
                s.client("dmember") as member_again, s.client("guest") as guest, \
                s.client("guest2") as guest2, s.client("guest3") as guest3:
            await create_instant(creator, room, "Creator")
            # public = false: not in the service's list (for a non-owner); public_list = false
            listed = await iq(guest, s.domain, f"<query xmlns='{NS_DISCO_ITEMS}'/>")
            assert room not in {i.get("jid") for i in disco_items(listed)}
            mine = await iq(creator, s.domain, f"<query xmlns='{NS_DISCO_ITEMS}'/>")
            assert room in {i.get("jid") for i in disco_items(mine)}     # stored, shown to its owner
            outside = await iq(guest, room, f"<query xmlns='{NS_DISCO_ITEMS}'/>")
            assert disco_items(outside) == []
            await join(member, room, "Member")
            inside = await iq(member, room, f"<query xmlns='{NS_DISCO_ITEMS}'/>")
            assert {i.get("name") for i in disco_items(inside)} == {"Creator", "Member"}
            pres = await join(member_again, room, "Member")            # allow_multiple_sessions
            assert pres["type"] != "error" and item(pres).get("affiliation") == "member"
            # maygetmemberlist = ["visitor"]: a visitor may, a non-occupant may not
            assert error_condition(await member_list(guest, room)) == "forbidden"
            await join(guest, room, "Guest")                           # 3 occupants
            reply = await member_list(guest, room)
            assert reply["type"] == "result"
            assert s.jid("dmember") in {i.get("jid") for i in
                                        reply.xml.iter(f"{{{NS_ADMIN}}}item")}
            assert (await join(guest2, room, "Guest2"))["type"] != "error"   # 4 = max_users
            pres = await join(guest3, room, "Guest3")                        # 5: full
            assert error_condition(pres) == "service-unavailable"
    run(scenario())


def test_persistent_room_outlives_its_last_occupant(open_stack):
    s = open_stack
    room = s.room("p")

    async def scenario():
        async with s.client("creator") as creator:
            await create_instant(creator, room, "Creator")
        async with s.client("guest") as guest:      # the creator has gone offline
            info = await iq(guest, room, f"<query xmlns='{NS_DISCO_INFO}'/>")
            assert info["type"] == "result" and "muc_persistent" in disco_features(info)
            ident = info.xml.find(f"{{{NS_DISCO_INFO}}}query/{{{NS_DISCO_INFO}}}identity")
            assert ident.get("name") == "Lobby"
    run(scenario())


def test_participants_may_invite_but_not_query_occupants(open_stack):
    s = open_stack
    room = s.room("i")

    async def scenario():
        async with s.client("creator") as creator, s.client("dmember") as member, \
                s.client("guest2") as invitee:
            await create_instant(creator, room, "Creator")
            await join(member, room, "Member")                         # a participant
            member.send_raw(f"<message to='{room}' id='inv1'><x xmlns='{NS_USER}'>"
                            f"<invite to='{s.jid('guest2')}'><reason>come</reason></invite>"
                            "</x></message>")                          # allow_user_invites = true
            got = await invitee.wait_for_stanza(lambda m: m.name == "message"
                                                and str(m["from"]) == room)
            invite = got.xml.find(f"{{{NS_USER}}}x/{{{NS_USER}}}invite")
            assert invite is not None and invite.get("from", "").startswith(s.jid("dmember"))
            reply = await iq(member, f"{room}/Creator", f"<query xmlns='{NS_DISCO_INFO}'/>")
            assert error_condition(reply) == "not-allowed"             # allow_query_users = false
    run(scenario())


# closed: members_only, password, logging, maygetmemberlist for participants ----------------

def test_members_only_password_and_logging_defaults(closed_stack):
    s = closed_stack
    room = s.room("c")

    async def scenario():
        async with s.client("creator") as creator, s.client("dmember") as member, \
                s.client("guest") as guest:
            pres = await join(creator, room, "Creator")                # the creator needs none
            assert 201 in codes(pres)
            await iq(creator, room, f"<query xmlns='{NS_OWNER}'><x xmlns='jabber:x:data' "
                     "type='submit'/></query>", type="set")
            assert error_condition(await fresh_join(member, room, "Member")) == "not-authorized"
            pres = await fresh_join(member, room, "Member", PASSWORD_X)
            assert pres["type"] != "error" and 170 in codes(pres)      # logging = true
            pres = await fresh_join(guest, room, "Guest", PASSWORD_X)
            assert error_condition(pres) == "registration-required"    # members_only = true
            info = await iq(member, room, f"<query xmlns='{NS_DISCO_INFO}'/>")
            assert {"muc_membersonly", "muc_passwordprotected", "muc_semianonymous"} <= \
                disco_features(info)
    run(scenario())


def test_maygetmemberlist_participant_allowed_visitor_refused(closed_stack):
    s = closed_stack
    room = s.room("m")

    async def scenario():
        async with s.client("creator") as creator, s.client("dmember") as member:
            await create_instant(creator, room, "Creator")
            await join(member, room, "Member", extra=PASSWORD_X)
            assert (await member_list(member, room))["type"] == "result"   # a participant
            devoice = await iq(creator, room, f"<query xmlns='{NS_ADMIN}'><item role='visitor' "
                               "nick='Member'/></query>", type="set")
            assert devoice["type"] == "result"
            assert error_condition(await member_list(member, room)) == "forbidden"   # a visitor
    run(scenario())


def test_defaults_keep_invites_to_admins_and_let_occupants_query_each_other(closed_stack):
    s = closed_stack
    room = s.room("q")

    async def scenario():
        async with s.client("creator") as creator, s.client("dmember") as member:
            await create_instant(creator, room, "Creator")
            await join(member, room, "Member", extra=PASSWORD_X)
            member.send_raw(f"<message to='{room}' id='inv2'><x xmlns='{NS_USER}'>"
                            f"<invite to='{s.jid('guest')}'/></x></message>")
            err = await member.wait_for_stanza(lambda m: m.name == "message" and m["id"] == "inv2")
            assert error_condition(err) == "forbidden"      # allow_user_invites default: false
            reply = await iq(member, f"{room}/Creator", f"<query xmlns='{NS_DISCO_INFO}'/>")
            assert error_condition(reply) != "not-allowed"
            # forwarded (allow_query_users default: true): the occupant's client got it
            # from the asker's room JID (its answer, whatever it is, goes back the same way)
            forwarded = await creator.wait_for_stanza(
                lambda q: q.name == "iq" and str(q["from"]) == f"{room}/Member"
                and q.xml.find(f"{{{NS_DISCO_INFO}}}query") is not None)
            assert forwarded["type"] == "get"
    run(scenario())
