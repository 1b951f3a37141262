"""The router's waits and queues are bounded: a host call that gets no answer (a host
Ray can't place, a stuck process) is answered service-unavailable after a timeout, and
a room's pipe holds at most MAX_PIPE stanzas, all pipes together MAX_WAITING, the rest
refused resource-constraint; at most MAX_OPENING rooms wait for their host's lookup, and
a lookup Ray doesn't finish in LOOKUP_TIMEOUT is answered service-unavailable.

In-process hosts that never answer stand in for a host Ray can't place (on this test
machine every host can be placed)."""
from __future__ import annotations

import asyncio
import logging
import time

from actors import placement as pl
from actors.core.effects import ErrorOut
from gateway import host_calls, router as router_module
from tests.gateway.test_router_faults import ROOM, SENDER, FakeHost, _Method, router_with, say


class SilentHost(FakeHost):
    """Takes calls and answers none until released."""

    def __init__(self):
        super().__init__()
        self.calls = 0
        self.released = asyncio.Event()
        self.handle_many = _Method(self._held)

    async def _held(self, room_jid: str, cmds: list):
        self.calls += 1
        await self.released.wait()
        return await self._many(room_jid, cmds)


def test_a_host_that_never_answers_is_answered_service_unavailable(monkeypatch):
    monkeypatch.setattr(host_calls, "CALL_TIMEOUT", 0.5, raising=False)
    host = SilentHost()
    router = router_with(host, monkeypatch, FakeHost())

    async def scenario():
        return await asyncio.wait_for(router.call_many(ROOM, [say(1), say(2)]), 20)

    began = time.monotonic()
    effects = asyncio.run(scenario())
    assert [(e.to, e.stanza.id, e.stanza.error.condition) for e in effects] == [
        ((SENDER,), "m1", "service-unavailable"), ((SENDER,), "m2", "service-unavailable")]
    assert host.calls == 1 and router.stats["retries"] == 0       # not sent again
    assert time.monotonic() - began < 15


def test_a_flood_into_one_room_is_refused_beyond_the_pipe_bound(monkeypatch, caplog):
    limit = getattr(router_module, "MAX_PIPE", 1000)
    host = SilentHost()
    written: list = []
    router = router_with(host, monkeypatch)
    router.sink = lambda room, effects: written.extend(effects)

    async def scenario():
        for n in range(limit + 50):             # one loop turn: the room's call is not out yet
            router.submit(ROOM, say(n))
        longest = len(router.pipes[ROOM])
        await asyncio.sleep(0.1)                # the first batch is in flight, the rest wait
        refused = [e.stanza for e in written if isinstance(e.stanza, ErrorOut)]
        host.released.set()
        await asyncio.wait_for(router.idle(), 30)
        return longest, refused

    with caplog.at_level(logging.WARNING, "raymuc.router"):
        longest, refused = asyncio.run(scenario())
    assert longest <= limit
    assert [s.id for s in refused] == [f"m{n}" for n in range(limit, limit + 50)]
    assert {s.error.condition for s in refused} == {"resource-constraint"}
    assert [s.id for s in host.applied] == [f"m{n}" for n in range(limit)]   # nothing lost below it
    assert sum("router.pipe_full" in r.getMessage() for r in caplog.records) == 1


def _room(n: int) -> str:
    return f"room{n}@chat.shakespeare.lit"


def _refused(written: list) -> list:
    return [(e.stanza.id, e.stanza.error.condition) for e in written
            if isinstance(e.stanza, ErrorOut)]


def test_a_flood_over_many_rooms_is_refused_beyond_the_total_bound(monkeypatch, caplog):
    """MAX_PIPE bounds one room; MAX_WAITING bounds all pipes together, so a flood
    spread over many rooms can't grow the gateway either."""
    monkeypatch.setattr(router_module, "MAX_WAITING", 40, raising=False)
    host = SilentHost()
    written: list = []
    router = router_with(host, monkeypatch)
    router.sink = lambda room, effects: written.extend(effects)
    for n in range(20):
        router.handles[_room(n)] = host

    async def scenario():
        for n in range(60):                     # 3 stanzas per room, one loop turn
            router.submit(_room(n % 20), say(n))
        queued = sum(len(p) for p in router.pipes.values())
        refused = _refused(written)
        host.released.set()
        await asyncio.wait_for(router.idle(), 30)
        return queued, refused

    with caplog.at_level(logging.WARNING, "raymuc.router"):
        queued, refused = asyncio.run(scenario())
    assert queued == 40
    assert refused == [(f"m{n}", "resource-constraint") for n in range(40, 60)]
    assert sorted(int(s.id[1:]) for s in host.applied) == list(range(40))   # the rest applied
    assert router.waiting == 0
    assert sum("router.busy" in r.getMessage() for r in caplog.records) == 1


class _Blocked:
    """A Ray name lookup that doesn't return (a GCS under strain) until released."""

    def __init__(self):
        import threading
        self.release = threading.Event()
        self.calls = 0

    def __call__(self, placement, name):
        self.calls += 1
        self.release.wait(30)
        return None


def test_a_host_lookup_that_never_returns_is_answered_service_unavailable(monkeypatch):
    monkeypatch.setattr(router_module, "LOOKUP_TIMEOUT", 0.5, raising=False)
    router = router_with(FakeHost(), monkeypatch)
    router.handles.clear()
    blocked = _Blocked()
    monkeypatch.setattr(pl, "find_host", blocked)

    async def scenario():
        try:
            return await asyncio.wait_for(router.call_many(ROOM, [say(1)]), 20)
        finally:
            blocked.release.set()

    effects = asyncio.run(scenario())
    assert [(e.stanza.id, e.stanza.error.condition) for e in effects] == [
        ("m1", "service-unavailable")]
    assert router.opening == 0


def test_rooms_beyond_the_lookups_in_progress_are_refused(monkeypatch):
    monkeypatch.setattr(router_module, "MAX_OPENING", 3, raising=False)
    router = router_with(FakeHost(), monkeypatch)
    router.handles.clear()
    blocked = _Blocked()
    monkeypatch.setattr(pl, "find_host", blocked)
    written: list = []
    router.sink = lambda room, effects: written.extend(effects)

    async def scenario():
        for n in range(5):
            router.submit(_room(n), say(n))
        for _ in range(100):                    # the first three are in their lookups
            await asyncio.sleep(0.02)
            if len(written) == 2:
                break
        refused = _refused(written)
        blocked.release.set()                   # their lookups end (no host: admission)
        return refused, blocked.calls

    refused, calls = asyncio.run(scenario())
    assert refused == [("m3", "resource-constraint"), ("m4", "resource-constraint")]
    assert calls == 3
