"""Scenario 6: live rooms per node. density_clients clients each create rooms in turn and
stay in them (one occupant per room); the memory (PSS and USS from smaps_rollup) of every
process of the target is read before, after half the rooms and after all of them.

per-room figures: average = growth / rooms; marginal = growth of the second half / its
rooms (on dense placement the first half also pays for starting host actors). Rooms per
node = (24 GiB - PSS before) / marginal USS per room (see live_rooms for why USS).
"""
from __future__ import annotations

import asyncio
import time

from bench.procstat import memory_of
from bench.scenarios.common import Ctx, create_room
from bench.targets import RaymucTarget

NODE_BYTES = 24 * 1024 ** 3
MIB = 1024 ** 2


def room_count(ctx: Ctx) -> int:
    target = ctx.target
    if not isinstance(target, RaymucTarget):
        return ctx.profile.density_rooms_server
    if target.rooms_per_actor == 1:
        return ctx.profile.density_rooms
    return ctx.profile.density_rooms_dense


def _totals(groups: dict[str, list[int]]) -> dict:
    per_group = memory_of(groups)
    total = {key: sum(g[key] for g in per_group.values()) for key in ("rss", "pss", "uss", "processes")}
    return {"total": total, "groups": per_group}


async def live_rooms(ctx: Ctx, first_index: int) -> dict:
    p = ctx.profile
    count = room_count(ctx)
    half = max(1, count // 2)
    clients = await ctx.connect(list(range(first_index, first_index + p.density_clients)), "density")
    gate = asyncio.Semaphore(p.setup_concurrency)

    async def make(i: int) -> None:
        async with gate:
            await create_room(clients[i % len(clients)], ctx.room("live", i), "solo")

    await asyncio.sleep(1.0)
    snapshots = [_totals(ctx.target.groups())]
    began = time.perf_counter()
    for lo, hi in ((0, half), (half, count)):
        await asyncio.gather(*(make(i) for i in range(lo, hi)))
        await asyncio.sleep(2.0)         # let allocations settle (actor start-up, GC)
        snapshots.append(_totals(ctx.target.groups()))
    create_s = time.perf_counter() - began
    base, mid, end = (s["total"] for s in snapshots)
    second = count - half
    per_room = {
        "avg_pss_kib": round((end["pss"] - base["pss"]) / count / 1024, 1),
        "avg_uss_kib": round((end["uss"] - base["uss"]) / count / 1024, 1),
        "marginal_pss_kib": round((end["pss"] - mid["pss"]) / second / 1024, 1),
        "marginal_uss_kib": round((end["uss"] - mid["uss"]) / second / 1024, 1),
    }
    # USS, not PSS, for the growth: PSS of shared library pages shifts whenever processes
    # outside the target (other Prosody or Ray instances on the machine) come and go,
    # while a new room's or a new worker's own pages are exactly its USS.
    marginal = max(end["uss"] - mid["uss"], 1) / second
    return {
        "rooms": count,
        "occupant_clients": len(clients),
        "create_s": round(create_s, 1),
        "rooms_created_per_s": round(count / create_s, 1) if create_s else None,
        "memory_before_mib": round(base["pss"] / MIB, 1),
        "memory_after_mib": round(end["pss"] / MIB, 1),
        "processes_before": base["processes"],
        "processes_after": end["processes"],
        "per_room": per_room,
        "rooms_per_24gib": int(max(0, NODE_BYTES - base["pss"]) / marginal),
        "groups_after_mib": {g: round(v["pss"] / MIB, 1) for g, v in snapshots[-1]["groups"].items()},
        "groups_before_mib": {g: round(v["pss"] / MIB, 1) for g, v in snapshots[0]["groups"].items()},
    }
