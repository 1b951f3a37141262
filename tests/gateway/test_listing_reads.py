"""Room list reads: one read shared while it runs, kept briefly, dropped when an owner
changes a room, refused beyond the bound."""
from __future__ import annotations

import asyncio
import threading

import pytest

from gateway.listing_reads import ListingReads, Saturated


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_concurrent_asks_share_one_read_and_later_ones_the_kept_result():
    clock, calls, gate = Clock(), [], threading.Event()
    reads = ListingReads(workers=1, waiting=0, ttl=3.0, clock=clock)

    def read():
        calls.append(1)
        gate.wait(5)
        return len(calls)

    async def scenario():
        asks = [asyncio.ensure_future(reads.read("d", "k", read)) for _ in range(20)]
        await asyncio.sleep(0.05)
        gate.set()
        first = await asyncio.gather(*asks)
        clock.now = 2.9
        kept = await reads.read("d", "k", read)
        clock.now = 3.1
        fresh = await reads.read("d", "k", read)
        return first, kept, fresh
    first, kept, fresh = asyncio.run(scenario())
    assert first == [1] * 20 and kept == 1 and fresh == 2


def test_beyond_the_bound_reads_are_refused_and_touch_drops_the_domain():
    clock, gate = Clock(), threading.Event()
    reads = ListingReads(workers=1, waiting=1, ttl=3.0, clock=clock)

    async def scenario():
        held = [asyncio.ensure_future(reads.read("d", i, lambda: gate.wait(5))) for i in range(2)]
        await asyncio.sleep(0.01)
        with pytest.raises(Saturated):
            await reads.read("d", 2, lambda: 0)
        gate.set()
        await asyncio.gather(*held)
        assert await reads.read("d", "x", lambda: "old") == "old"
        assert await reads.read("d", "x", lambda: "new") == "old"
        reads.touch("d")
        assert await reads.read("d", "x", lambda: "new") == "new"
        assert await reads.read("d", "x", lambda: "newer") == "newer"   # not kept while quiet
        clock.now = 3.5
        assert await reads.read("d", "x", lambda: "kept") == "kept"
        assert await reads.read("d", "x", lambda: "later") == "kept"
    asyncio.run(scenario())
    assert reads.stats["refused"] == 1
