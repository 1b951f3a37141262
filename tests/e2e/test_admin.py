"""Roles and affiliations end to end (XEP-0045 §5, §8, §9 and the affiliation parts
of §10): real Prosody, `raymuc run`, real slixmpp clients; assertions on the XML
each client receives."""
from __future__ import annotations

import asyncio
import itertools
import secrets
from contextlib import AsyncExitStack, asynccontextmanager
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

import pytest

from tests.e2e.muc import (NS_USER, ROOM_DOMAIN, codes, error_condition, field, groupchat_from,
                           is_from, item, join, owner_submit, say)
from tests.e2e.xmpp_clients import connected_client

pytestmark = pytest.mark.e2e

NS_ADMIN = "http://jabber.org/protocol/muc#admin"
_ids = itertools.count()


def run(coro):
    return asyncio.run(coro)


def room_name() -> str:
    return f"adm{secrets.token_hex(4)}@{ROOM_DOMAIN}"


@pytest.fixture
def users(raymuc_service, prosody, xmpp_account):
    """users(n): n fresh accounts; `clients(accounts)` logs them in."""
    return lambda n: [xmpp_account() for _ in range(n)]


@asynccontextmanager
async def clients(prosody, accounts):
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(
            connected_client(*acc, "127.0.0.1", prosody.c2s_port)) for acc in accounts]


class Room:
    """A room under test and who is in it. Entering waits until every occupant has
    seen the newcomer and the newcomer has seen them, so inboxes then hold only what
    happens afterwards: a later wait for a nick's presence matches the change under
    test, never the presence sent on entering."""

    def __init__(self, jid: str):
        self.jid = jid
        self.present: dict[str, object] = {}      # nick -> client

    @classmethod
    async def create(cls, client, nick: str, *fields: str) -> "Room":
        """Create a room and submit its first configuration (unlocking it)."""
        room = cls(room_name())
        pres = await join(client, room.jid, nick)
        assert 201 in codes(pres), ET.tostring(pres.xml)
        reply = await owner_submit(client, room.jid, "".join(fields))
        assert reply["type"] == "result", ET.tostring(reply.xml)
        room.present[nick] = client
        return room

    async def enter(self, client, nick: str):
        me = await join(client, self.jid, nick)
        assert 110 in codes(me), ET.tostring(me.xml)
        for other_nick, other in self.present.items():
            await presence_of(other, self.jid, nick, unavailable=False)
            await presence_of(client, self.jid, other_nick, unavailable=False)
        self.present[nick] = client
        return me

    def gone(self, nick: str) -> None:
        self.present.pop(nick)


def it(reason: str | None = None, **attrs: str) -> str:
    text = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    if reason is None:
        return f"<item{text}/>"
    return f"<item{text}><reason>{escape(reason)}</reason></item>"


async def admin(client, room: str, *items: str, type_: str = "set"):
    iq_id = f"adm{next(_ids)}"
    client.send_raw(f"<iq type='{type_}' to='{room}' id='{iq_id}'>"
                    f"<query xmlns='{NS_ADMIN}'>{''.join(items)}</query></iq>")
    return await client.wait_for_stanza(lambda s: s.name == "iq" and s["id"] == iq_id)


async def admin_ok(client, room: str, *items: str, type_: str = "set"):
    reply = await admin(client, room, *items, type_=type_)
    assert reply["type"] == "result", ET.tostring(reply.xml)
    return reply


def listed(reply) -> list[ET.Element]:
    return list(reply.xml.find(f"{{{NS_ADMIN}}}query"))


def refused(reply, condition: str, err_type: str) -> None:
    assert reply["type"] == "error", ET.tostring(reply.xml)
    assert error_condition(reply) == condition, ET.tostring(reply.xml)
    assert reply.xml.find("{jabber:client}error").get("type") == err_type


async def presence_of(client, room: str, nick: str, *, unavailable: bool | None = None,
                      **attrs: str):
    """The oldest presence from room/nick whose muc#user item has `attrs`."""
    def match(s) -> bool:
        if s.name != "presence" or not is_from(s, f"{room}/{nick}"):
            return False
        if unavailable is not None and (s["type"] == "unavailable") != unavailable:
            return False
        got = item(s)
        return got is not None and all(got.get(k) == v for k, v in attrs.items())
    return await client.wait_for_stanza(match)


def actor_nick(stanza) -> str | None:
    actor = item(stanza).find(f"{{{NS_USER}}}actor")
    return None if actor is None else actor.get("nick")


def reason(stanza) -> str | None:
    return item(stanza).findtext(f"{{{NS_USER}}}reason")


def bare(account) -> str:
    return account.jid


# §8.2 kicking ------------------------------------------------------------------------

def test_kick_sends_307_with_actor_and_reason(prosody, users):
    alice, bob, carol = users(3)

    async def scenario():
        async with clients(prosody, (alice, bob, carol)) as (a, b, c):
            r = await Room.create(a, "Alice")
            room = r.jid
            await r.enter(b, "Bob")
            await r.enter(c, "Carol")
            await admin_ok(a, room, it("Avaunt, you cullion!", nick="Bob", role="none"))
            mine = await presence_of(b, room, "Bob", unavailable=True)
            assert codes(mine) == {110, 307}
            assert (item(mine).get("affiliation"), item(mine).get("role")) == ("none", "none")
            assert actor_nick(mine) == "Alice" and reason(mine) == "Avaunt, you cullion!"
            seen = await presence_of(c, room, "Bob", unavailable=True)
            assert codes(seen) == {307} and item(seen).get("jid") is None   # semi-anonymous
            by_mod = await presence_of(a, room, "Bob", unavailable=True)
            assert codes(by_mod) == {307} and item(by_mod).get("jid") == b.boundjid.full
            await say(b, room, "still here?")
            err = await b.wait_for_stanza(lambda s: s.name == "message" and s["type"] == "error")
            assert error_condition(err) == "not-acceptable"
    run(scenario())


def test_who_may_kick_whom(prosody, users):
    alice, bob, carol = users(3)

    async def scenario():
        async with clients(prosody, (alice, bob, carol)) as (a, b, c):
            r = await Room.create(a, "Alice")
            room = r.jid
            await r.enter(b, "Bob")
            await r.enter(c, "Carol")
            refused(await admin(b, room, it(nick="Carol", role="none")), "forbidden", "auth")
            await admin_ok(a, room, it(jid=bare(carol), affiliation="admin"),
                           it(nick="Bob", role="moderator"))
            await presence_of(b, room, "Bob", role="moderator")
            # an unaffiliated moderator cannot kick an admin, an admin cannot kick an owner
            refused(await admin(b, room, it(nick="Carol", role="none")), "not-allowed", "cancel")
            refused(await admin(c, room, it(nick="Alice", role="none")), "not-allowed", "cancel")
            refused(await admin(c, room, it(nick="Nobody", role="none")), "item-not-found", "cancel")
            await admin_ok(c, room, it(nick="Bob", role="none"))
            kicked = await presence_of(b, room, "Bob", unavailable=True)
            assert codes(kicked) == {110, 307} and actor_nick(kicked) == "Carol"
    run(scenario())


# §8.3-8.5 voice --------------------------------------------------------------------------

def test_grant_and_revoke_voice_in_a_moderated_room(prosody, users):
    alice, bob, carol = users(3)

    async def scenario():
        async with clients(prosody, (alice, bob, carol)) as (a, b, c):
            r = await Room.create(a, "Alice", field("members_by_default", "0"))
            room = r.jid
            me = await r.enter(b, "Bob")
            assert item(me).get("role") == "visitor"
            await r.enter(c, "Carol")
            await say(b, room, "may I?")
            err = await b.wait_for_stanza(lambda s: s.name == "message" and s["type"] == "error")
            assert error_condition(err) == "forbidden"
            await admin_ok(a, room, it("A worthy witch indeed!", nick="Bob", role="participant"))
            mine = await presence_of(b, room, "Bob", role="participant")
            assert 110 in codes(mine) and mine["type"] != "unavailable"
            seen = await presence_of(c, room, "Bob", role="participant")
            assert reason(seen) == "A worthy witch indeed!" and actor_nick(seen) == "Alice"
            await say(b, room, "thank you")
            await groupchat_from(c, f"{room}/Bob", "thank you")
            await admin_ok(a, room, it("Not so worthy after all!", nick="Bob", role="visitor"))
            lost = await presence_of(c, room, "Bob", role="visitor")
            assert reason(lost) == "Not so worthy after all!"
            await say(b, room, "again?")
            err = await b.wait_for_stanza(lambda s: s.name == "message" and s["type"] == "error")
            assert error_condition(err) == "forbidden"
    run(scenario())


def test_voice_list_and_its_modification_in_one_request(prosody, users):
    alice, bob, carol = users(3)

    async def scenario():
        async with clients(prosody, (alice, bob, carol)) as (a, b, c):
            r = await Room.create(a, "Alice", field("members_by_default", "0"))
            room = r.jid
            await r.enter(b, "Bob")
            await r.enter(c, "Carol")
            await admin_ok(a, room, it(nick="Bob", role="participant"))
            voices = listed(await admin_ok(a, room, it(role="participant"), type_="get"))
            assert [(i.get("nick"), i.get("role"), i.get("affiliation"), i.get("jid"))
                    for i in voices] == [("Bob", "participant", "none", b.boundjid.full)]
            await admin_ok(a, room, it(nick="Bob", role="visitor"),
                           it("A worthy fellow.", nick="Carol", role="participant"))
            await presence_of(a, room, "Bob", role="visitor")
            await presence_of(a, room, "Carol", role="participant")
            voices = listed(await admin_ok(a, room, it(role="participant"), type_="get"))
            assert [i.get("nick") for i in voices] == ["Carol"]
            refused(await admin(b, room, it(role="participant"), type_="get"), "forbidden", "auth")
    run(scenario())


def test_voice_and_moderation_of_admins_and_owners_cannot_be_revoked(prosody, users):
    alice, carol = users(2)

    async def scenario():
        async with clients(prosody, (alice, carol)) as (a, c):
            r = await Room.create(a, "Alice")
            room = r.jid
            await r.enter(c, "Carol")
            await admin_ok(a, room, it(jid=bare(carol), affiliation="admin"))
            refused(await admin(a, room, it(nick="Carol", role="visitor")), "not-allowed", "cancel")
            refused(await admin(a, room, it(nick="Carol", role="participant")),
                    "not-allowed", "cancel")
            refused(await admin(c, room, it(nick="Alice", role="participant")),
                    "not-allowed", "cancel")
    run(scenario())


def test_a_list_change_is_all_or_nothing(prosody, users):
    alice, bob, carol = users(3)

    async def scenario():
        async with clients(prosody, (alice, bob, carol)) as (a, b, c):
            r = await Room.create(a, "Alice")
            room = r.jid
            await r.enter(b, "Bob")
            await r.enter(c, "Carol")
            await admin_ok(a, room, it(jid=bare(carol), affiliation="admin"))
            refused(await admin(a, room, it(nick="Bob", role="visitor"),
                                it(nick="Carol", role="visitor")), "not-allowed", "cancel")
            voices = listed(await admin_ok(a, room, it(role="participant"), type_="get"))
            assert [i.get("nick") for i in voices] == ["Bob"]
    run(scenario())


# §9.6-9.8 moderator status -------------------------------------------------------------------

def test_grant_and_revoke_moderator_status_and_the_moderator_list(prosody, users):
    alice, bob, carol = users(3)

    async def scenario():
        async with clients(prosody, (alice, bob, carol)) as (a, b, c):
            r = await Room.create(a, "Alice")
            room = r.jid
            await r.enter(b, "Bob")
            await r.enter(c, "Carol")
            await admin_ok(a, room, it(nick="Bob", role="moderator"))
            seen = await presence_of(c, room, "Bob", role="moderator")
            assert item(seen).get("affiliation") == "none"
            # a new moderator of a semi-anonymous room is sent the real JIDs it may now see
            await presence_of(b, room, "Carol", jid=c.boundjid.full)
            mods = listed(await admin_ok(a, room, it(role="moderator"), type_="get"))
            assert sorted(i.get("nick") for i in mods) == ["Alice", "Bob"]
            # the new moderator may not grant moderation: that is an admin's privilege
            refused(await admin(b, room, it(nick="Carol", role="moderator")), "forbidden", "auth")
            await admin_ok(a, room, it("Not so worthy after all!", nick="Bob", role="participant"))
            back = await presence_of(c, room, "Bob", role="participant")
            assert reason(back) == "Not so worthy after all!"
    run(scenario())


# §9.1-9.2 banning ----------------------------------------------------------------------------

def test_ban_an_occupant_by_nick_with_301_and_the_ban_list(prosody, users):
    alice, bob, carol = users(3)

    async def scenario():
        async with clients(prosody, (alice, bob, carol)) as (a, b, c):
            r = await Room.create(a, "Alice")
            room = r.jid
            await r.enter(b, "Bob")
            await r.enter(c, "Carol")
            await admin_ok(a, room, it("Treason", nick="Bob", affiliation="outcast"))
            mine = await presence_of(b, room, "Bob", unavailable=True)
            assert codes(mine) == {110, 301}
            assert (item(mine).get("affiliation"), item(mine).get("role")) == ("outcast", "none")
            assert actor_nick(mine) == "Alice" and reason(mine) == "Treason"
            seen = await presence_of(c, room, "Bob", unavailable=True)
            assert codes(seen) == {301} and item(seen).get("affiliation") == "outcast"
            err = await join(b, room, "Bob")
            assert err["type"] == "error" and error_condition(err) == "forbidden"
            bans = listed(await admin_ok(a, room, it(affiliation="outcast"), type_="get"))
            assert len(bans) == 1
            assert bans[0].attrib == {"affiliation": "outcast", "jid": bare(bob)}
            assert bans[0].findtext(f"{{{NS_ADMIN}}}reason") == "Treason"
    run(scenario())


def test_modify_the_ban_list_for_absent_users_and_lift_a_ban(prosody, users):
    alice, dave = users(2)

    async def scenario():
        async with clients(prosody, (alice, dave)) as (a, d):
            r = await Room.create(a, "Alice")
            room = r.jid
            await admin_ok(a, room, it("Treason", jid=bare(dave), affiliation="outcast"),
                           it("Treason", jid="sirthomasgrey@localhost/x", affiliation="outcast"))
            bans = listed(await admin_ok(a, room, it(affiliation="outcast"), type_="get"))
            assert sorted(i.get("jid") for i in bans) == sorted([bare(dave),
                                                                  "sirthomasgrey@localhost"])
            err = await join(d, room, "Dave")
            assert error_condition(err) == "forbidden"
            await admin_ok(a, room, it(jid=bare(dave), affiliation="none"))
            bans = listed(await admin_ok(a, room, it(affiliation="outcast"), type_="get"))
            assert [i.get("jid") for i in bans] == ["sirthomasgrey@localhost"]
            me = await r.enter(d, "Dave")
            assert 110 in codes(me) and item(me).get("affiliation") == "none"
    run(scenario())


def test_nobody_bans_himself_and_admins_cannot_ban_owners(prosody, users):
    alice, carol = users(2)

    async def scenario():
        async with clients(prosody, (alice, carol)) as (a, c):
            r = await Room.create(a, "Alice")
            room = r.jid
            await r.enter(c, "Carol")
            refused(await admin(a, room, it(jid=bare(alice), affiliation="outcast")),
                    "conflict", "cancel")
            refused(await admin(c, room, it(jid=bare(alice), affiliation="outcast")),
                    "forbidden", "auth")
            await admin_ok(a, room, it(jid=bare(carol), affiliation="admin"))
            refused(await admin(c, room, it(jid=bare(alice), affiliation="outcast")),
                    "not-allowed", "cancel")
            refused(await admin(c, room, it(jid=bare(carol), affiliation="outcast")),
                    "conflict", "cancel")
    run(scenario())


def test_an_admin_outside_the_room_bans_without_an_actor(prosody, users):
    alice, bob, carol = users(3)

    async def scenario():
        async with clients(prosody, (alice, bob, carol)) as (a, b, c):
            r = await Room.create(a, "Alice")
            room = r.jid
            await admin_ok(a, room, it(jid=bare(carol), affiliation="admin"))
            await r.enter(b, "Bob")
            await admin_ok(c, room, it("Spam", jid=bare(bob), affiliation="outcast"))
            mine = await presence_of(b, room, "Bob", unavailable=True)
            assert codes(mine) == {110, 301} and actor_nick(mine) is None
            assert reason(mine) == "Spam"
            seen = await presence_of(a, room, "Bob", unavailable=True)
            assert codes(seen) == {301} and item(seen).get("jid") == b.boundjid.full
    run(scenario())


# §9.3-9.5 membership ----------------------------------------------------------------------------

def test_grant_and_revoke_membership_in_an_open_room(prosody, users):
    alice, bob, carol = users(3)

    async def scenario():
        async with clients(prosody, (alice, bob, carol)) as (a, b, c):
            r = await Room.create(a, "Alice")
            room = r.jid
            await r.enter(b, "Bob")
            await r.enter(c, "Carol")
            await admin_ok(a, room, it("A worthy witch indeed!", nick="Bob", affiliation="member"))
            seen = await presence_of(c, room, "Bob", affiliation="member")
            assert item(seen).get("role") == "participant" and reason(seen) == "A worthy witch indeed!"
            members = listed(await admin_ok(a, room, it(affiliation="member"), type_="get"))
            assert [m.attrib for m in members] == [
                {"affiliation": "member", "jid": bare(bob), "nick": "Bob"}]
            await admin_ok(a, room, it(jid=bare(bob), affiliation="none"))
            lost = await presence_of(c, room, "Bob", affiliation="none")
            assert lost["type"] != "unavailable" and item(lost).get("role") == "participant"
            members = listed(await admin_ok(a, room, it(affiliation="member"), type_="get"))
            assert members == []
    run(scenario())


def test_members_only_room_invites_new_members_and_removes_ex_members_with_321(prosody, users):
    alice, bob, carol = users(3)

    async def scenario():
        async with clients(prosody, (alice, bob, carol)) as (a, b, c):
            r = await Room.create(a, "Alice", field("muc#roomconfig_membersonly", "1"))
            room = r.jid
            await admin_ok(a, room, it(jid=bare(bob), affiliation="member"))
            invite = await b.wait_for_stanza(lambda s: s.name == "message" and is_from(s, room))
            inv = invite.xml.find(f"{{{NS_USER}}}x/{{{NS_USER}}}invite")
            assert inv is not None and inv.get("from") == bare(alice)
            err = await join(c, room, "Carol")
            assert error_condition(err) == "registration-required"
            await r.enter(b, "Bob")
            await admin_ok(a, room, it(jid=bare(bob), affiliation="none"))
            mine = await presence_of(b, room, "Bob")
            assert mine["type"] == "unavailable" and codes(mine) == {110, 321}
            assert actor_nick(mine) == "Alice"
            # §9.4: only the removal is sent, no de-affiliation presence before it
            seen = await presence_of(a, room, "Bob")
            assert seen["type"] == "unavailable" and codes(seen) == {321}
            assert item(seen).get("affiliation") == "none"
            err = await join(b, room, "Bob")
            assert error_condition(err) == "registration-required"
    run(scenario())


def test_switching_to_members_only_removes_non_members_with_322(prosody, users):
    alice, bob, carol = users(3)

    async def scenario():
        async with clients(prosody, (alice, bob, carol)) as (a, b, c):
            r = await Room.create(a, "Alice")
            room = r.jid
            await admin_ok(a, room, it(jid=bare(bob), affiliation="member"))
            await r.enter(b, "Bob")
            await r.enter(c, "Carol")
            reply = await owner_submit(a, room, field("muc#roomconfig_membersonly", "1"))
            assert reply["type"] == "result"
            mine = await presence_of(c, room, "Carol", unavailable=True)
            assert codes(mine) == {110, 322}
            for client in (a, b):
                seen = await presence_of(client, room, "Carol", unavailable=True)
                assert codes(seen) == {322} and item(seen).get("role") == "none"
            await b.wait_for_stanza(lambda s: s.name == "message" and is_from(s, room)
                                    and 104 in codes(s))
            await say(b, room, "still in")
            await groupchat_from(b, f"{room}/Bob", "still in")
    run(scenario())


def test_member_list_visibility_follows_anonymity(prosody, users):
    alice, bob = users(2)

    async def scenario():
        async with clients(prosody, (alice, bob)) as (a, b):
            r = await Room.create(a, "Alice")
            room = r.jid
            await admin_ok(a, room, it(jid=bare(bob), affiliation="member"))
            await r.enter(b, "Bob")
            refused(await admin(b, room, it(affiliation="member"), type_="get"), "forbidden", "auth")
            refused(await admin(b, room, it(affiliation="outcast"), type_="get"), "forbidden", "auth")
            reply = await owner_submit(a, room, field("muc#roomconfig_whois", "anyone"))
            assert reply["type"] == "result"
            members = listed(await admin_ok(b, room, it(affiliation="member"), type_="get"))
            assert [m.get("jid") for m in members] == [bare(bob)]
            owners = listed(await admin_ok(b, room, it(affiliation="owner"), type_="get"))
            assert [o.get("jid") for o in owners] == [bare(alice)]
    run(scenario())


# §10.3-10.8 owners and admins ------------------------------------------------------------------

def test_grant_owner_and_admin_status_and_their_lists(prosody, users):
    alice, bob, carol = users(3)

    async def scenario():
        async with clients(prosody, (alice, bob, carol)) as (a, b, c):
            r = await Room.create(a, "Alice")
            room = r.jid
            await r.enter(b, "Bob")
            await r.enter(c, "Carol")
            await admin_ok(a, room, it(jid=bare(bob), affiliation="owner"),
                           it(jid=c.boundjid.full, affiliation="admin"))   # full JID -> bare
            seen = await presence_of(c, room, "Bob", affiliation="owner")
            assert item(seen).get("role") == "moderator"
            seen = await presence_of(b, room, "Carol", affiliation="admin")
            assert item(seen).get("role") == "moderator"
            owners = listed(await admin_ok(a, room, it(affiliation="owner"), type_="get"))
            assert sorted((o.get("jid"), o.get("nick")) for o in owners) == \
                sorted([(bare(alice), "Alice"), (bare(bob), "Bob")])
            assert all(o.get("role") is None for o in owners)
            admins = listed(await admin_ok(a, room, it(affiliation="admin"), type_="get"))
            assert [x.get("jid") for x in admins] == [bare(carol)]
            # an owner revokes another owner's status
            await admin_ok(b, room, it(jid=bare(alice), affiliation="admin"))
            demoted = await presence_of(c, room, "Alice", affiliation="admin")
            assert item(demoted).get("role") == "moderator"
            # owners revoke admin status; the role falls back to the room's default
            await admin_ok(b, room, it(jid=bare(carol), affiliation="none"))
            back = await presence_of(a, room, "Carol", affiliation="none")
            assert item(back).get("role") == "participant"
    run(scenario())


def test_the_last_owner_cannot_step_down(prosody, users):
    alice, bob = users(2)

    async def scenario():
        async with clients(prosody, (alice, bob)) as (a, b):
            r = await Room.create(a, "Alice")
            room = r.jid
            refused(await admin(a, room, it(jid=bare(alice), affiliation="member")),
                    "conflict", "cancel")
            await r.enter(b, "Bob")
            await admin_ok(a, room, it(jid=bare(bob), affiliation="owner"),
                           it(jid=bare(alice), affiliation="member"))
            mine = await presence_of(a, room, "Alice", affiliation="member")
            assert item(mine).get("role") == "participant" and 110 in codes(mine)
            refused(await admin(b, room, it(jid=bare(bob), affiliation="none")), "conflict", "cancel")
    run(scenario())


def test_admins_edit_members_but_not_admins_or_owners(prosody, users):
    alice, carol = users(2)

    async def scenario():
        async with clients(prosody, (alice, carol)) as (a, c):
            r = await Room.create(a, "Alice")
            room = r.jid
            await admin_ok(a, room, it(jid=bare(carol), affiliation="admin"),
                           it(jid="dave@localhost", affiliation="admin"))
            await r.enter(c, "Carol")
            await admin_ok(c, room, it(jid="eve@localhost", affiliation="member"))
            refused(await admin(c, room, it(jid="eve@localhost", affiliation="admin")),
                    "forbidden", "auth")
            refused(await admin(c, room, it(jid="dave@localhost", affiliation="none")),
                    "forbidden", "auth")
            refused(await admin(c, room, it(jid=bare(alice), affiliation="member")),
                    "not-allowed", "cancel")
            refused(await admin(c, room, it(affiliation="owner"), type_="get"), "forbidden", "auth")
            members = listed(await admin_ok(c, room, it(affiliation="member"), type_="get"))
            assert [m.get("jid") for m in members] == ["eve@localhost"]
    run(scenario())


# bad requests (§17.4) ----------------------------------------------------------------------------

def test_malformed_admin_items_get_bad_request(prosody, users):
    alice, bob = users(2)

    async def scenario():
        async with clients(prosody, (alice, bob)) as (a, b):
            r = await Room.create(a, "Alice")
            room = r.jid
            await r.enter(b, "Bob")
            for bad in (it(nick="Bob", jid=bare(bob), role="visitor", affiliation="member"),
                        it(jid=bare(bob), affiliation="king"),
                        it(nick="Bob", role="jester"),
                        it(affiliation="member"),
                        it(jid=bare(bob), role="visitor"),
                        it(nick="Bob")):
                refused(await admin(a, room, bad), "bad-request", "modify")
            refused(await admin(a, room), "bad-request", "modify")
            refused(await admin(a, room, it(affiliation="none"), type_="get"), "bad-request", "modify")
            voices = listed(await admin_ok(a, room, it(role="participant"), type_="get"))
            assert [(v.get("nick"), v.get("role")) for v in voices] == [("Bob", "participant")]
    run(scenario())


# persistence -------------------------------------------------------------------------------------

def test_affiliations_outlive_the_visit(prosody, users):
    alice, bob = users(2)

    async def scenario():
        async with clients(prosody, (alice, bob)) as (a, b):
            r = await Room.create(a, "Alice", field("muc#roomconfig_persistentroom", "1"))
            room = r.jid
            await admin_ok(a, room, it(jid=bare(bob), affiliation="admin"))
            a.send_raw(f"<presence to='{room}/Alice' type='unavailable'/>")
            await presence_of(a, room, "Alice", unavailable=True)
            r.gone("Alice")
            me = await r.enter(b, "Bob")
            assert (item(me).get("affiliation"), item(me).get("role")) == ("admin", "moderator")
            members = listed(await admin_ok(b, room, it(affiliation="outcast"), type_="get"))
            assert members == []
    run(scenario())
