"""muc#admin roles end to end (XEP-0045 §5.1, §8 kick and voice, §9.6-9.8 moderator
status, §17.4 bad requests): real Prosody, `raymuc run`, real slixmpp clients;
assertions on the XML each client receives. Affiliations: test_affiliations.py."""
from __future__ import annotations

import pytest

from tests.e2e.admin_room import (Room, actor_nick, admin, admin_ok, bare, clients, it, listed,
                                  presence_of, reason, refused, run, users)
from tests.e2e.muc import codes, error_condition, field, groupchat_from, item, say

pytestmark = pytest.mark.e2e
__all__ = ["users"]     # the fixture, imported so pytest finds it here


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
