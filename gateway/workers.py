"""Gateway workers: extra processes that route rooms' stanzas and render their replies,
so one component connection can drive more room calls than one process can submit.

With `[ray] gateway_workers = N` (N > 0) the gateway keeps the component connection,
parses every stanza and answers service-level queries itself, and hands each room
command to the worker its room hashes onto. The worker routes it to the room host
(batched, gateway/router.py), renders the reply once and sends the bytes back to the
gateway, which writes them. N = 0: the gateway does all of it in its own process
(one Ray hop less per stanza; the default).

Order: async actors run calls out of order, so each direction is a `CallPipe` with at
most one call in flight (what queues meanwhile goes in the next call). A room's
stanzas reach its worker in order, and its replies reach the socket in order.

Fault contract: a worker holds no room state. It is detached and named, so a gateway
restarted by Ray finds it again (and the worker's handle to the gateway stays valid);
the gateway's `stop` ends it. If a worker dies, Ray restarts it; the stanzas in its
feed or write call at that moment are lost, as when a component restarts, and the
pipe logs how many. `feed` and `write` are not idempotent; `drain` and `stats` are.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from typing import Awaitable, Callable

from actors.core.replies import refuse

log = logging.getLogger("raymuc.gateway")

WORKER_OPTIONS = dict(
    num_cpus=0,            # placement only; I/O-bound like the gateway
    lifetime="detached",   # outlives a gateway restart, which finds it again by name
    max_concurrency=1000,  # async: feeds and room replies interleave on one loop
    max_restarts=-1,
    max_task_retries=0,    # a stanza is applied once
)


def worker_name(index: int) -> str:
    return f"raymuc-gateway-worker-{index}"


def shard_of(room_jid: str, workers: int) -> int:
    digest = hashlib.blake2b(room_jid.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % workers


# Items waiting for a pipe's call in flight (a slow or restarting peer); more are refused,
# so the gateway and its workers can't grow without bound behind one.
MAX_QUEUED = 10_000
# A call the peer doesn't answer (stuck, or Ray can't place it) is given up after this,
# its items counted lost, so one stuck peer can't hold its pipe forever.
CALL_TIMEOUT = 30.0


class CallPipe:
    """At most one call in flight; items put meanwhile leave together in the next call."""

    def __init__(self, send: Callable[[list], Awaitable], what: str, limit: int = MAX_QUEUED):
        self.send = send
        self.what = what
        self.limit = limit
        self.queue: list = []
        self.busy = False
        self.lost = 0
        self.refused = 0
        self._full = False          # logged once per episode

    def put(self, item) -> bool:
        """Queue `item`; False (and nothing queued) when the pipe is full."""
        if len(self.queue) >= self.limit:
            self.refused += 1
            if not self._full:
                self._full = True
                log.warning("gateway.pipe_full pipe=%s queued=%d", self.what, len(self.queue))
            return False
        self.queue.append(item)
        if not self.busy:
            self.busy = True
            asyncio.get_running_loop().create_task(self._run())
        return True

    async def _run(self) -> None:
        try:
            while self.queue:
                batch, self.queue = self.queue, []
                self._full = False
                try:
                    await asyncio.wait_for(_awaited(self.send(batch)), CALL_TIMEOUT)
                except asyncio.TimeoutError:
                    self.lost += len(batch)
                    log.error("gateway.pipe_timeout pipe=%s lost=%d seconds=%.0f", self.what,
                              len(batch), CALL_TIMEOUT)
                except Exception as exc:    # the peer died: as a component restart, lose these
                    self.lost += len(batch)
                    log.error("gateway.pipe_failed pipe=%s lost=%d error=%s", self.what,
                              len(batch), type(exc).__name__)
        finally:
            self.busy = False

    async def idle(self) -> None:
        while self.busy:
            await asyncio.sleep(0.01)


async def _awaited(call):
    return await call


class GatewayWorker:
    """Routes the rooms hashed onto it; renders their replies; the gateway writes them."""

    def __init__(self, spec: dict, index: int, gateway):
        logging.basicConfig(level=spec.get("loglevel", "WARNING").upper(),
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")
        from gateway.renderer import Renderer
        from gateway.stanza_size import DEFAULT_MAX_STANZA
        from gateway.router import RoomRouter
        from persistence.store import RoomStore
        self.index = index
        self.renderer = Renderer(spec.get("max_stanza", DEFAULT_MAX_STANZA))
        store = RoomStore.from_uri(spec["mongo_uri"], cached_rooms=0)   # it only reads
        self.router = RoomRouter(spec["placement"], spec["settings"], store, self._reply)
        from actors.placement import HOT_CALL_OPTIONS
        write = gateway.write.options(**HOT_CALL_OPTIONS)
        self.out = CallPipe(lambda batch: write.remote(batch), f"write-{index}")

    async def feed(self, items: list[tuple[str, object]]) -> None:
        """(room JID, command) pairs, in the order the gateway read them."""
        for room_jid, cmd in items:
            self.router.submit(room_jid, cmd)

    def _reply(self, room_jid: str, effects) -> None:
        data = self.renderer.stream(effects, room_jid)
        if data:
            self.out.put((room_jid, data))      # full: dropped and logged, as while offline

    async def drain(self, timeout: float = 5.0) -> bool:
        """Wait until every stanza fed so far is answered and written (for a clean stop)."""
        try:
            await asyncio.wait_for(self.router.idle(), timeout)
            await asyncio.wait_for(self.out.idle(), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    def stats(self) -> dict:
        return {**self.router.stats, "renders": self.renderer.renders, "lost": self.out.lost,
                "dropped": self.out.refused,
                "index": self.index, "pid": os.getpid()}


class WorkerFeeds:
    """The gateway's side: one feed pipe per worker, rooms hashed onto them."""

    def __init__(self, spec: dict, count: int, namespace: str,
                 answer: Callable[[str, tuple], None] = lambda room_jid, effects: None):
        import ray
        self.answer = answer            # the gateway's send_effects: for refusals
        gateway = ray.get_runtime_context().current_actor
        from actors.placement import gateway_options
        cls, where = ray.remote(GatewayWorker), gateway_options(0.01)
        self.handles = [cls.options(name=worker_name(i), namespace=namespace, get_if_exists=True,
                                    **WORKER_OPTIONS, **where).remote(spec, i, gateway)
                        for i in range(count)]
        from actors.placement import HOT_CALL_OPTIONS
        self.pipes = [CallPipe(lambda batch, f=h.feed.options(**HOT_CALL_OPTIONS): f.remote(batch),
                               f"feed-{i}") for i, h in enumerate(self.handles)]

    def submit(self, room_jid: str, cmd) -> None:
        if not self.pipes[shard_of(room_jid, len(self.pipes))].put((room_jid, cmd)):
            self.answer(room_jid, refuse(cmd, "resource-constraint",
                                         "The service is busy; try again later"))

    async def drain(self, timeout: float = 5.0) -> None:
        await asyncio.gather(*(p.idle() for p in self.pipes))
        await asyncio.gather(*(h.drain.remote(timeout) for h in self.handles),
                             return_exceptions=True)

    def stop(self) -> None:
        import ray
        for handle in self.handles:
            ray.kill(handle, no_restart=True)

    async def stats(self) -> list[dict]:
        got = await asyncio.gather(*(h.stats.remote() for h in self.handles),
                                   return_exceptions=True)
        return [g if isinstance(g, dict) else {"error": type(g).__name__} for g in got]

    @property
    def lost(self) -> int:
        return sum(p.lost for p in self.pipes)

    @property
    def refused(self) -> int:
        return sum(p.refused for p in self.pipes)
