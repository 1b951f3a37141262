"""Hibernation and deep hibernation inside one room host (actors/lifecycle.py), without
Ray: real SecantusDB, the host's own timer with timeouts of a few hundred ms; the
gateway's push channel is replaced by a list (tests/actors/test_deferred.py's Pushes)."""
from __future__ import annotations

import asyncio
import uuid

from actors.core import commands as c
from actors.core.effects import ErrorOut, PresenceOut
from actors.core.policy import ServicePolicy
from actors.core.state import RoomSeed
from actors.directory import EventKind
from tests.actors.test_deferred import BOB, DOMAIN, OWNER, host_for, instant_room, join, say, \
    stanzas, until

PERSISTENT = RoomSeed(config={"persistent": True, "title": "Kept"})
CAROL = "carol@localhost/c"


def lifecycle_host(mongo, seed=PERSISTENT, **settings):
    settings.setdefault("hibernate_timeout", 200)
    settings.setdefault("hibernated_room_timeout", 300)
    settings.setdefault("room_capacity", 100)        # several rooms in this one host
    host = host_for(mongo, ServicePolicy(DOMAIN), seed, **settings)
    sent = []
    host.lifecycle.reporter.send = lambda method, *args: sent.append((method, args))
    return host, sent


def events(sent) -> list:
    return [(ev.kind, ev.jid) for method, args in sent if method == "report" for ev in args[1]]


def a_room() -> str:
    return f"r{uuid.uuid4().hex[:8]}@{DOMAIN}"


def hibernated(host, room) -> bool:
    status = host.lifecycle.status(room)
    return bool(status and status["hibernated"])


def test_an_idle_room_hibernates_and_any_stanza_wakes_it(embedded_mongo):
    host, sent = lifecycle_host(embedded_mongo, seed=RoomSeed())
    room = a_room()

    async def scenario():
        await instant_room(host, room)
        assert not hibernated(host, room)
        await until(lambda: hibernated(host, room), 10)
        assert host.lifecycle.counters["hibernations"] == 1
        assert room not in host.locks                         # rebuilt on demand
        assert (EventKind.HIBERNATED, room) in events(sent)
        out = (await host.handle(room, say(OWNER, "awake?"))).effects
        assert stanzas(out, OWNER)                            # served as usual
        assert not hibernated(host, room)
        assert events(sent)[-1] == (EventKind.WOKE, room)
        await until(lambda: hibernated(host, room), 10)       # and it sleeps again
        assert host.lifecycle.counters["hibernations"] == 2
    asyncio.run(scenario())


def test_infinity_never_hibernates(embedded_mongo):
    host, sent = lifecycle_host(embedded_mongo, seed=RoomSeed(), hibernate_timeout=None)
    room = a_room()

    async def scenario():
        await instant_room(host, room)
        host.lifecycle.round(host.lifecycle.active[room] + 10_000)   # far in the future
        assert not hibernated(host, room)
        assert host.lifecycle.counters["hibernations"] == 0
    asyncio.run(scenario())


def test_deep_hibernation_tells_the_owner_and_the_room_comes_back_intact(embedded_mongo):
    host, sent = lifecycle_host(embedded_mongo)
    room = a_room()

    async def scenario():
        await instant_room(host, room)
        await host.handle(room, c.Message(OWNER, "", "groupchat", "s1", subject="Topic"))
        before = host.room_state(room)
        secret = host.rooms[room].secret
        refused = await host.deep_hibernate(room)
        assert refused["done"] is False and "hibernated" in refused["reason"]
        await until(lambda: hibernated(host, room), 10)
        await asyncio.sleep(0.35)                             # past hibernated_room_timeout
        done = await host.deep_hibernate(room)
        assert done == {"done": True, "told": [OWNER], "host_empty": True}
        assert room not in host.rooms and room not in host.locks
        [pushed] = host.deferred.push.batches
        [gone] = stanzas(pushed, OWNER, PresenceOut)
        assert gone.unavailable and set(gone.codes) == {110, 332}
        assert (gone.item.affiliation, gone.item.role, gone.item.reason) == \
            ("owner", "none", "Room hibernation")
        assert events(sent)[-1] == (EventKind.DEEP_HIBERNATED, room)
        assert host.store.load(room).version == before["version"]   # nothing left to write
        # any stanza recreates it from storage, config, affiliations, subject and secret intact
        info = (await host.handle(room, c.DiscoInfo(BOB, "d1"))).effects
        assert info and not stanzas(info, BOB, ErrorOut)
        after = host.room_state(room)
        assert {k: after[k] for k in ("config", "affiliations", "subject", "version")} == \
            {k: before[k] for k in ("config", "affiliations", "subject", "version")}
        assert host.rooms[room].secret == secret
        assert host.counters["recreations"] == 1
        assert events(sent)[-1] == (EventKind.RECREATED, room)
    asyncio.run(scenario())


def test_only_persistent_rooms_with_owners_alone_are_deep_hibernated(embedded_mongo):
    host, _ = lifecycle_host(embedded_mongo, seed=RoomSeed(config={"persistent": False}))
    temporary, crowded = a_room(), a_room()

    async def scenario():
        await instant_room(host, temporary)
        result = await host.deep_hibernate(temporary, manual=True)
        assert result["done"] is False and "not persistent" in result["reason"]
        await instant_room(host, crowded)
        await host.handle(crowded, c.OwnerSet(OWNER, "p", form=c.Form(
            "submit", (("muc#roomconfig_persistentroom", ("1",)),))))
        await host.handle(crowded, join(BOB, "Bob"))
        result = await host.deep_hibernate(crowded, manual=True)
        assert result["done"] is False and "others than its owners" in result["reason"]
        assert crowded in host.rooms and temporary in host.rooms
        await host.handle(crowded, c.Presence(BOB, "Bob", False))
        assert (await host.deep_hibernate(crowded, manual=True))["done"] is True
    asyncio.run(scenario())


def test_a_stanza_waiting_on_the_lock_recreates_the_room_after_deep_hibernation(embedded_mongo):
    host, _ = lifecycle_host(embedded_mongo)
    room = a_room()

    async def scenario():
        await instant_room(host, room)
        stop = asyncio.create_task(host.deep_hibernate(room, manual=True))
        join_reply = asyncio.create_task(host.handle(room, join(BOB, "Bob")))
        assert (await stop)["done"] is True
        reply = await join_reply
        assert any(110 in p.codes for p in stanzas(reply.effects, BOB, PresenceOut))
        assert host.counters["recreations"] == 1 and "Bob" in host.rooms[room].occupants
    asyncio.run(scenario())


def test_stop_room_removes_everyone_with_332(embedded_mongo):
    host, sent = lifecycle_host(embedded_mongo, seed=RoomSeed())
    room = a_room()

    async def scenario():
        await instant_room(host, room)
        await host.handle(room, join(BOB, "Bob"))
        await host.handle(room, join(CAROL, "Carol"))
        result = await host.stop_room(room)
        assert result["done"] is True and set(result["told"]) == {OWNER, BOB, CAROL}
        pushed = host.deferred.push.batches[-1]
        for who in (OWNER, BOB, CAROL):
            mine = [p for p in stanzas(pushed, who, PresenceOut) if 110 in p.codes]
            assert len(mine) == 1 and 332 in mine[0].codes and mine[0].unavailable
        assert room not in host.rooms
        assert events(sent)[-1] == (EventKind.CLOSED, room)
        # a temporary room is gone for good: nothing to recreate it from
        reply = await host.handle(room, c.DiscoInfo(BOB, "d2"))
        [err] = stanzas(reply.effects, BOB, ErrorOut)
        assert err.error.condition == "item-not-found"
    asyncio.run(scenario())


def test_the_directory_hears_of_opening_changes_and_closing(embedded_mongo):
    host, sent = lifecycle_host(embedded_mongo, seed=RoomSeed(), hibernate_timeout=None,
                                directory_renew=0.1)
    room = a_room()

    async def scenario():
        await instant_room(host, room)
        await host.handle(room, join(BOB, "Bob"))
        await host.handle(room, say(BOB, "no change to report"))
        await host.handle(room, c.Presence(BOB, "Bob", False))
        await until(lambda: any(m == "renew" for m, _ in sent), 10)
        await host.handle(room, c.Presence(OWNER, "Owner", False))   # temporary: closes
    asyncio.run(scenario())
    kinds = [k for k, j in events(sent) if j == room]
    assert kinds == [EventKind.OPENED, EventKind.CHANGED, EventKind.CHANGED, EventKind.CHANGED,
                     EventKind.CLOSED]
    renewed = [args[1] for m, args in sent if m == "renew"][0]
    assert [(i.jid, i.occupants, i.persistent) for i in renewed] == [(room, 1, False)]
