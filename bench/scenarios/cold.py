"""Scenario 5: cold room. Create cold_rooms persistent rooms, have the target take them
out of memory (RayMUC: deep hibernation, or its fallback; Prosody/ejabberd: a restart,
after which they load rooms from storage on demand), then time one join per room, one
room after the other: presence sent -> self-presence received. With one actor per room
every cold join starts a Ray actor process (~1 s), so fewer rooms (cold_rooms_actor) keep
the run bounded."""
from __future__ import annotations

import asyncio
import time

from bench.scenarios.common import Ctx, create_room
from bench.targets import RaymucTarget
from bench.xmppload.client import LeanClient, is_error
from bench.xmppload.metrics import summary_ms


async def cold_rooms(ctx: Ctx, creator_index: int, prober_index: int) -> dict:
    p = ctx.profile
    target = ctx.target
    one_per_room = isinstance(target, RaymucTarget) and target.rooms_per_actor == 1
    rooms = [ctx.room("cold", i) for i in range(p.cold_rooms_actor if one_per_room else p.cold_rooms)]
    [creator] = await ctx.connect([creator_index], "cold-creator")
    gate = asyncio.Semaphore(max(1, p.setup_concurrency // 2))

    async def make(jid: str) -> None:
        async with gate:
            await create_room(creator, jid, "owner", persistent=True)
            await creator.leave(jid, "owner")
    began = time.perf_counter()
    await asyncio.gather(*(make(jid) for jid in rooms))
    create_s = time.perf_counter() - began
    await creator.close()
    how = await ctx.target.make_cold(rooms)
    [prober] = await ctx.connect([prober_index], "cold-prober")
    await prober.ping()
    times, errors = [], []
    for jid in rooms:
        began = time.perf_counter()
        presence = await prober.join(jid, "probe", timeout=120)
        elapsed = time.perf_counter() - began
        if is_error(presence):
            errors.append(presence.raw[:200].decode(errors="replace"))
            continue
        times.append(elapsed)
        await _leave(prober, jid)
    return {
        "rooms": len(rooms),
        "method": how.get("method"),
        "cold_details": {k: v for k, v in how.items() if k not in ("method", "reconnect")},
        "join_ms": summary_ms([int(t * 1e9) for t in times]),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "setup_create_s": round(create_s, 1),
    }


async def _leave(client: LeanClient, jid: str) -> None:
    try:
        await client.leave(jid, "probe", timeout=30)
    except Exception:
        pass     # the measurement is the join; a slow leave must not fail the scenario
