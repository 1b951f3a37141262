"""Scenarios 1-3: groupchat fan-out at a fixed rate, and the highest rate that keeps p99
fan-out latency under the bound."""
from __future__ import annotations

import asyncio

from bench import pyspy
from bench.procstat import CpuMeter, cpu_seconds
from bench.scenarios.common import Ctx, cpu_figures, create_room, join_all
from bench.scenarios.probe import LoadProbe
from bench.xmppload.client import LeanClient
from bench.xmppload.load import LoadOutcome, RoomLoad, run_load
from bench.xmppload.metrics import FanoutRecorder, summary_ms


async def measure(ctx: Ctx, rooms: list[RoomLoad], rate: float, warmup: float, duration: float) -> dict:
    """One window of open-loop load; throughput, latency, losses and the CPU split."""
    recorder = FanoutRecorder()
    meter = CpuMeter(ctx.target.groups)
    probe = LoadProbe(rooms[0].members[-1], rooms[0].jid)
    cpu: dict = {}

    def frame(event: str) -> None:
        if event == "start":
            meter.start()
            probe.start()
        else:
            cpu.update(meter.stop())
            probe.stop()
    outcome: LoadOutcome = await run_load(rooms, rate, warmup, duration, recorder,
                                          padding="x" * ctx.profile.body_padding,
                                          drain=ctx.profile.drain, on_window=frame)
    offered = rate * sum(r.occupants for r in rooms) / len(rooms)
    delivered = outcome.window_deliveries / outcome.window_s if outcome.window_s else 0.0
    lost = outcome.expected_in_window - outcome.received_of_window
    return {
        "rate_msgs_per_s": rate,
        "offered_deliveries_per_s": round(offered, 1),
        "delivered_per_s": round(delivered, 1),
        "latency_ms": summary_ms(recorder.latencies),
        "lost_pct": round(100 * lost / outcome.expected_in_window, 2) if outcome.expected_in_window else None,
        "window_s": outcome.window_s,
        "sent_in_window": outcome.sent_in_window,
        "generator_max_send_lag_ms": outcome.max_send_lag_ms,
        "room_disco_rtt_ms": probe.summary(),
        **cpu_figures(cpu, outcome.window_deliveries, ctx.target),
    }


async def small_rooms(ctx: Ctx, clients: list[LeanClient]) -> dict:
    """Scenario 1: s1_rooms rooms of s1_room_size occupants, s1_rate messages/s in all."""
    p = ctx.profile
    loads = []
    for r in range(p.s1_rooms):
        members = clients[r * p.s1_room_size:(r + 1) * p.s1_room_size]
        loads.append(RoomLoad(ctx.room("s1", r), members))

    async def setup(load: RoomLoad) -> None:
        await create_room(load.members[0], load.jid, "n0")
        await join_all(load.members[1:], load.jid, "n", start=1)
    await asyncio.gather(*(setup(load) for load in loads))
    result = await measure(ctx, loads, p.s1_rate, p.warmup, p.duration)
    return {"rooms": p.s1_rooms, "room_size": p.s1_room_size, **result}


async def big_room_steady(ctx: Ctx, room: RoomLoad) -> dict:
    """Scenario 2: the big room (joined in scenario 4) at s2_rate messages/s."""
    p = ctx.profile
    result = await measure(ctx, [room], p.s2_rate, p.warmup, p.duration)
    return {"room_size": room.occupants, **result}


async def quiesce(clients: list[LeanClient], quiet: float = 1.0, limit: float = 30.0) -> None:
    """Wait until the clients received nothing for `quiet` seconds (at most `limit`)."""
    deadline = asyncio.get_running_loop().time() + limit
    last = -1
    while asyncio.get_running_loop().time() < deadline:
        now = sum(c.counts["message"] for c in clients)
        if now == last:
            return
        last = now
        await asyncio.sleep(quiet)


def _passes(step: dict, p) -> bool:
    p99 = step["latency_ms"]["p99"]
    offered = step["offered_deliveries_per_s"]
    return (p99 is not None and p99 < p.s3_p99_ms and (step["lost_pct"] or 0.0) < 1.0
            and step["delivered_per_s"] >= p.s3_min_delivery * offered)


async def max_rate(ctx: Ctx, room: RoomLoad) -> dict:
    """Scenario 3: from s3_start_rate, multiply (or, if that fails, divide) the rate by
    s3_factor until one rate passes and the next fails (a step fails on p99 over the
    bound, losses, or delivering under s3_min_delivery of the offer), then bisect
    s3_refine times. At most s3_max_steps + s3_refine steps."""
    p = ctx.profile
    result = await _ramp(ctx, [room], p.s3_start_rate, p.s3_max_steps, p.s3_refine)
    return {"room_size": room.occupants, **result}


async def gateway_rate(ctx: Ctx, clients: list[LeanClient]) -> dict:
    """Scenario 7: s7_rooms rooms of s7_room_size, the load spread over all of them, ramped
    as scenario 3 from s7_start_rate: a stanza rate that tests the gateway's Ray calls
    (one per message when rooms are quiet, batched when they are not) more than fan-out."""
    p = ctx.profile
    loads = [RoomLoad(ctx.room("s7", r), clients[r * p.s7_room_size:(r + 1) * p.s7_room_size])
             for r in range(p.s7_rooms)]

    async def setup(load: RoomLoad) -> None:
        await create_room(load.members[0], load.jid, "g0")
        await join_all(load.members[1:], load.jid, "g", start=1)
    for i in range(0, len(loads), 10):
        await asyncio.gather(*(setup(load) for load in loads[i:i + 10]))
    result = await _ramp(ctx, loads, p.s7_start_rate, p.s7_max_steps, p.s7_refine)
    return {"rooms": p.s7_rooms, "room_size": p.s7_room_size, **result}


async def _ramp(ctx: Ctx, rooms: list[RoomLoad], start: float, max_steps: int, refine: int) -> dict:
    p = ctx.profile
    steps: list[dict] = []
    members = [c for room in rooms for c in room.members]

    async def step(rate: float) -> dict:
        result = await measure(ctx, rooms, round(rate, 2), p.s3_warmup, p.s3_duration)
        result["pass"] = _passes(result, p)
        steps.append(result)
        await quiesce(members)          # a failed step leaves a backlog: let it drain first
        return result

    best, failed_rate = None, None
    rate = start
    first = await step(rate)
    if first["pass"]:
        best = first
        while len(steps) < max_steps:
            rate *= p.s3_factor
            if (await step(rate))["pass"]:
                best = steps[-1]
            else:
                failed_rate = rate
                break
    else:
        failed_rate = rate
        while len(steps) < max_steps:
            rate /= p.s3_factor
            if (await step(rate))["pass"]:
                best = steps[-1]
                break
            failed_rate = rate
    for _ in range(refine if best is not None and failed_rate is not None else 0):
        mid = (best["rate_msgs_per_s"] + failed_rate) / 2
        if (await step(mid))["pass"]:
            best = steps[-1]
        else:
            failed_rate = mid
    return {
        "p99_bound_ms": p.s3_p99_ms,
        "max_rate_msgs_per_s": best["rate_msgs_per_s"] if best else None,
        "max_delivered_per_s": best["delivered_per_s"] if best else None,
        "latency_ms_at_max": best["latency_ms"] if best else None,
        "cpu_us_per_delivery_at_max": best["cpu_us_per_delivery"] if best else None,
        "cpu_split_s_at_max": best["cpu_split_s"] if best else None,
        "cpu_s_at_max": best["cpu_s"] if best else None,
        "first_failing_rate": None if failed_rate is None else round(failed_rate, 2),
        "capped_by_steps": failed_rate is None or best is None,
        "steps": steps,
    }


async def profiled_window(ctx: Ctx, rooms: list[RoomLoad], rate: float, label: str) -> dict:
    """An extra window like a scenario's, with py-spy sampling RayMUC's gateway and room
    actors (kept apart from the measured windows: sampling costs CPU)."""
    p = ctx.profile
    groups = ctx.target.muc_groups()
    pids = {f"gateway-{pid}": pid for pid in groups.get("raymuc.gateway", [])}
    # the room actors of these rooms are the busy ones: the top CPU users over a short sample
    busy = await _busiest(groups.get("raymuc.rooms", []), rooms, rate, len(rooms))
    pids.update({f"room-{pid}": pid for pid in busy})
    profiler = pyspy.Profiler(ctx.profile_dir, f"{ctx.target.name}-{label}")
    profiler.start(pids, p.warmup + p.duration)
    window = await measure(ctx, rooms, rate, p.warmup, p.duration)
    profiles = await asyncio.to_thread(profiler.finish)
    return {"rate_msgs_per_s": rate, "delivered_per_s": window["delivered_per_s"],
            "latency_ms": window["latency_ms"], "cpu_s": window["cpu_s"],
            "profiles": {k: v for k, v in profiles.items() if v.get("samples", 1)}}


async def _busiest(pids: list[int], rooms: list[RoomLoad], rate: float, count: int) -> list[int]:
    """The `count` pids using most CPU while the rooms get a second of load."""
    before = {pid: cpu_seconds(pid) or 0.0 for pid in pids}
    recorder = FanoutRecorder()
    await run_load(rooms, rate, 0.0, 1.0, recorder, drain=1.0)
    used = {pid: (cpu_seconds(pid) or 0.0) - before[pid] for pid in pids}
    return sorted(used, key=used.get, reverse=True)[:count]
