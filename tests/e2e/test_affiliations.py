"""muc#admin affiliations end to end (XEP-0045 §5.2, §9.1-9.5 bans and membership,
§10.3-10.8 owners and admins, members-only rooms): real Prosody, `raymuc run`, real
slixmpp clients; assertions on the XML each client receives."""
from __future__ import annotations

import pytest

from tests.e2e.admin_room import (NS_ADMIN, Room, actor_nick, admin, admin_ok, bare, clients, it,
                                  listed, presence_of, reason, refused, run, users)
from tests.e2e.muc import (NS_USER, codes, error_condition, field, groupchat_from, is_from, item,
                           join, owner_submit, say)

pytestmark = pytest.mark.e2e
__all__ = ["users"]     # the fixture, imported so pytest finds it here


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
