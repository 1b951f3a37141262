"""Runs the selected scenarios against one target, within a time budget.

Order: 6, 1, 4, 2, 3, 5. Scenario 6 measures memory growth, so it runs first on a fresh
system (a heap grown and freed by earlier scenarios would absorb new rooms unseen), and
its clients leave afterwards. Scenario 4's big room is reused by 2 and 3 (its clients
stay inside); 5 comes last because it may restart the XMPP server. A failing scenario is
recorded and the next one still runs; what no longer fits in the budget is skipped.
"""
from __future__ import annotations

import asyncio
import logging
import time
import traceback
from pathlib import Path

from bench.procstat import CpuMeter, memory_of
from bench import pyspy
from bench.profile import Profile
from bench.scenarios import cold, density, fanout, joins, probe
from bench.scenarios.common import Ctx, create_room, join_all
from bench.targets import RaymucTarget, Target
from bench.xmppload.load import RoomLoad

log = logging.getLogger("bench.runner")
ORDER = (6, 1, 4, 2, 3, 7, 5)
TITLES = {
    1: "s1_small_rooms", 2: "s2_big_room", 3: "s3_max_rate", 4: "s4_joins", 5: "s5_cold_room",
    6: "s6_live_rooms", 7: "s7_gateway_rate",
}


async def run_target(target: Target, profile: Profile, selected: set[int], budget_s: float,
                     profile_dir: Path | None = None) -> dict:
    ctx = Ctx(target, profile, profile_dir if isinstance(target, RaymucTarget) and pyspy.available() else None)
    deadline = time.monotonic() + budget_s
    wanted = [s for s in ORDER if s in selected and s in target.scenarios]
    out: dict = {"info": target.info(), "scenarios": {}, "errors": {}, "skipped": {},
                 "budget_s": round(budget_s, 1)}
    big: RoomLoad | None = None
    pool: list = []
    try:
        await asyncio.sleep(profile.settle_s)     # start-up work (module loading, Ray workers) ends
        out["idle_cpu"] = await idle_cpu(target, profile.idle_s)
        out["memory_at_rest_mib"] = {g: round(m["pss"] / 2 ** 20, 1) for g, m in memory_of(target.groups()).items()}
        for number in wanted:
            if number in (1, 2, 3, 4, 7) and not pool:   # after scenario 6, which wants a fresh system
                size = max(profile.big_room, profile.s1_rooms * profile.s1_room_size,
                           profile.s7_rooms * profile.s7_room_size)
                began = time.perf_counter()
                pool = await asyncio.wait_for(ctx.connect(list(range(size)), "load"), 300)
                out["login_s"] = round(time.perf_counter() - began, 2)
                out["hops_at_rest_ms"] = await asyncio.wait_for(_hops(ctx, pool[0]), 120)
            title = TITLES[number]
            left = deadline - time.monotonic()
            if left < 5:
                out["skipped"][title] = "time budget of this target used up"
                log.warning("bench.skip target=%s scenario=%s reason=budget", target.name, title)
                continue
            log.info("bench.scenario target=%s scenario=%s budget_left_s=%.0f", target.name, title, left)
            began = time.perf_counter()
            try:
                if number == 1:
                    result = await asyncio.wait_for(fanout.small_rooms(ctx, pool), left)
                elif number == 7:
                    result = await asyncio.wait_for(fanout.gateway_rate(ctx, pool), left)
                elif number == 4:
                    result, big = await asyncio.wait_for(joins.big_room_joins(ctx, pool[:profile.big_room]), left)
                elif number in (2, 3):
                    if big is None:
                        big = await asyncio.wait_for(_fill_big_room(ctx, pool[:profile.big_room]), left)
                    run = fanout.big_room_steady if number == 2 else fanout.max_rate
                    result = await asyncio.wait_for(run(ctx, big), deadline - time.monotonic())
                elif number == 6:
                    result = await asyncio.wait_for(density.live_rooms(ctx, 0), left)
                else:
                    result = await asyncio.wait_for(cold.cold_rooms(ctx, 0, 1), left)
                result["scenario_s"] = round(time.perf_counter() - began, 1)
                out["scenarios"][title] = result
                if ctx.profile_dir is not None and number in (1, 2):
                    out.setdefault("pyspy", {})[title] = await asyncio.wait_for(
                        _profile(ctx, number, pool, big), max(5.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                out["errors"][title] = "did not finish within the target's time budget"
                log.error("bench.timeout target=%s scenario=%s", target.name, title)
            except Exception as exc:
                out["errors"][title] = f"{type(exc).__name__}: {exc}"[:2000]
                log.error("bench.failed target=%s scenario=%s\n%s", target.name, title, traceback.format_exc())
    finally:
        await ctx.close_all()
    return out


async def idle_cpu(target: Target, seconds: float) -> dict:
    """CPU % of one core per process group before any client connects: each system's floor."""
    meter = CpuMeter(target.groups)
    meter.start()
    await asyncio.sleep(seconds)
    cpu = meter.stop()
    wall = cpu.pop("wall")
    cpu.pop("generator", None)
    return {"seconds": wall, "pct_of_core": {k: round(v / wall * 100, 1) for k, v in cpu.items()}}


async def _profile(ctx: Ctx, number: int, pool: list, big: RoomLoad | None) -> dict:
    p = ctx.profile
    if number == 1:
        rooms = [RoomLoad(ctx.room("s1", r), pool[r * p.s1_room_size:(r + 1) * p.s1_room_size])
                 for r in range(p.s1_rooms)]
        return await fanout.profiled_window(ctx, rooms, p.s1_rate, "s1")
    return await fanout.profiled_window(ctx, [big], p.s2_rate, "s2")


async def _hops(ctx: Ctx, client) -> dict:
    room = ctx.room("probe")
    await create_room(client, room, "probe")
    result = await probe.hops(client, "localhost", ctx.target.muc_domain, room, ctx.profile.probe_samples)
    await client.leave(room, "probe")
    return result


async def _fill_big_room(ctx: Ctx, clients: list) -> RoomLoad:
    jid = ctx.room("big")
    await create_room(clients[0], jid, "n0")
    await join_all(clients[1:], jid, "n", start=1)
    return RoomLoad(jid, clients)
