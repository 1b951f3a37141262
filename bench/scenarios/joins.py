"""Scenario 4: big_room clients enter one room. The first creates it (and submits the
instant-room form where the room is locked); the others then join all at once, so each
join also fans the newcomer's presence out to everyone already inside."""
from __future__ import annotations

import time

from bench.procstat import CpuMeter
from bench.scenarios.common import Ctx, cpu_figures, create_room, join_all
from bench.xmppload.client import LeanClient
from bench.xmppload.load import RoomLoad
from bench.xmppload.metrics import summary_ms


async def big_room_joins(ctx: Ctx, clients: list[LeanClient]) -> tuple[dict, RoomLoad]:
    jid = ctx.room("big")
    created_s = await create_room(clients[0], jid, "n0")
    before = sum(c.counts["presence"] for c in clients)
    meter = CpuMeter(ctx.target.groups)
    meter.start()
    began = time.perf_counter()
    times = await join_all(clients[1:], jid, "n", start=1)
    total = time.perf_counter() - began
    cpu = meter.stop()
    presences = sum(c.counts["presence"] for c in clients) - before   # received by the window's end
    result = {
        "room_size": len(clients),
        "create_ms": round(created_s * 1e3, 1),
        "concurrent_joins": len(times),
        "join_ms": summary_ms([int(t * 1e9) for t in times]),
        "total_s": round(total, 3),
        "joins_per_s": round(len(times) / total, 1) if total else None,
        **cpu_figures(cpu, presences, ctx.target),
        "presences_delivered": presences,
        "note": "cpu_us_per_delivery is per presence received by the clients during the burst",
    }
    return result, RoomLoad(jid, clients)
