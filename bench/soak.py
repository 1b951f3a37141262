"""Soak: steady mixed load on RayMUC for N minutes; is anything growing or slowing?

Load (one process, raw clients from bench/xmppload): ROOMS busy rooms of OCCUPANTS
clients get RATE groupchats/s in all, each carrying a latency marker; every CHURN_EVERY
s a visitor joins one busy room and leaves the one it joined before; every
CONFIG_EVERY s an owner changes a room's title (owner form); SLEEPY rooms get one
message every SLEEPY_EVERY s, longer than hibernate_timeout, so each message wakes a
hibernated room. bench/memwatch.py samples the RSS of every process meanwhile.

Figures: RSS slope per process (MiB/min, linear fit over the second half), p99
latency (send -> each receipt) per window and its slope (ms/min), counts sent /
received / lost (a groupchat whose sender never got its own echo is lost), join,
leave and config errors. Written to bench/results/soak-<UTC>.json and printed."""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from bench.memwatch import MemWatch, slope
from bench.prosody_server import BenchProsody
from bench.raymuc_service import RaymucService
from bench.xmppload.client import LeanClient, is_error
from bench.xmppload.marker import body_text
from bench.xmppload.metrics import percentile

log = logging.getLogger("bench.soak")
DOMAIN = "conference.localhost"
PASSWORD = "soak-pw"
ROOMS, OCCUPANTS, RATE = 10, 3, 30.0
VISITORS, CHURN_EVERY, CONFIG_EVERY = 4, 2.0, 10.0
SLEEPY, SLEEPY_EVERY, HIBERNATE_MS = 5, 8.0, 3000
GRACE = 10.0            # s after the load for the last answers


class Soak:
    def __init__(self, window: float):
        self.window = window
        self.seq = 0
        self.sender: dict[int, int] = {}          # seq -> sending client's index
        self.echoed: set[int] = set()
        self.latency: dict[int, list[float]] = {}  # window -> ms
        self.received = 0
        self.counts = {"sent": 0, "joins": 0, "leaves": 0, "configs": 0, "join_errors": 0,
                       "leave_errors": 0, "config_errors": 0, "wakes": 0}
        self.began_ns = 0

    def sink(self, index: int):
        def on_marker(seq: int, send_ns: int, recv_ns: int) -> None:
            self.received += 1
            w = int((send_ns - self.began_ns) / 1e9 // self.window)
            self.latency.setdefault(w, []).append((recv_ns - send_ns) / 1e6)
            if self.sender.get(seq) == index:
                self.echoed.add(seq)
        return on_marker

    def say(self, client: LeanClient, index: int, room: str) -> None:
        self.seq += 1
        self.sender[self.seq] = index
        client.groupchat(room, body_text(self.seq, time.monotonic_ns()), f"s{self.seq}")
        self.counts["sent"] += 1


def user(i: int) -> str:
    return f"soak{i:03d}"


async def connect(indexes: list[int], port: int, soak: Soak) -> list[LeanClient]:
    clients = [LeanClient(user(i), PASSWORD, "localhost", "soak") for i in indexes]
    for i, c in zip(indexes, clients):
        c.on_marker = soak.sink(i)
    await asyncio.gather(*(c.connect("127.0.0.1", port) for c in clients))
    return clients


async def make_room(owner: LeanClient, room: str) -> None:
    joined = await owner.join(room, "owner")
    if is_error(joined):
        raise RuntimeError(f"creating {room}: {joined.raw[:300]!r}")
    await owner.configure(room, {"muc#roomconfig_persistentroom": "1"})


async def drive(port: int, minutes: float, soak: Soak) -> None:
    busy = [f"busy{n}@{DOMAIN}" for n in range(ROOMS)]
    sleepy = [f"sleepy{n}@{DOMAIN}" for n in range(SLEEPY)]
    occupants = await connect(list(range(ROOMS * OCCUPANTS)), port, soak)
    base = ROOMS * OCCUPANTS
    visitors = await connect(list(range(base, base + VISITORS)), port, soak)
    sleepers = await connect(list(range(base + VISITORS, base + VISITORS + SLEEPY)), port, soak)
    members: list[tuple[LeanClient, int, str]] = []
    for r, room in enumerate(busy):
        group = occupants[r * OCCUPANTS:(r + 1) * OCCUPANTS]
        await make_room(group[0], room)
        for k, c in enumerate(group[1:], 1):
            await c.join(room, f"m{k}")
        members += [(c, r * OCCUPANTS + k, room) for k, c in enumerate(group)]
    for s, room in enumerate(sleepy):
        await make_room(sleepers[s], room)
    soak.began_ns = time.monotonic_ns()
    end = time.monotonic() + minutes * 60
    rng = random.Random(7)
    visits: list[str | None] = [None] * VISITORS
    next_churn = next_config = time.monotonic()
    next_sleepy = time.monotonic() + SLEEPY_EVERY
    tick, sent_at = 0.1, time.monotonic()
    tasks: set[asyncio.Task] = set()

    def spawn(coro) -> None:
        t = asyncio.ensure_future(coro)
        tasks.add(t)
        t.add_done_callback(tasks.discard)

    async def churn(v: int) -> None:
        c, old, new = visitors[v], visits[v], rng.choice(busy)
        visits[v] = new
        try:
            if old is not None:
                soak.counts["leaves"] += 1
                if is_error(await c.leave(old, f"v{v}")):
                    soak.counts["leave_errors"] += 1
            soak.counts["joins"] += 1
            if is_error(await c.join(new, f"v{v}")):
                soak.counts["join_errors"] += 1
        except Exception:
            soak.counts["join_errors"] += 1

    async def reconfigure(r: int) -> None:
        soak.counts["configs"] += 1
        try:
            await occupants[r * OCCUPANTS].configure(
                busy[r], {"muc#roomconfig_roomname": f"busy {r} {secrets.token_hex(3)}"})
        except Exception:
            soak.counts["config_errors"] += 1

    while time.monotonic() < end:
        now = time.monotonic()
        due = int((now - sent_at) * RATE)
        for _ in range(due):
            c, index, room = rng.choice(members)
            soak.say(c, index, room)
        if due:
            sent_at += due / RATE
        if now >= next_churn:
            next_churn += CHURN_EVERY
            spawn(churn(rng.randrange(VISITORS)))
        if now >= next_config:
            next_config += CONFIG_EVERY
            spawn(reconfigure(rng.randrange(ROOMS)))
        if now >= next_sleepy:            # idle longer than hibernate_timeout: a wake-up
            next_sleepy += SLEEPY_EVERY
            s = rng.randrange(SLEEPY)
            soak.say(sleepers[s], base + VISITORS + s, sleepy[s])
            soak.counts["wakes"] += 1
        await asyncio.sleep(tick)
    await asyncio.sleep(GRACE)
    for t in list(tasks):
        t.cancel()
    for c in occupants + visitors + sleepers:
        await c.close()


def figures(soak: Soak, watch: MemWatch, duration: float) -> dict:
    windows = []
    for w in sorted(soak.latency):
        values = sorted(soak.latency[w])
        windows.append({"window": w, "start_min": round(w * soak.window / 60, 2),
                        "receipts": len(values), "p50_ms": round(percentile(values, 50), 1),
                        "p99_ms": round(percentile(values, 99), 1)})
    fit = slope([(x["start_min"], x["p99_ms"]) for x in windows])
    return {"duration_s": round(duration), "window_s": soak.window, **soak.counts,
            "received": soak.received, "lost": soak.counts["sent"] - len(soak.echoed),
            "p99_windows": windows,
            "p99_slope_ms_per_min": None if fit is None else round(fit, 2),
            "rss": watch.report(duration)}


def markdown(f: dict) -> str:
    lines = [f"# Soak: {f['duration_s'] / 60:.1f} min",
             f"sent {f['sent']}, receipts {f['received']}, lost {f['lost']}; joins {f['joins']} "
             f"({f['join_errors']} errors), leaves {f['leaves']} ({f['leave_errors']} errors), "
             f"configs {f['configs']} ({f['config_errors']} errors), wakes {f['wakes']}",
             "", f"| window ({f['window_s']:.0f} s) | receipts | p50 ms | p99 ms |", "|---|---|---|---|"]
    lines += [f"| {w['start_min']} min | {w['receipts']} | {w['p50_ms']} | {w['p99_ms']} |"
              for w in f["p99_windows"]]
    lines += ["", f"p99 slope: {f['p99_slope_ms_per_min']} ms/min", "",
              "| process | samples | first MiB | last MiB | peak MiB | slope MiB/min (2nd half) |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {r['process']} | {r['samples']} | {r['first_mib']} | {r['last_mib']} | "
              f"{r['peak_mib']} | {r['slope_mib_per_min']} |" for r in f["rss"]]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("minutes", nargs="?", type=float, default=30.0)
    ap.add_argument("--window", type=float, default=None,
                    help="latency window in s (default 300, or minutes*10 s under 30 min)")
    ap.add_argument("--every", type=float, default=5.0, help="RSS sampling period, s")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    window = args.window or (300.0 if args.minutes >= 30 else max(30.0, args.minutes * 10))
    base = Path(tempfile.mkdtemp(prefix="rmsoak-", dir="/tmp"))
    secret = secrets.token_hex(12)
    prosody = BenchProsody(base / "prosody", components={DOMAIN: secret})
    service = None
    try:
        prosody.start()
        total = ROOMS * OCCUPANTS + VISITORS + SLEEPY
        prosody.register_many([user(i) for i in range(total)], PASSWORD)
        service = RaymucService(base / "raymuc", prosody.component_port, secret,
                                domain_template="conference.@HOST@",
                                extra=f"hibernate_timeout = {HIBERNATE_MS}")
        service.start()
        watch = MemWatch(service.pid, {"prosody": prosody.pid}, args.every)
        soak = Soak(window)
        watch.start()
        began = time.monotonic()
        asyncio.run(drive(prosody.c2s_port, args.minutes, soak))
        duration = time.monotonic() - began
        watch.stop()
        result = figures(soak, watch, duration)
    finally:
        if service is not None:
            service.stop()
        prosody.stop()
        shutil.rmtree(base, ignore_errors=True)
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    path = out / time.strftime("soak-%Y%m%dT%H%M%SZ.json", time.gmtime())
    path.write_text(json.dumps(result, indent=1))
    print(markdown(result))
    print(f"\nwritten: {path}")


if __name__ == "__main__":
    main()
