"""Storage reads of the room list: on a small executor of their own, shared while in
flight, kept a few seconds, and refused when too many wait.

The router finds and starts room hosts on asyncio's default executor; a burst of room
list requests there would delay joins. Here at most `workers` reads run and at most
`waiting` more wait; beyond that `Saturated` is raised (answered resource-constraint,
a wait error). Identical requests share one read while it runs and its result for
`ttl` seconds. A room's owner changing its configuration or destroying it calls
`touch(domain)`: the domain's results are dropped and none is kept for `ttl`, so the
change shows in the next answer rather than after the cache expires."""
from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Awaitable, Callable, Hashable

log = logging.getLogger("raymuc.listing_reads")

# One scan at a time: the database also serves every room load and save, and an
# embedded SecantusDB spends ~1 s per page of 50 over 50,000 rooms (bench/disco_load.py).
WORKERS = 1
WAITING = 4
TTL = 3.0
ENTRIES = 1024


class Saturated(Exception):
    """Too many room list reads are running or waiting."""


class ListingReads:
    def __init__(self, workers: int = WORKERS, waiting: int = WAITING, ttl: float = TTL,
                 entries: int = ENTRIES, clock: Callable[[], float] = time.monotonic):
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="room-list")
        self._bound = workers + waiting
        self._ttl, self._entries, self._clock = ttl, entries, clock
        self._pending = 0
        self._cache: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._flights: dict[Hashable, asyncio.Future] = {}
        self._quiet_until: dict[str, float] = {}     # domain -> no caching before then
        self.stats = {"reads": 0, "hits": 0, "shared": 0, "refused": 0}

    async def read(self, domain: str, key: Hashable, fn: Callable[[], object]):
        """fn() (a blocking storage read) on the pool, or its recent or running result."""
        return await self._get((domain, key), lambda: self._run(fn), bounded=True)

    async def shared(self, domain: str, key: Hashable, make: Callable[[], Awaitable]):
        """make()'s result, shared with callers asking while it runs; never kept."""
        return await self._get((domain, key), make, bounded=False)

    def touch(self, domain: str) -> None:
        for key in [k for k in self._cache if k[0] == domain]:
            del self._cache[key]
        self._quiet_until[domain] = self._clock() + self._ttl

    async def _get(self, key, make, bounded: bool):
        now = self._clock()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            self._cache.move_to_end(key)
            self.stats["hits"] += 1
            return hit[1]
        flight = self._flights.get(key)
        if flight is not None:
            self.stats["shared"] += 1
            return await asyncio.shield(flight)
        if bounded and self._pending >= self._bound:
            self.stats["refused"] += 1
            raise Saturated()
        flight = asyncio.ensure_future(make())
        if bounded:
            self._pending += 1
            self.stats["reads"] += 1
            flight.add_done_callback(self._done)
        self._flights[key] = flight
        try:
            value = await asyncio.shield(flight)
        finally:
            if self._flights.get(key) is flight:
                del self._flights[key]
        if bounded:
            self._keep(key, value)
        return value

    async def _run(self, fn):
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    def _done(self, _flight) -> None:
        self._pending -= 1

    def _keep(self, key, value) -> None:
        now = self._clock()
        if self._quiet_until.get(key[0], 0.0) > now:
            return
        self._cache[key] = (now + self._ttl, value)
        self._cache.move_to_end(key)
        while len(self._cache) > self._entries:
            self._cache.popitem(last=False)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
