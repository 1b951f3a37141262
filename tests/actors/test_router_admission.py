"""Admission before a room starts (issue 15, "unbounded processes"), on a real local Ray
with real room hosts, the real conference registry and supervisor, and SecantusDB: a
join that a rule refuses (max_room_id, max_user_conferences, the per-user creation
rate, the live-room cap) starts no room process; disco#info and disco#items of a
stored room that is not running are answered from storage without starting it, as
the running room answers; stanzas other than joins never create a room."""
from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

import pytest

from actors.core import commands as c
from actors.core.effects import ErrorOut, IqResult
from actors.core.state import RoomSeed
from actors.supervisor import operate
from tests.actors.lifecycle_ray import BOB, DOMAIN, OWNER, Cluster, create_persistent, join, run
from tests.actors.test_router_batching import Collect, a_room

pytestmark = pytest.mark.usefixtures("ray_session")
STRANGER = "stranger@localhost/s"


@pytest.fixture
def cluster(ray_session, embedded_mongo, room_store):
    cl = Cluster(embedded_mongo.uri, room_store._rooms.database.name)
    yield cl
    cl.close()


def router_with(cl: Cluster, store, live_room_cap: bool = False, **service):
    svc = replace(cl.settings.services[DOMAIN], **service)
    cap = {"live_room_cap": True} if live_room_cap else {}     # (old code has no such field)
    settings = replace(cl.settings, services=MappingProxyType({DOMAIN: svc}), **cap)
    cl.settings = settings
    return cl.router(store, Collect())


def errors(effects) -> list[tuple[str, str]]:
    return [(e.stanza.error.condition, e.stanza.error.type) for e in effects
            if isinstance(e.stanza, ErrorOut)]


def test_a_join_over_max_room_id_is_refused_before_any_process_starts(cluster, room_store):
    router = router_with(cluster, room_store, max_room_id=8)
    room = f"x{'a' * 8}@{DOMAIN}"
    assert errors(run(router.call(room, join(OWNER, "Owner")))) == [("not-allowed", "cancel")]
    assert router.stats["created"] == 0 and cluster.host(room) is None


def test_a_join_at_max_user_conferences_starts_no_process(cluster, room_store):
    router = router_with(cluster, room_store, max_user_conferences=1)
    first, second = a_room(), a_room()
    assert errors(run(router.call(first, join(BOB, "Bob")))) == []
    refused = run(router.call(second, join(BOB, "Bob")))
    assert errors(refused) == [("service-unavailable", "wait")]
    assert "too many rooms" in refused[0].stanza.error.text
    assert router.stats["created"] == 1 and cluster.host(second) is None


def test_room_creations_per_minute_are_capped_per_user(cluster, room_store):
    router = router_with(cluster, room_store, max_room_creations_per_minute=3)
    got = [errors(run(router.call(a_room(), join(BOB, "Bob")))) for _ in range(5)]
    assert got == [[], [], [], [("resource-constraint", "wait")], [("resource-constraint", "wait")]]
    assert router.stats["created"] == 3
    # another user is not affected
    assert errors(run(router.call(a_room(), join(OWNER, "Owner")))) == []


def test_stanzas_other_than_joins_never_create_a_room(cluster, room_store):
    router = router_with(cluster, room_store)
    room = a_room()
    effects = run(router.call(room, c.DiscoInfo(STRANGER, "d1")))
    effects += run(router.call(room, c.Message(STRANGER, "", "groupchat", "m1", body="x")))
    assert errors(effects) == [("item-not-found", "cancel")] * 2
    assert router.stats["created"] == 0 and cluster.host(room) is None


@pytest.mark.parametrize("config", [{}, {"public": False}, {"members_only": True}],
                         ids=["public", "hidden", "members-only"])
def test_disco_of_a_stored_room_is_answered_from_storage_as_the_running_room(
        cluster, room_store, config):
    router = router_with(cluster, room_store,
                         seed=RoomSeed(config={"persistent": True, "title": "Kept", **config}))
    room = a_room()

    async def configure():     # asked once everyone left: a stored room has no occupants
        await create_persistent(router, room)
        await router.call(room, c.Presence(OWNER, "Owner", False))
        return await ask()

    async def ask(r=None):
        r = r or router
        return [eff for q in (c.DiscoInfo(STRANGER, "d1"), c.DiscoInfo(OWNER, "d2"),
                              c.DiscoItems(STRANGER, "d3"))
                for eff in await r.call(room, q)]

    running = run(configure())
    assert all(isinstance(e.stanza, IqResult) for e in running)
    assert operate(cluster.placement, room, "hibernate")["done"]
    assert cluster.host(room) is None
    fresh = cluster.router(room_store, Collect())
    stored = run(ask(fresh))
    assert stored == running
    assert fresh.stats["created"] == 0 and cluster.host(room) is None
    if config:     # the privacy rules held: the stranger saw less than the owner
        info = {e.stanza.id: e.stanza.payload.forms[0] for e in stored if e.stanza.id != "d3"}
        assert len(info["d1"].fields) < len(info["d2"].fields)


def test_the_live_room_cap_refuses_starts_beyond_it(cluster, room_store):
    cluster.start_supervisor(live_rooms_per_node=2)
    router = router_with(cluster, room_store, live_room_cap=True)
    got = [errors(run(router.call(a_room(), join(BOB, "Bob")))) for _ in range(3)]
    assert got == [[], [], [("resource-constraint", "wait")]]
    assert router.stats["created"] == 2


def test_the_live_room_cap_fails_closed_without_a_supervisor(cluster, room_store):
    router = router_with(cluster, room_store, live_room_cap=True)
    room = a_room()
    assert errors(run(router.call(room, join(BOB, "Bob")))) == [("service-unavailable", "wait")]
    assert router.stats["created"] == 0 and cluster.host(room) is None
