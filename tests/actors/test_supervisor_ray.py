"""The supervisor on a real local Ray with real room host actors and SecantusDB:
deep hibernation by the sweep (the owner told with 332, the actor gone), recreation by
every kind of stanza with the room intact, the directory, the metrics over HTTP, a
restarted supervisor, a single supervisor per namespace, and a sweep that goes on when
one room's process is frozen."""
from __future__ import annotations

import os
import signal
import urllib.request

import pytest

from actors.core import commands as c
from actors.core.effects import ErrorOut, IqResult, PresenceOut
from actors.supervisor import get_or_create_supervisor
from tests.actors.lifecycle_ray import BOB, DOMAIN, OWNER, Cluster, create_persistent, join, \
    run, wait_until

pytestmark = pytest.mark.usefixtures("ray_session")


@pytest.fixture
def cluster(ray_session, embedded_mongo, room_store):
    cl = Cluster(embedded_mongo.uri, room_store._rooms.database.name)
    cl.start_supervisor()
    yield cl
    cl.close()


def a_room(prefix="r") -> str:
    import uuid
    return f"{prefix}{uuid.uuid4().hex[:8]}@{DOMAIN}"


def presences_to(pushed, jid) -> list[PresenceOut]:
    return [e.stanza for _room, effects in pushed for e in effects
            if jid in e.to and isinstance(e.stanza, PresenceOut)]


def errors(effects) -> list[str]:
    return [e.stanza.error.condition for e in effects if isinstance(e.stanza, ErrorOut)]


def deep_hibernated(cl: Cluster, room: str) -> bool:
    return cl.host(room) is None and all(r.jid != room for r in cl.rooms())


def test_the_sweep_deep_hibernates_and_every_stanza_kind_recreates_the_room(cluster, room_store):
    room = a_room()
    router = cluster.router(room_store)
    run(create_persistent(router, room))
    run(router.call(room, c.Message(OWNER, "", "groupchat", "s", subject="Topic of the day")))
    bob_id = [p.occupant_id for p in presences_to([(room, run(router.call(room, join(BOB, "Bob"))))],
                                                  BOB) if 110 in p.codes][0]
    run(router.call(room, c.Presence(BOB, "Bob", False)))
    state = lambda: run(_state(cluster, room))          # noqa: E731
    before = state()
    wait_until(lambda: deep_hibernated(cluster, room))
    told = presences_to(cluster.pushed(), OWNER)
    assert [(p.unavailable, set(p.codes), p.item.reason) for p in told] == \
        [(True, {110, 332}, "Room hibernation")]
    assert cluster.counter("mod_muc_deep_hibernations_count") == 1
    assert cluster.counter("mod_muc_hibernations_count") >= 1
    wakers = [
        # (disco#info is answered from storage without waking it: test_router_admission.py)
        ("ping", c.Ping(BOB, "p1"), lambda out: any(isinstance(e.stanza, IqResult)
                                                    for e in out)),
        ("message", c.Message(BOB, "", "groupchat", "m1", body="hi", payload="<body>hi</body>"),
         lambda out: errors(out) == ["not-acceptable"]),      # not an occupant: refused
        ("admin", c.AdminGet(OWNER, "a1", items=(c.AdminItem(affiliation="owner"),)),
         lambda out: any(isinstance(e.stanza, IqResult) for e in out)),
        ("config", c.OwnerGet(OWNER, "o1"), lambda out: any(isinstance(e.stanza, IqResult)
                                                             for e in out)),
        ("presence", join(BOB, "Bob"), lambda out: any(
            110 in p.codes and p.occupant_id == bob_id for p in presences_to([(room, out)], BOB))),
    ]
    for n, (kind, stanza, answered) in enumerate(wakers, start=1):
        out = run(router.call(room, stanza))
        assert answered(out), (kind, out)
        assert cluster.host(room) is not None, kind
        after = state()
        assert {k: after[k] for k in ("config", "affiliations", "subject", "version")} == \
            {k: before[k] for k in ("config", "affiliations", "subject", "version")}, kind
        wait_until(lambda: cluster.counter("mod_muc_process_recreations_count") == n)
        if kind != "presence":
            wait_until(lambda: deep_hibernated(cluster, room))
    assert cluster.counter("mod_muc_deep_hibernations_count") == 5


async def _state(cl: Cluster, room: str) -> dict:
    return await cl.host(room).room_state.remote(room)


def test_the_directory_lists_live_rooms_and_the_gauges_follow(ray_session, embedded_mongo,
                                                              room_store):
    from actors.supervisor import operate
    cl = Cluster(embedded_mongo.uri, room_store._rooms.database.name)
    try:
        cl.start_supervisor(hibernated_room_timeout=None)     # rooms stay hibernated
        public, hidden, temporary = a_room("pub"), a_room("hid"), a_room("tmp")
        router = cl.router(room_store)
        run(create_persistent(router, public))
        run(create_persistent(router, hidden))
        run(router.call(hidden, c.OwnerSet(OWNER, "h", form=c.Form(
            "submit", (("muc#roomconfig_publicroom", ("0",)),)))))
        run(router.call(temporary, join(BOB, "Bob")))
        run(router.call(temporary, c.OwnerSet(BOB, "t", form=c.Form(
            "submit", (("muc#roomconfig_persistentroom", ("0",)),)))))
        listed = {r.jid: r for r in wait_until(lambda: len(cl.rooms()) == 3 and cl.rooms())}
        assert (listed[public].public, listed[hidden].public, listed[temporary].persistent) == \
            (True, False, False)
        assert listed[public].title == "Kept" and listed[temporary].occupants == 1
        metrics = cl.stats()["metrics_url"]
        online, hibernated = ('mod_muc_rooms_online{host_type="localhost"}',
                              'mod_muc_rooms_hibernated{host_type="localhost"}')
        wait_until(lambda: (scrape(metrics)[online], scrape(metrics)[hibernated]) == (3, 3))
        run(router.call(temporary, c.Presence(BOB, "Bob", False)))     # closes for good
        wait_until(lambda: (scrape(metrics)[online], scrape(metrics)[hibernated]) == (2, 2))
        assert operate(cl.placement, public, "hibernate")["done"] is True    # by hand
        wait_until(lambda: (scrape(metrics)[online], scrape(metrics)[hibernated]) == (1, 1))
        assert scrape(metrics)['mod_muc_hibernations_count_total{host_type="localhost"}'] >= 3
        assert scrape(metrics)['mod_muc_deep_hibernations_count_total{host_type="localhost"}'] == 1
        assert [r.jid for r in cl.rooms()] == [hidden]
    finally:
        cl.close()


def scrape(url: str) -> dict[str, float]:
    with urllib.request.urlopen(url, timeout=10) as r:
        text = r.read().decode()
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line and not line.startswith("#")}


def test_one_supervisor_per_namespace_and_a_restarted_one_rebuilds_its_directory(cluster,
                                                                                  room_store):
    import ray
    again = get_or_create_supervisor(cluster.sup_settings)           # a second driver's call
    assert again._actor_id == cluster.supervisor._actor_id
    room = a_room()
    router = cluster.router(room_store)
    run(router.call(room, join(BOB, "Bob")))                          # stays awake: Bob is in
    wait_until(lambda: [r.jid for r in cluster.rooms()] == [room])
    ray.kill(cluster.supervisor, no_restart=False)                    # a crash: Ray restarts it
    wait_until(lambda: (_try_stats(cluster) or {}).get("restarted"))   # a new process
    wait_until(lambda: [r.jid for r in cluster.rooms()] == [room])    # the host's renewal


def _try_stats(cl: Cluster):
    try:
        return cl.stats()
    except Exception:
        return None


def test_a_frozen_room_process_does_not_stop_the_sweep(ray_session, embedded_mongo, room_store):
    """One room's host is frozen (SIGSTOP) while the directory says it may go: the call
    times out, the other room is still deep-hibernated; once thawed, the host checks
    the conditions again under the room's lock and keeps its room (Bob is in it)."""
    import ray
    from actors.directory import EventKind, RoomEvent, RoomInfo
    cl = Cluster(embedded_mongo.uri, room_store._rooms.database.name)
    try:
        cl.start_supervisor(call_timeout=1.0, check_interval=0.2, hibernated_room_timeout=0.2)
        router = cl.router(room_store)
        stuck, fine = a_room("stuck"), a_room("fine")
        run(create_persistent(router, stuck))
        run(router.call(stuck, join(BOB, "Bob")))              # never a candidate by itself
        who = ray.get(cl.host(stuck).whoami.remote())
        os.kill(who["pid"], signal.SIGSTOP)
        try:
            # a stale view of the room, as a report lagging behind would leave it
            stale = RoomInfo(stuck, persistent=True, hibernated=True, hibernated_for=60.0)
            ray.get(cl.supervisor.report.remote((who["name"], who["incarnation"]),
                                                (RoomEvent(EventKind.HIBERNATED, stuck, stale),)))
            wait_until(lambda: cl.stats()["sweep"]["timed_out"] >= 1)
            run(create_persistent(router, fine))
            wait_until(lambda: cl.host(fine) is None)           # the sweep went on
        finally:
            os.kill(who["pid"], signal.SIGCONT)
        wait_until(lambda: cl.stats()["sweep"]["refused"] >= 1)
        assert cl.host(stuck) is not None
        state = ray.get(cl.host(stuck).room_state.remote(stuck))
        assert [o["nick"] for o in state["occupants"]] == ["Owner", "Bob"]
        assert cl.counter("mod_muc_deep_hibernations_count") == 1
    finally:
        cl.close()


def test_infinity_turns_the_sweep_off(ray_session, embedded_mongo, room_store):
    cl = Cluster(embedded_mongo.uri, room_store._rooms.database.name)
    try:
        cl.start_supervisor(check_interval=None)
        room = a_room()
        router = cl.router(room_store)
        run(create_persistent(router, room))
        wait_until(lambda: any(r.hibernated for r in cl.rooms()))
        import time
        time.sleep(1.0)                              # many times hibernated_room_timeout
        assert cl.host(room) is not None and cl.stats()["sweep"]["sweeps"] == 0
    finally:
        cl.close()
