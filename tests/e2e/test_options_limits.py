"""mod_muc limits end to end, each at its edge (the Nth admitted, the N+1th refused):
max_room_id, max_room_name, max_room_desc, max_users with max_users_admin_threshold,
max_user_conferences (across room processes, released on leave, kick, destroy and a
crashed room host) and history_size."""
from __future__ import annotations

import asyncio
import secrets

import pytest

from tests.e2e.muc import (codes, create_instant, error_condition, field, item, join,
                           owner_submit, say)
from tests.e2e.muc_flow import NS_ADMIN, NS_DISCO_INFO, iq
from tests.e2e.options_stack import OptionsStack, crash_actor, error_text, error_type, leave

pytestmark = pytest.mark.e2e
ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig"

EXTRA = """
max_room_id = 8
max_room_name = 10
max_room_desc = 12
max_users = 2
max_users_admin_threshold = 1
max_user_conferences = 2
history_size = 3
access_admin = "muc_admin"
default_room.max_users = 2
[acl]
admins = [{user = "sadmin"}]
[access]
muc_admin = [{acl = "admins", value = "allow"}]
"""
USERS = ("owner", "u1", "u2", "radmin", "radmin2", "sadmin", "roamer")


@pytest.fixture(scope="module")
def stack():
    s = OptionsStack("limits", EXTRA, USERS).start()
    yield s
    s.stop()


def run(coro):
    return asyncio.run(coro)


async def fresh_join(client, room: str, nick: str):
    """join() after forgetting older stanzas (a 303 from an earlier nick would match)."""
    client.inbox.drain()
    return await join(client, room, nick)


def form(*pairs: tuple[str, str]) -> str:
    return field("FORM_TYPE", ROOMCONFIG) + "".join(field(var, value) for var, value in pairs)


# max_room_id --------------------------------------------------------------------------

def test_max_room_id_8_characters_created_9_refused_not_allowed(stack):
    eight = f"{secrets.token_hex(4)}@{stack.domain}"
    nine = f"x{secrets.token_hex(4)}@{stack.domain}"

    async def scenario():
        async with stack.client("owner") as owner:
            pres = await join(owner, nine, "Owner")
            assert error_condition(pres) == "not-allowed" and error_type(pres) == "cancel"
            assert "longer than 8 characters" in error_text(pres)
            pres = await join(owner, eight, "Owner")
            assert 201 in codes(pres)
    run(scenario())


# max_room_name / max_room_desc ---------------------------------------------------------

def test_max_room_name_and_desc_at_the_limit_accepted_one_more_refused(stack):
    room = f"n{secrets.token_hex(3)}@{stack.domain}"

    async def scenario():
        async with stack.client("owner") as owner:
            await create_instant(owner, room, "Owner")
            for var, limit in (("muc#roomconfig_roomname", 10), ("muc#roomconfig_roomdesc", 12)):
                reply = await owner_submit(owner, room, form((var, "x" * (limit + 1))))
                assert error_condition(reply) == "not-acceptable", (var, reply)
                reply = await owner_submit(owner, room, form((var, "é" * limit)))   # characters
                assert reply["type"] == "result", (var, reply)
            info = await iq(owner, room, f"<query xmlns='{NS_DISCO_INFO}'/>")
            ident = info.xml.find(f"{{{NS_DISCO_INFO}}}query/{{{NS_DISCO_INFO}}}identity")
            assert ident.get("name") == "é" * 10
    run(scenario())


# max_users + max_users_admin_threshold --------------------------------------------------

def test_max_users_2_then_admins_up_to_threshold_then_service_admin(stack):
    room = f"m{secrets.token_hex(3)}@{stack.domain}"

    async def scenario():
        async with stack.client("owner") as owner, stack.client("u1") as u1, \
                stack.client("u2") as u2, stack.client("radmin") as ra, \
                stack.client("radmin2") as ra2, stack.client("sadmin") as sa:
            await create_instant(owner, room, "Owner")                      # 1
            for who in ("radmin", "radmin2"):
                reply = await iq(owner, room, f"<query xmlns='{NS_ADMIN}'><item affiliation='admin' "
                                 f"jid='{stack.jid(who)}'/></query>", type="set")
                assert reply["type"] == "result"
            assert (await join(u1, room, "U1"))["type"] != "error"           # 2 = max_users
            pres = await join(u2, room, "U2")                                # 3: refused
            assert (error_condition(pres), error_type(pres)) == ("service-unavailable", "wait")
            pres = await join(ra, room, "RA")                                # 3 = 2 + threshold
            assert pres["type"] != "error" and item(pres).get("affiliation") == "admin"
            pres = await join(ra2, room, "RA2")                              # 4: even admins
            assert error_condition(pres) == "service-unavailable"
            pres = await join(sa, room, "SA")                                # service admin: always
            assert pres["type"] != "error" and item(pres).get("affiliation") == "owner"
            # a room's own max_users above the service's is capped to it (as MongooseIM)
            assert (await owner_submit(owner, room, form(("muc#roomconfig_maxusers", "3"))))[
                "type"] == "result"
            pres = await join(u2, room, "U2")               # the limit is still 2
            assert error_condition(pres) == "service-unavailable"
            assert (await owner_submit(owner, room, form(("muc#roomconfig_maxusers", "1"))))[
                "type"] == "result"
            await leave(u1, room, "U1")
            pres = await join(u2, room, "U2")               # room limit now 1: still full
            assert error_condition(pres) == "service-unavailable"
    run(scenario())


# max_user_conferences --------------------------------------------------------------------

def test_max_user_conferences_2_across_room_processes_released_on_leave_kick_destroy(stack):
    rooms = [f"c{i}{secrets.token_hex(3)}@{stack.domain}" for i in range(5)]

    async def scenario():
        async with stack.client("sadmin") as sa, stack.client("roamer") as ro:
            for room in rooms:                          # service admins are not counted
                await create_instant(sa, room, "SA")
            a, b, c, d, e = rooms
            assert (await fresh_join(ro, a, "Ro"))["type"] != "error"          # 1
            assert (await fresh_join(ro, b, "Ro"))["type"] != "error"          # 2 = the limit
            pres = await fresh_join(ro, c, "Ro")                               # 3: refused
            assert (error_condition(pres), error_type(pres)) == ("service-unavailable", "wait")
            assert "too many rooms" in error_text(pres)
            pres = await fresh_join(ro, a, "Ro2")                  # a nick change in a room it is in
            assert pres["type"] != "error"
            await leave(ro, a, "Ro2")                                    # leave frees one
            assert (await fresh_join(ro, c, "Ro"))["type"] != "error"
            assert error_condition(await fresh_join(ro, d, "Ro")) == "service-unavailable"
            kick = await iq(sa, b, f"<query xmlns='{NS_ADMIN}'><item role='none' nick='Ro'/>"
                            "</query>", type="set")                      # a kick frees one
            assert kick["type"] == "result"
            assert (await fresh_join(ro, d, "Ro"))["type"] != "error"
            destroy = await iq(sa, c, "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                               "<destroy/></query>", type="set")          # destroy frees one
            assert destroy["type"] == "result"
            assert (await fresh_join(ro, e, "Ro"))["type"] != "error"
            assert error_condition(await fresh_join(ro, a, "Ro")) == "service-unavailable"
    run(scenario())


def test_max_user_conferences_slots_of_a_crashed_room_host_are_released(stack):
    rooms = [f"k{i}{secrets.token_hex(3)}@{stack.domain}" for i in range(3)]

    async def scenario():
        async with stack.client("sadmin") as sa, stack.client("roamer") as ro:
            for room in rooms:
                await create_instant(sa, room, "SA")
            a, b, c = rooms
            await fresh_join(ro, a, "Ro")
            await fresh_join(ro, b, "Ro")
            assert error_condition(await fresh_join(ro, c, "Ro")) == "service-unavailable"
            await asyncio.to_thread(crash_actor, stack, a)   # room a's process dies
            # the restarted host answers only after dropping its predecessor's slots
            info = await iq(sa, a, f"<query xmlns='{NS_DISCO_INFO}'/>")
            assert error_condition(info) == "item-not-found"   # a temporary room: gone
            assert (await fresh_join(ro, c, "Ro"))["type"] != "error"
    run(scenario())


# history_size ------------------------------------------------------------------------------

def test_history_size_3_keeps_the_last_3_messages(stack):
    room = f"h{secrets.token_hex(3)}@{stack.domain}"

    async def scenario():
        async with stack.client("owner") as owner, stack.client("u1") as u1:
            await create_instant(owner, room, "Owner")
            for n in range(1, 5):
                await say(owner, room, f"m{n}")
                await owner.wait_for_stanza(lambda s, n=n: s.name == "message"
                                            and s["body"] == f"m{n}")
            u1.inbox.drain()
            await join(u1, room, "U1")
            await u1.wait_for_stanza(lambda s: s.name == "message"
                                     and s.xml.find("{jabber:client}subject") is not None)
            got = [s["body"] for s in u1.inbox.drain() if s.name == "message" and s["body"]]
            assert got == ["m2", "m3", "m4"]
    run(scenario())
