"""Scenario 6: live rooms per node. density_clients clients create rooms in turn and stay
in them (one occupant per room); memory (USS and PSS from smaps_rollup) of every process
of the system under test is read per process before and after.

Model: memory = base + processes x per_process + rooms x per_room, where
- per_process is the mean USS of the processes that appeared (RayMUC's host actors),
- per_room is the USS growth of the processes that were already there, per room.
With dense placement, a warm-up first creates one room on each of the placement's host
actors, so the measured rooms land in running hosts and per_room is the in-host cost.
Rooms per 24 GiB node = (24 GiB - base PSS [- hosts x per_process]) / (per_room
[+ per_process with one actor per room]); if the placement has no fixed host set, hosts
are assumed to fill up to rooms_per_actor rooms each.

USS, not PSS, for growth: the PSS of shared library pages shifts whenever processes
outside the target (other Prosody or Ray instances on the machine) come and go, while a
new room's or a new process's own pages are exactly its USS.
"""
from __future__ import annotations

import asyncio
import time

from bench.procstat import memory
from bench.scenarios.common import Ctx, create_room
from bench.targets import RaymucTarget

NODE_BYTES = 24 * 1024 ** 3
MIB, KIB = 1024 ** 2, 1024


def room_count(ctx: Ctx) -> int:
    target = ctx.target
    if not isinstance(target, RaymucTarget):
        return ctx.profile.density_rooms_server
    if target.rooms_per_actor == 1:
        return ctx.profile.density_rooms
    return ctx.profile.density_rooms_dense


def _snapshot(ctx: Ctx) -> dict[int, dict]:
    out = {}
    for group, pids in ctx.target.groups().items():
        for pid in pids:
            mem = memory(pid)
            if mem is not None:
                out[pid] = {**mem, "group": group}
    return out


def _sum(snap: dict[int, dict], key: str, pids=None) -> int:
    return sum(v[key] for pid, v in snap.items() if pids is None or pid in pids)


def host_names(ctx: Ctx) -> tuple[int, list[str]]:
    """Dense placement: (host count, one room JID per host actor so that a warm-up starts
    every host; none if density_warm_hosts is 0); (0, []) with one actor per room or
    when the target is no RayMUC."""
    target = ctx.target
    if not isinstance(target, RaymucTarget) or target.rooms_per_actor == 1:
        return 0, []
    placement = target.service.placement()     # the service's own (pure: no Ray import)
    hosts = getattr(placement, "host_count", None)
    if not isinstance(hosts, int) or hosts < 1:
        return 0, []            # no fixed host set: the packing model applies (live_rooms)
    rooms: dict[str, str] = {}
    i = 0
    while ctx.profile.density_warm_hosts and len(rooms) < hosts and i < hosts * 50:
        jid = ctx.room("warm", i)
        rooms.setdefault(placement.actor_name(jid), jid)
        i += 1
    return hosts, list(rooms.values())


async def live_rooms(ctx: Ctx, first_index: int) -> dict:
    p = ctx.profile
    count = room_count(ctx)
    hosts, warm_rooms = host_names(ctx)
    clients = await ctx.connect(list(range(first_index, first_index + p.density_clients)), "density")
    gate = asyncio.Semaphore(p.setup_concurrency)
    turn = iter(range(10 ** 9))

    async def make(jid: str) -> None:
        async with gate:
            await create_room(clients[next(turn) % len(clients)], jid, "solo")

    await asyncio.sleep(1.0)
    base = _snapshot(ctx)
    began = time.perf_counter()
    if warm_rooms:
        await asyncio.gather(*(make(jid) for jid in warm_rooms))
        await asyncio.sleep(2.0)
    warm = _snapshot(ctx) if warm_rooms else base
    warm_s = time.perf_counter() - began
    began = time.perf_counter()
    await asyncio.gather(*(make(ctx.room("live", i)) for i in range(count)))
    create_s = time.perf_counter() - began
    await asyncio.sleep(2.0)          # let allocations settle (actor start-up, GC)
    end = _snapshot(ctx)
    await ctx.disconnect(clients)     # the rooms empty out and end: later scenarios start clean
    kept = set(warm) & set(end)
    new_pids = set(end) - set(base)
    per_room = (_sum(end, "uss", kept) - _sum(warm, "uss", kept)) / count
    per_process = _sum(end, "uss", new_pids) / len(new_pids) if new_pids else 0.0
    base_pss = _sum(base, "pss")
    if hosts:
        capacity_rooms = (NODE_BYTES - base_pss - hosts * per_process) / per_room if per_room > 0 else None
        model = f"(24 GiB - base - {hosts} hosts x per_process) / per_room"
    elif isinstance(ctx.target, RaymucTarget) and ctx.target.rooms_per_actor == 1:
        # a negative in-process growth is noise (other processes' heaps moving): count it as 0
        capacity_rooms = (NODE_BYTES - base_pss) / (per_process + max(per_room, 0.0))
        model = "(24 GiB - base) / (per_process + per_room)"
    elif isinstance(ctx.target, RaymucTarget):      # hosts made as rooms come, rooms_per_actor each
        rpa = ctx.target.rooms_per_actor
        capacity_rooms = (NODE_BYTES - base_pss) / (per_process / rpa + max(per_room, 0.0))
        model = f"(24 GiB - base) / (per_process / {rpa} + per_room)"
    else:
        capacity_rooms = (NODE_BYTES - base_pss) / per_room if per_room > 0 else None
        model = "(24 GiB - base) / per_room"
    rooms_total = count + len(warm_rooms)
    return {
        "rooms": count,
        "warmup_rooms": len(warm_rooms),
        "occupant_clients": len(clients),
        "create_s": round(create_s, 1),
        "warmup_s": round(warm_s, 1),
        "rooms_created_per_s": round(count / create_s, 1) if create_s else None,
        "memory_before_mib": round(base_pss / MIB, 1),
        "memory_after_mib": round(_sum(end, "pss") / MIB, 1),
        "processes_before": len(base),
        "processes_after": len(end),
        "new_processes_in_measured_phase": len(set(end) - set(warm)),
        "per_process_uss_mib": round(per_process / MIB, 1),
        "per_room_uss_kib": round(per_room / KIB, 2),
        "avg_uss_kib_all_in": round((_sum(end, "uss") - _sum(base, "uss")) / rooms_total / KIB, 1),
        "rooms_per_24gib": int(capacity_rooms) if capacity_rooms and capacity_rooms > 0 else None,
        "config_limit_rooms": hosts * ctx.target.rooms_per_actor if hosts else None,   # room_hosts x rooms_per_actor
        "capacity_model": model,
        "measured_growth_kib_by_group": _growth_by_group(warm, end, kept),
        "groups_after_mib": _by_group(end),
        "groups_before_mib": _by_group(base),
    }


def _by_group(snap: dict[int, dict]) -> dict[str, float]:
    out: dict[str, float] = {}
    for value in snap.values():
        out[value["group"]] = out.get(value["group"], 0.0) + value["pss"] / MIB
    return {k: round(v, 1) for k, v in out.items()}


def _growth_by_group(before: dict[int, dict], after: dict[int, dict], pids: set[int]) -> dict[str, float]:
    """USS growth of the processes present in both snapshots, per group (where rooms cost)."""
    out: dict[str, float] = {}
    for pid in pids:
        group = after[pid]["group"]
        out[group] = out.get(group, 0.0) + (after[pid]["uss"] - before[pid]["uss"]) / KIB
    return {k: round(v, 1) for k, v in out.items()}
