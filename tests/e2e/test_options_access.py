"""mod_muc access rules end to end (real Prosody, `raymuc run`, slixmpp clients):
access, access_create (also to wake a stopped persistent room), access_admin (owner
everywhere, past members-only, password and bans, service announcements) and
access_persistent. Each shows who is let through and who is refused."""
from __future__ import annotations

import asyncio

import pytest

from tests.e2e.muc import (NS_OWNER, codes, create_instant, error_condition, field, item,
                           join, owner_submit)
from tests.e2e.muc_flow import NS_DISCO_INFO, iq
from tests.e2e.options_stack import OptionsStack, error_text, leave

pytestmark = pytest.mark.e2e
ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig"

EXTRA = """
access = "muc_access"
access_create = "muc_create"
access_admin = "muc_admin"
access_persistent = "muc_persistent"
[acl]
outsiders = [{user = "outsider"}]
creators = [{user_regexp = "^(creator|keeper)"}]
keepers = [{user = "keeper"}]
admins = [{user = "sadmin"}]
[access]
muc_access = [{acl = "outsiders", value = "deny"}, {acl = "all", value = "allow"}]
muc_create = [{acl = "creators", value = "allow"}]
muc_admin = [{acl = "admins", value = "allow"}]
muc_persistent = [{acl = "keepers", value = "allow"}]
"""
USERS = ("creator", "keeper", "plain", "plain2", "outsider", "sadmin")


@pytest.fixture(scope="module")
def stack():
    s = OptionsStack("access", EXTRA, USERS).start()
    yield s
    s.stop()


def run(coro):
    return asyncio.run(coro)


def form_vars(reply) -> set[str]:
    x = reply.xml.find(f"{{{NS_OWNER}}}query/{{jabber:x:data}}x")
    return {f.get("var") for f in x.iter("{jabber:x:data}field")}


async def owner_form(client, room: str):
    return await iq(client, room, f"<query xmlns='{NS_OWNER}'/>")


# access ------------------------------------------------------------------------------

def test_access_denied_user_is_forbidden_for_rooms_and_the_service(stack):
    room = stack.room()

    async def scenario():
        async with stack.client("creator") as owner, stack.client("outsider") as out, \
                stack.client("plain") as plain:
            await create_instant(owner, room, "Owner")
            pres = await join(out, room, "Out")
            assert error_condition(pres) == "forbidden"
            assert error_text(pres) == "Access denied by service policy"   # MongooseIM's text
            info = await iq(out, stack.domain, f"<query xmlns='{NS_DISCO_INFO}'/>")
            assert info["type"] == "error" and error_condition(info) == "forbidden"
            # the allow side: everyone else uses the service
            assert (await iq(plain, stack.domain, f"<query xmlns='{NS_DISCO_INFO}'/>"))["type"] \
                == "result"
            pres = await join(plain, room, "Plain")
            assert pres["type"] != "error" and 110 in codes(pres)
    run(scenario())


# access_create -----------------------------------------------------------------------

def test_access_create_lets_creators_create_and_refuses_others_not_allowed(stack):
    mine, theirs = stack.room("c"), stack.room("p")

    async def scenario():
        async with stack.client("creator") as owner, stack.client("plain") as plain:
            pres = await join(owner, mine, "Owner")
            assert 201 in codes(pres) and item(pres).get("affiliation") == "owner"
            await owner_submit(owner, mine, "")
            pres = await join(plain, theirs, "Plain")
            assert error_condition(pres) == "not-allowed"
            assert error_text(pres).startswith("Room creation is denied by service policy")
            # an existing (online) room is entered without access_create
            pres = await join(plain, mine, "Plain")
            assert pres["type"] != "error" and item(pres).get("role") == "participant"
            # the refused room was never created
            gone = await iq(plain, theirs, f"<query xmlns='{NS_DISCO_INFO}'/>")
            assert error_condition(gone) == "item-not-found"
    run(scenario())


# access_admin ------------------------------------------------------------------------

def test_service_admin_is_owner_past_members_only_password_and_bans(stack):
    room = stack.room("locked")

    async def scenario():
        async with stack.client("creator") as owner, stack.client("sadmin") as admin, \
                stack.client("plain") as plain:
            await join(owner, room, "Owner")
            reply = await owner_submit(owner, room, field("FORM_TYPE", ROOMCONFIG)
                                       + field("muc#roomconfig_membersonly", "1")
                                       + field("muc#roomconfig_passwordprotectedroom", "1")
                                       + field("muc#roomconfig_roomsecret", "sesame"))
            assert reply["type"] == "result", reply
            pres = await join(plain, room, "Plain")
            assert error_condition(pres) in ("not-authorized", "registration-required")
            pres = await join(admin, room, "Admin")          # no password, not a member
            assert pres["type"] != "error", pres
            assert (item(pres).get("affiliation"), item(pres).get("role")) == ("owner", "moderator")
            ban = await iq(owner, room, "<query xmlns='http://jabber.org/protocol/muc#admin'>"
                           f"<item affiliation='outcast' jid='{stack.jid('sadmin')}'/></query>",
                           type="set")
            assert error_condition(ban) == "not-allowed"
            assert (await owner_form(admin, room))["type"] == "result"   # owns every room
    run(scenario())


def test_service_admin_message_to_the_service_reaches_every_online_room(stack):
    room1, room2 = stack.room("a"), stack.room("b")

    async def scenario():
        async with stack.client("creator") as owner, stack.client("plain") as p1, \
                stack.client("plain2") as p2, stack.client("sadmin") as admin:
            for room in (room1, room2):
                await create_instant(owner, room, "Owner")
            await join(p1, room1, "P1")
            await join(p2, room2, "P2")
            admin.send_raw(f"<message to='{stack.domain}' id='ann1'><body>Restart at noon"
                           "</body></message>")
            for client, room in ((p1, room1), (p2, room2), (owner, room1), (owner, room2)):
                msg = await client.wait_for_stanza(
                    lambda s, r=room: s.name == "message" and str(s["from"]) == r
                    and s["body"] == "Restart at noon", 30)
                assert msg["type"] == "groupchat"
            # a later arrival reads it in the history
            async with stack.client("plain2") as late:
                await join(late, room1, "Late")
                old = await late.wait_for_stanza(lambda s: s.name == "message"
                                                 and s["body"] == "Restart at noon")
                assert old.xml.find("{urn:xmpp:delay}delay") is not None
            # the deny side: anyone else is told off, and nothing is broadcast
            p1.send_raw(f"<message to='{stack.domain}' id='ann2'><body>fake news</body></message>")
            err = await p1.wait_for_stanza(lambda s: s.name == "message" and s["id"] == "ann2")
            assert err["type"] == "error" and error_condition(err) == "forbidden"
            assert error_text(err) == \
                "Only service administrators are allowed to send service messages"
            await asyncio.sleep(1)
            assert not [s for s in p2.inbox.drain() if s.name == "message"
                        and s["body"] == "fake news"]
    run(scenario())


# access_persistent -------------------------------------------------------------------

def test_access_persistent_field_hidden_and_refused_unless_the_rule_allows(stack):
    theirs, kept = stack.room("t"), stack.room("k")

    async def scenario():
        async with stack.client("creator") as creator, stack.client("keeper") as keeper:
            await create_instant(creator, theirs, "Creator")
            assert "muc#roomconfig_persistentroom" not in form_vars(await owner_form(creator, theirs))
            reply = await owner_submit(creator, theirs, field("FORM_TYPE", ROOMCONFIG)
                                       + field("muc#roomconfig_persistentroom", "1"))
            assert error_condition(reply) == "not-acceptable"
            await create_instant(keeper, kept, "Keeper")
            assert "muc#roomconfig_persistentroom" in form_vars(await owner_form(keeper, kept))
            reply = await owner_submit(keeper, kept, field("FORM_TYPE", ROOMCONFIG)
                                       + field("muc#roomconfig_persistentroom", "1"))
            assert reply["type"] == "result"
            info = await iq(keeper, kept, f"<query xmlns='{NS_DISCO_INFO}'/>")
            feats = {f.get("var") for f in info.xml.iter(f"{{{NS_DISCO_INFO}}}feature")}
            assert "muc_persistent" in feats
            info = await iq(creator, theirs, f"<query xmlns='{NS_DISCO_INFO}'/>")
            feats = {f.get("var") for f in info.xml.iter(f"{{{NS_DISCO_INFO}}}feature")}
            assert "muc_temporary" in feats
    run(scenario())


# access_create wakes stopped rooms (last: it restarts the service) --------------------

def test_access_create_is_needed_to_wake_a_stopped_persistent_room_by_joining(stack):
    by_join, by_disco = stack.room("w"), stack.room("d")

    async def make_persistent():
        async with stack.client("keeper") as keeper:
            for room in (by_join, by_disco):
                await join(keeper, room, "Keeper")
                reply = await owner_submit(keeper, room, field("FORM_TYPE", ROOMCONFIG)
                                           + field("muc#roomconfig_persistentroom", "1"))
                assert reply["type"] == "result"
                await leave(keeper, room, "Keeper")

    async def after_restart():
        async with stack.client("plain") as plain, stack.client("creator") as creator:
            pres = await join(plain, by_join, "Plain")         # stopped: joining would start it
            assert error_condition(pres) == "not-allowed"
            pres = await join(creator, by_join, "Creator")     # access_create: wakes it
            assert pres["type"] != "error" and 201 not in codes(pres)
            pres = await join(plain, by_join, "Plain")         # online now: anyone enters
            assert pres["type"] != "error"
            # disco#info is answered from storage: it wakes nothing (issue 15) ...
            info = await iq(plain, by_disco, f"<query xmlns='{NS_DISCO_INFO}'/>")
            assert info["type"] == "result"
            assert error_condition(await join(plain, by_disco, "Plain")) == "not-allowed"
            # ... as in MongooseIM, any other stanza wakes a stored room for anyone
            assert (await iq(plain, by_disco, "<ping xmlns='urn:xmpp:ping'/>"))["type"] == "result"
            assert (await join(plain, by_disco, "Plain"))["type"] != "error"
    run(make_persistent())
    stack.restart_service()
    run(after_restart())
