"""Room host actors on a real local Ray with real SecantusDB: recreation on demand when
the record is gone or storage is down, recovery of a SIGKILLed room actor without
losing a change its client was told had succeeded, and two gateways (two routers of
this driver plus a second driver process) waking the same room at once."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from actors.core import commands as c
from actors.core.effects import ErrorOut, IqResult, PresenceOut
from actors.supervisor import operate
from persistence.store import RoomStore
from tests.actors.lifecycle_ray import BOB, DOMAIN, OWNER, Cluster, create_persistent, join, \
    run, wait_until

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def cluster(ray_session, embedded_mongo, room_store):
    cl = Cluster(embedded_mongo.uri, room_store._rooms.database.name)
    cl.start_supervisor(check_interval=None)        # rooms leave only when a test says so
    yield cl
    cl.close()


def a_room(prefix="r") -> str:
    import uuid
    return f"{prefix}{uuid.uuid4().hex[:8]}@{DOMAIN}"


def conditions(effects) -> list[str]:
    return [e.stanza.error.condition for e in effects if isinstance(e.stanza, ErrorOut)]


def title_of(effects) -> str:
    [result] = [e.stanza for e in effects if isinstance(e.stanza, IqResult)]
    return result.payload.identities[0][2]


def dead_mongo_uri() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"mongodb://127.0.0.1:{port}/?serverSelectionTimeoutMS=300"


def test_a_room_whose_record_is_gone_is_not_found_and_a_join_creates_a_new_one(cluster,
                                                                               room_store):
    room = a_room()
    router = cluster.router(room_store)
    run(create_persistent(router, room))
    assert operate(cluster.placement, room, "hibernate")["done"] is True
    assert cluster.host(room) is None
    assert room_store.delete(room)
    assert conditions(run(router.call(room, c.DiscoInfo(BOB, "d1")))) == ["item-not-found"]
    assert conditions(run(router.call(room, c.OwnerGet(OWNER, "o1")))) == ["item-not-found"]
    assert cluster.host(room) is None                         # nothing was started for it
    created = run(router.call(room, join(BOB, "Bob")))
    assert any(201 in e.stanza.codes for e in created if isinstance(e.stanza, PresenceOut))


def test_storage_down_answers_service_unavailable_and_recreates_nothing(cluster, room_store,
                                                                       embedded_mongo):
    room = a_room()
    run(create_persistent(cluster.router(room_store), room))
    assert operate(cluster.placement, room, "hibernate")["done"] is True
    down = RoomStore.from_uri(dead_mongo_uri(), timeout_ms=300)
    router = cluster.router(down)                    # a gateway that can't reach storage
    for stanza in (c.DiscoInfo(BOB, "d1"), c.Message(BOB, "", "groupchat", "m", body="x"),
                   c.OwnerGet(OWNER, "o1")):
        assert conditions(run(router.call(room, stanza))) == ["service-unavailable"]
        assert cluster.host(room) is None
    # a gateway that reads storage starts the host; the host can't load
    dead = Cluster(dead_mongo_uri(), "nowhere")
    try:
        other = dead.router(room_store)
        assert conditions(run(other.call(room, join(BOB, "Bob")))) == ["service-unavailable"]
        wait_until(lambda: dead.host(room) is None)  # the empty host retired itself
    finally:
        dead.close()
    assert room_store.load(room).config["title"] == "Kept"   # nothing overwritten


def test_a_sigkilled_room_comes_back_with_every_change_it_confirmed(cluster, room_store):
    import ray
    room = a_room()
    router = cluster.router(room_store)
    run(create_persistent(router, room))
    before = ray.get(cluster.host(room).whoami.remote())
    reply = run(router.call(room, c.OwnerSet(OWNER, "rename", form=c.Form(
        "submit", (("muc#roomconfig_roomname", ("Renamed",)),)))))
    assert IqResult in [type(e.stanza) for e in reply]        # the client was told: success
    os.kill(before["pid"], signal.SIGKILL)                     # at once, no time to flush
    after_kill = run(router.call(room, c.DiscoInfo(BOB, "d1")))
    assert title_of(after_kill) == "Renamed"
    now = ray.get(cluster.host(room).whoami.remote())
    assert now["pid"] != before["pid"] and now["name"] == room   # Ray restarted it by name
    assert now["incarnation"] != before["incarnation"]
    assert ray.get(cluster.host(room).stats.remote())["recreations"] == 1
    wait_until(lambda: cluster.counter("mod_muc_process_recreations_count") == 1)


def test_the_occupants_of_a_sigkilled_room_are_told_to_rejoin(cluster, room_store):
    # the host's restart resets its directory entries; the supervisor tells each session
    # of the rooms it held, through the gateway, with 110 + 332 (issue 15, item 4)
    import ray
    room = a_room()
    router = cluster.router(room_store)
    run(create_persistent(router, room))
    run(router.call(room, join(BOB, "Bob")))
    wait_until(lambda: [r for r in cluster.rooms() if r.jid == room and len(r.sessions) == 2])
    cluster.pushed()                                            # nothing before the crash
    os.kill(ray.get(cluster.host(room).whoami.remote())["pid"], signal.SIGKILL)
    told: dict[str, PresenceOut] = {}

    def both_told() -> bool:
        for jid, effects in cluster.pushed():
            assert jid == room
            told.update({e.to[0]: e.stanza for e in effects})
        return set(told) == {OWNER, BOB}
    wait_until(both_told)
    assert {(p.nick, p.unavailable, p.codes, p.item.role) for p in told.values()} == \
        {("Owner", True, (110, 332), "none"), ("Bob", True, (110, 332), "none")}
    # and the room takes them back, its stored state intact
    effects = run(router.call(room, join(BOB, "Bob")))
    [self_presence] = [e.stanza for e in effects if isinstance(e.stanza, PresenceOut)
                       and 110 in e.stanza.codes]
    assert self_presence.item.affiliation == "none" and not self_presence.unavailable
    assert title_of(run(router.call(room, c.DiscoInfo(BOB, "d2")))) == "Kept"


_SECOND_DRIVER = """
import asyncio, sys, time
from pathlib import Path
from raymuc import raysession
from tests.actors.lifecycle_ray import Cluster
from actors.core import commands as c
from persistence.store import RoomStore
session_file, ns, uri, database, room, go = sys.argv[1:7]
raysession.connect(raysession.RaySession.from_file(Path(session_file)), namespace=ns)
import ray
from actors.placement import Placement
from actors.settings import HostSettings
cl = Cluster.__new__(Cluster)          # the same settings, without a second gateway probe
cl.ns, cl.placement = ns, Placement(ns)
from tests.actors import lifecycle_ray as lr
from types import MappingProxyType
from actors.core.policy import ServicePolicy
from actors.settings import ServiceSettings
cl.settings = HostSettings(MappingProxyType({lr.DOMAIN: ServiceSettings(ServicePolicy(lr.DOMAIN),
                           lr.PERSISTENT)}), uri, database=database, namespace=ns,
                           hibernate_timeout=200, hibernated_room_timeout=300, directory_renew=0.5)
router = cl.router(RoomStore.from_uri(uri, database=database))
print("ready", flush=True)
time.sleep(max(0.0, float(go) - time.time()))
effects = asyncio.run(router.call(room, c.Ping("carol@localhost/c", "race")))  # wakes it; a disco is answered from storage
who = ray.get(cl.host(room).whoami.remote())
print("result", type(effects[0].stanza).__name__, who["incarnation"], flush=True)
"""


def test_two_gateways_waking_one_room_at_once_get_one_actor(cluster, room_store, ray_session,
                                                            embedded_mongo, tmp_path):
    import ray
    room = a_room()
    run(create_persistent(cluster.router(room_store), room))
    assert operate(cluster.placement, room, "hibernate")["done"] is True
    ray_session.to_file(tmp_path / "session.json")
    go = time.time() + 15
    driver = subprocess.Popen([sys.executable, "-c", _SECOND_DRIVER, str(tmp_path / "session.json"),
                               cluster.ns, embedded_mongo.uri, room_store._rooms.database.name,
                               room, str(go)], cwd=REPO, stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, PYTHONPATH=str(REPO)))
    try:
        assert driver.stdout.readline().strip() == "ready"
        first, second = cluster.router(room_store), cluster.router(room_store)

        async def race():
            await asyncio.sleep(max(0.0, go - time.time()))
            return await asyncio.gather(first.call(room, c.Ping(BOB, "a")),
                                        second.call(room, c.Ping(OWNER, "b")))
        replies = run(race())
        other = driver.stdout.readline().split()
        assert driver.wait(60) == 0
    finally:
        driver.kill()
    assert [type(r[0].stanza) for r in replies] == [IqResult, IqResult]
    who = ray.get(cluster.host(room).whoami.remote())
    assert other == ["result", "IqResult", who["incarnation"]]       # the same actor
    assert ray.get(cluster.host(room).stats.remote())["recreations"] == 1   # restored once
    wait_until(lambda: cluster.counter("mod_muc_process_recreations_count") == 1)
    names = [a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
             if a["namespace"] == cluster.ns]
    assert names.count(room) == 1
