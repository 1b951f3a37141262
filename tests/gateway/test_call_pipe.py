"""gateway/workers.py without Ray: CallPipe keeps one call in flight and sends what
queued meanwhile together, in order; a failed call loses only its own items; a pipe
holds at most its limit behind a call that never ends; rooms hash onto workers stably
and all workers get rooms."""
from __future__ import annotations

import asyncio
from collections import Counter

from gateway.workers import CallPipe, shard_of


def test_items_put_during_a_call_leave_together_in_order():
    calls: list[list] = []

    async def scenario():
        release = asyncio.Event()

        async def send(batch):
            calls.append(batch)
            if len(calls) == 1:
                await release.wait()

        pipe = CallPipe(send, "t")
        pipe.put(1)
        await asyncio.sleep(0)              # the first call is in flight with [1]
        for n in (2, 3, 4):
            pipe.put(n)
        await asyncio.sleep(0.01)
        assert calls == [[1]]               # nothing overtakes the call in flight
        release.set()
        await pipe.idle()

    asyncio.run(scenario())
    assert calls == [[1], [2, 3, 4]]


def test_a_failed_call_loses_its_items_only_and_the_pipe_goes_on():
    sent: list[list] = []

    async def scenario():
        async def send(batch):
            if batch == ["a"]:
                raise RuntimeError("peer died")
            sent.append(batch)

        pipe = CallPipe(send, "t")
        pipe.put("a")
        await pipe.idle()
        pipe.put("b")
        pipe.put("c")
        await pipe.idle()
        return pipe.lost

    assert asyncio.run(scenario()) == 1
    assert sent == [["b", "c"]]


def test_rooms_hash_onto_workers_stably_and_evenly():
    rooms = [f"room{i}@conference.localhost" for i in range(2000)]
    assert [shard_of(r, 4) for r in rooms] == [shard_of(r, 4) for r in rooms]
    counts = Counter(shard_of(r, 4) for r in rooms)
    assert set(counts) == {0, 1, 2, 3}
    assert min(counts.values()) > 400          # 500 each on average
    assert {shard_of(r, 1) for r in rooms} == {0}


def test_a_pipe_behind_a_call_that_never_ends_is_bounded(caplog):
    import logging
    from gateway import workers

    async def scenario():
        stuck = asyncio.Event()

        async def send(batch):
            await stuck.wait()

        pipe = CallPipe(send, "t", limit=100)
        pipe.put(0)
        await asyncio.sleep(0)                  # [0] is in flight and never answered
        accepted = [pipe.put(n) for n in range(1, 151)]
        queued = len(pipe.queue)
        stuck.set()
        await pipe.idle()
        return accepted, queued, pipe.refused

    with caplog.at_level(logging.WARNING, "raymuc.gateway"):
        accepted, queued, refused = asyncio.run(scenario())
    assert queued == 100 and refused == 50
    assert accepted == [True] * 100 + [False] * 50
    assert sum("gateway.pipe_full" in r.getMessage() for r in caplog.records) == 1
    assert workers.MAX_QUEUED >= 1000               # the default leaves room for bursts


def test_a_call_that_never_ends_is_given_up_and_the_pipe_goes_on(monkeypatch, caplog):
    """A stuck peer (a worker Ray can't place, a gateway that doesn't answer) costs the
    items of its call after CALL_TIMEOUT; the pipe does not stay busy forever."""
    import logging
    from gateway import workers
    monkeypatch.setattr(workers, "CALL_TIMEOUT", 0.3, raising=False)
    sent: list[list] = []

    async def scenario():
        async def send(batch):
            sent.append(batch)
            if len(sent) == 1:
                await asyncio.Event().wait()         # never answered

        pipe = CallPipe(send, "t")
        pipe.put(1)
        await asyncio.sleep(0)
        pipe.put(2)
        await asyncio.wait_for(pipe.idle(), 10)
        return pipe.lost

    with caplog.at_level(logging.ERROR, "raymuc.gateway"):
        lost = asyncio.run(scenario())
    assert sent == [[1], [2]] and lost == 1
    assert sum("gateway.pipe_timeout" in r.getMessage() for r in caplog.records) == 1
