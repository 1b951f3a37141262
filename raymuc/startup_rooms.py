"""load_permanent_rooms_at_startup: start every stored (persistent) room when the
service starts, instead of on the first stanza (the default, `false`).

Runs in the background after the service is ready, so readiness never waits for it
and stanzas are served meanwhile (a stanza for a room not yet started starts it on
demand, as always; RoomHost.preload is idempotent under the room's lock).

Bounded: room JIDs are streamed from storage (never all in memory) in batches of
`batch_size`, at most `concurrency` rooms starting at once, and no more than `cap`
rooms in total. The trade-off: with rooms_per_actor = 1 every room is its own Ray
worker process (~48 MB resident), so 1,000 rooms need ~48 GB; with dense placement
(rooms_per_actor > 1) rooms share a fixed set of host processes and cost kilobytes.
Unless a cap is given, it is what half of the cluster's Ray `memory` resource holds at
the per-room cost of the placement; rooms past the cap start on demand, and a warning
says so (`startup_rooms.capped`). Pick rooms_per_actor > 1 to preload many rooms.
MongooseIM deprecated this option ("unsafe when there are many rooms") and ignores it;
this is the bounded version."""
from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass

from actors import placement as pl

log = logging.getLogger("raymuc.startup_rooms")

ROOM_PROCESS_BYTES = 48 * 1024 * 1024    # rooms_per_actor = 1: one worker process per room
DENSE_ROOM_BYTES = 256 * 1024            # a room without occupants in a shared host
MEMORY_SHARE = 0.5                       # never plan more than half the memory for idle rooms
_START_TIMEOUT = 120.0


@dataclass(frozen=True)
class StartupPlan:
    batch_size: int = 50          # room JIDs read from storage at a time
    concurrency: int = 4          # rooms starting at once (each may start a process)
    cap: int | None = None        # most rooms to start; None = what memory holds

    def __post_init__(self):
        if self.batch_size < 1 or self.concurrency < 1 or (self.cap is not None and self.cap < 0):
            raise ValueError(f"bad startup plan {self}: batch_size and concurrency must be "
                             "positive, cap non-negative")


@dataclass(frozen=True)
class StartupReport:
    started: int
    failed: int
    capped: bool
    cap: int


def _room_bytes(placement: pl.Placement) -> int:
    return DENSE_ROOM_BYTES if placement.dense else ROOM_PROCESS_BYTES


def memory_cap(placement: pl.Placement, memory_bytes: float) -> int:
    return max(0, int(memory_bytes * MEMORY_SHARE // _room_bytes(placement)))


def cluster_memory() -> float:
    import ray
    return float(ray.available_resources().get("memory", 0.0))


async def load_permanent_rooms(store, placement: pl.Placement, settings, domains,
                               plan: StartupPlan = StartupPlan()) -> StartupReport:
    cap = plan.cap if plan.cap is not None else memory_cap(
        placement, await asyncio.to_thread(cluster_memory))
    log.info("startup_rooms.begin domains=%s cap=%d batch_size=%d concurrency=%d "
             "rooms_per_actor=%d", ",".join(domains), cap, plan.batch_size, plan.concurrency,
             placement.rooms_per_actor)
    gate = asyncio.Semaphore(plan.concurrency)
    started = failed = 0
    capped = False
    for domain in domains:
        jids = await asyncio.to_thread(store.list_jids, domain, plan.batch_size)
        while True:
            batch = await asyncio.to_thread(lambda: list(itertools.islice(jids, plan.batch_size)))
            if not batch:
                break
            room = cap - started - failed
            if len(batch) > room:
                batch, capped = batch[:room], True
            results = await asyncio.gather(*(_start(placement, settings, j, gate) for j in batch))
            started += sum(results)
            failed += len(results) - sum(results)
            log.info("startup_rooms.batch domain=%s started=%d failed=%d", domain, started, failed)
            if capped:
                break
        if capped:
            log.warning("startup_rooms.capped started=%d cap=%d reason=memory: each room costs "
                        "~%d KiB with rooms_per_actor=%d; the other stored rooms start on demand",
                        started, cap, _room_bytes(placement) // 1024, placement.rooms_per_actor)
            break
    log.info("startup_rooms.done started=%d failed=%d capped=%s", started, failed, capped)
    return StartupReport(started, failed, capped, cap)


def start_in_background(config, settings, store) -> asyncio.Task | None:
    """The service's entry point: a task when the option is on, else None."""
    if not config.muc.load_permanent_rooms_at_startup:
        log.info("startup_rooms.skipped reason=load_permanent_rooms_at_startup=false: "
                 "rooms start on demand")
        return None
    from raymuc import wiring
    task = asyncio.get_running_loop().create_task(load_permanent_rooms(
        store, wiring.placement(config), settings, config.muc_domains()))
    task.add_done_callback(_log_crash)
    return task


def _log_crash(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("startup_rooms.failed error=%r", task.exception())


async def _start(placement: pl.Placement, settings, room_jid: str, gate) -> bool:
    async with gate:
        try:
            name = placement.actor_name(room_jid)
            host = await asyncio.to_thread(pl.get_or_create_host, placement, name, settings)
            return bool(await asyncio.wait_for(_awaitable(host.preload.remote(room_jid)),
                                               _START_TIMEOUT))
        except Exception as exc:   # one bad room must not stop the others
            log.error("startup_rooms.room_failed room=%s error=%r", room_jid, exc)
            return False


async def _awaitable(ref):
    return await ref
