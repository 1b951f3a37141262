"""load_permanent_rooms_at_startup end to end: with true, the stored rooms are running
after a restart before any stanza reaches them (and readiness did not wait for them);
with false (the default) they start on demand. Then the loader itself on real Ray and
SecantusDB: batches, bounded concurrency and the cap with its warning."""
from __future__ import annotations

import asyncio
import logging
import time
import uuid

import pytest

from actors.core.policy import ServicePolicy
from actors.core.state import RoomSeed
from actors.placement import Placement
from actors.settings import HostSettings, ServiceSettings
from persistence.records import RoomRecord
from raymuc.startup_rooms import (DENSE_ROOM_BYTES, ROOM_PROCESS_BYTES, StartupPlan,
                                  load_permanent_rooms, memory_cap)
from gateway.announce import online_rooms
from tests.e2e.muc import create_instant
from tests.e2e.muc_flow import NS_DISCO_INFO, iq
from tests.e2e.options_stack import OptionsStack
from tests.fixtures.service import write_config

pytestmark = pytest.mark.e2e
LOAD = "load_permanent_rooms_at_startup = {value}\ndefault_room.persistent = true\n"


def run(coro):
    return asyncio.run(coro)


def wait_for_log(stack: OptionsStack, needle: str, timeout: float = 120.0) -> str:
    """The service log once it holds `needle` (the loader runs after readiness)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = stack.service_log()
        if needle in text:
            return text
        time.sleep(0.5)
    raise AssertionError(f"{needle!r} not logged; log:\n{stack.service_log()[-3000:]}")


def running(stack: OptionsStack, room: str) -> bool:
    """Ask the live service through `raymuc room` (a second Ray driver)."""
    result = stack.raymuc("room", room)
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return result.returncode == 0


def set_load(stack: OptionsStack, value: bool) -> None:
    write_config(stack.config_path, stack.prosody.component_port, stack.secret,
                 stack.base / "data", extra=LOAD.format(value=str(value).lower()),
                 domain_template=f"{stack.name}.@HOST@")


@pytest.fixture(scope="module")
def stack():
    s = OptionsStack("boot", LOAD.format(value="true"), ("owner",)).start()
    yield s
    s.stop()


def test_true_starts_stored_rooms_at_startup_false_on_demand(stack):
    rooms = [stack.room("s") for _ in range(3)]
    wait_for_log(stack, "startup_rooms.done started=0")          # nothing stored yet

    async def create():
        async with stack.client("owner") as owner:
            for room in rooms:
                await create_instant(owner, room, "Owner")       # persistent by default_room

    run(create())
    stack.restart_service()                                       # load = true
    log = wait_for_log(stack, "startup_rooms.done")
    assert "startup_rooms.done started=3 failed=0 capped=False" in log
    assert log.index("raymuc ready") < log.index("startup_rooms.done")   # never awaited
    assert all(running(stack, room) for room in rooms)            # no stanza sent to them

    set_load(stack, False)
    stack.restart_service()
    wait_for_log(stack, "startup_rooms.skipped")
    assert not any(running(stack, room) for room in rooms)

    async def ask(query: str):
        async with stack.client("owner") as owner:
            assert (await iq(owner, rooms[0], query))["type"] == "result"
    run(ask(f"<query xmlns='{NS_DISCO_INFO}'/>"))
    assert not running(stack, rooms[0])               # disco#info: answered from storage
    run(ask("<ping xmlns='urn:xmpp:ping'/>"))
    assert running(stack, rooms[0])                               # started on demand
    assert not running(stack, rooms[1])


# the loader on real Ray and SecantusDB -------------------------------------------------

def test_memory_cap_follows_the_placement():
    gib = 1024 ** 3
    assert memory_cap(Placement(rooms_per_actor=1), 8 * gib) == 4 * gib // ROOM_PROCESS_BYTES
    assert memory_cap(Placement(rooms_per_actor=50), 8 * gib) == 4 * gib // DENSE_ROOM_BYTES
    assert memory_cap(Placement(rooms_per_actor=1), 0) == 0
    with pytest.raises(ValueError):
        StartupPlan(batch_size=0)


def test_loader_streams_in_batches_and_stops_at_the_cap(ray_session, embedded_mongo,
                                                          room_store, caplog):
    import ray
    domain = "boot.localhost"
    jids = [f"room{n}@{domain}" for n in range(5)]
    for jid in jids:
        room_store.save(RoomRecord(jid, 1, {"persistent": True, "title": jid}, {"o@localhost": "owner"}))
    settings = HostSettings({domain: ServiceSettings(ServicePolicy(domain), RoomSeed())},
                            embedded_mongo.uri, database=room_store._rooms.database.name,
                            namespace=f"startup-{uuid.uuid4().hex[:8]}")
    placement = Placement(settings.namespace, rooms_per_actor=3, host_count=2)   # 2 processes
    caplog.set_level(logging.INFO, logger="raymuc.startup_rooms")
    try:
        report = asyncio.run(load_permanent_rooms(room_store, placement, settings, [domain],
                                                  StartupPlan(batch_size=2, concurrency=2, cap=3)))
        assert (report.started, report.failed, report.capped, report.cap) == (3, 0, True, 3)
        loaded = set()
        for n in range(placement.host_count):
            host = ray.get_actor(f"room-host-{n:03d}", namespace=settings.namespace)
            loaded.update(ray.get(host.room_jids.remote()))
        assert loaded == set(jids[:3])                         # the first three, in JID order
        # the live room directory the service announcements use, for dense placement
        assert asyncio.run(online_rooms(placement, domain)) == jids[:3]
        batches = [r.getMessage() for r in caplog.records if "startup_rooms.batch" in r.getMessage()]
        assert len(batches) == 2                               # 2 + 1 (capped), never all 5
        assert any("startup_rooms.capped started=3 cap=3" in r.getMessage() for r in caplog.records)
        again = asyncio.run(load_permanent_rooms(room_store, placement, settings, [domain],
                                                 StartupPlan(batch_size=10, concurrency=4)))
        assert (again.started, again.capped) == (5, False)     # idempotent for loaded rooms
    finally:
        for name in ray.util.list_named_actors(all_namespaces=True):
            if name["namespace"] == settings.namespace:
                ray.kill(ray.get_actor(name["name"], namespace=settings.namespace))
