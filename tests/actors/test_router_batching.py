"""The router's batching on a real local Ray with real room hosts and SecantusDB:
stanzas queued behind a room's call travel in its next call, in order; rooms of one
host that are ready together share one Ray call; a batch mixes successes and errors
without losing any stanza's answer; MAX_BATCH bounds a call."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from actors.core import commands as c
from actors.core.effects import ErrorOut, MessageOut
from actors.placement import Placement
from gateway.router import MAX_BATCH, RoomRouter
from tests.actors.lifecycle_ray import BOB, DOMAIN, OWNER, Cluster, join, run

pytestmark = pytest.mark.usefixtures("ray_session")


@pytest.fixture
def cluster(ray_session, embedded_mongo, room_store):
    cl = Cluster(embedded_mongo.uri, room_store._rooms.database.name, room_capacity=50)
    yield cl
    cl.close()


class Collect:
    """The sink: what each room's replies would have written, in write order."""

    def __init__(self):
        self.writes: list[tuple[str, tuple]] = []

    def __call__(self, room_jid: str, effects: tuple) -> None:
        self.writes.append((room_jid, effects))

    def messages_to(self, jid: str, room: str | None = None) -> list:
        return [e.stanza for r, effects in self.writes if room in (None, r) for e in effects
                if jid in e.to and isinstance(e.stanza, (MessageOut, ErrorOut))]


def a_room() -> str:
    return f"b{uuid.uuid4().hex[:8]}@{DOMAIN}"


def say(jid: str, n: int) -> c.Message:
    return c.Message(jid, "", "groupchat", f"m{n}", body=f"n{n}", payload=f"<body>n{n}</body>")


def router_for(cl: Cluster, store, sink, dense: bool = False) -> RoomRouter:
    placement = Placement(cl.ns, rooms_per_actor=50, host_count=1) if dense else cl.placement
    return RoomRouter(placement, cl.settings, store, sink)


async def open_room(router: RoomRouter, room: str, *guests: str) -> None:
    await router.call(room, join(OWNER, "Owner"))
    await router.call(room, c.OwnerSet(OWNER, "cfg", form=c.Form("submit")))
    for i, guest in enumerate(guests):
        await router.call(room, join(guest, f"Guest{i}"))


async def submit_and_wait(router: RoomRouter, items: list[tuple[str, object]]) -> dict:
    before = dict(router.stats)
    for room, cmd in items:          # one loop turn: nothing runs until every one is queued
        router.submit(room, cmd)
    await asyncio.wait_for(router.idle(), 60)
    return {k: router.stats[k] - before[k] for k in ("calls", "stanzas")}


def test_stanzas_queued_behind_a_room_go_in_one_call_and_keep_their_order(cluster, room_store):
    sink, room = Collect(), a_room()
    router = router_for(cluster, room_store, sink)

    async def scenario():
        await open_room(router, room, BOB)
        return await submit_and_wait(router, [(room, say(OWNER, n)) for n in range(40)])

    delta = run(scenario())
    assert delta == {"calls": 1, "stanzas": 40}
    assert [m.id for m in sink.messages_to(BOB)] == [f"m{n}" for n in range(40)]
    assert len(sink.writes) == 1                       # one socket write for the batch


def test_a_batch_is_at_most_max_batch_stanzas(cluster, room_store):
    sink, room = Collect(), a_room()
    router = router_for(cluster, room_store, sink)

    async def scenario():
        await open_room(router, room)
        return await submit_and_wait(router, [(room, say(OWNER, n)) for n in range(MAX_BATCH + 6)])

    delta = run(scenario())
    assert delta == {"calls": 2, "stanzas": MAX_BATCH + 6}
    assert [m.id for m in sink.messages_to(OWNER)] == [f"m{n}" for n in range(MAX_BATCH + 6)]


def test_errors_inside_a_batch_answer_their_own_sender_in_place(cluster, room_store):
    sink, room = Collect(), a_room()
    router = router_for(cluster, room_store, sink)
    stranger = "stranger@localhost/s"

    async def scenario():
        await open_room(router, room, BOB)
        await submit_and_wait(router, [(room, say(OWNER, 0)), (room, say(stranger, 1)),
                                       (room, say(BOB, 2)), (room, c.Presence(BOB, "Guest0", False)),
                                       (room, say(BOB, 3)), (room, say(OWNER, 4))])

    run(scenario())
    assert [m.id for m in sink.messages_to(OWNER) if isinstance(m, MessageOut)] == ["m0", "m2", "m4"]
    [refused] = sink.messages_to(stranger)
    assert isinstance(refused, ErrorOut) and refused.error.condition == "not-acceptable"
    [gone] = [m for m in sink.messages_to(BOB) if isinstance(m, ErrorOut)]
    assert gone.id == "m3"                             # Bob had left when m3 came


def test_rooms_of_one_host_ready_together_share_one_ray_call(cluster, room_store):
    sink = Collect()
    router = router_for(cluster, room_store, sink, dense=True)
    rooms = [a_room() for _ in range(4)]

    async def scenario():
        for room in rooms:
            await open_room(router, room)
        return await submit_and_wait(router, [(room, say(OWNER, n)) for n, room in enumerate(rooms)])

    delta = run(scenario())
    assert delta == {"calls": 1, "stanzas": 4}
    for n, room in enumerate(rooms):
        assert [m.id for m in sink.messages_to(OWNER, room)] == [f"m{n}"]


def test_a_join_access_create_denies_starts_no_room_process(cluster, room_store):
    from types import MappingProxyType
    from actors.core.access import AccessRules
    from actors.core.policy import ServicePolicy
    from actors.settings import HostSettings, ServiceSettings
    rules = AccessRules.from_tables({"creators": [{"user": "owner"}]},
                                    {"muc_create": [{"acl": "creators", "value": "allow"}]},
                                    ("localhost",))
    service = ServiceSettings(ServicePolicy(DOMAIN, rules=rules, server_host="localhost"),
                              cluster.settings.services[DOMAIN].seed, access_create="muc_create")
    settings = HostSettings(MappingProxyType({DOMAIN: service}), cluster.settings.mongo_uri,
                            database=cluster.settings.database, namespace=cluster.ns)
    router = RoomRouter(cluster.placement, settings, room_store, Collect())
    room = a_room()
    [refused] = run(router.call(room, join(BOB, "Bob")))
    assert refused.to == (BOB,) and refused.stanza.error.condition == "not-allowed"
    assert cluster.host(room) is None and router.stats["created"] == 0
    created = run(router.call(room, join(OWNER, "Owner")))
    assert cluster.host(room) is not None and router.stats["created"] == 1
    assert not [e for e in created if isinstance(e.stanza, ErrorOut)]
