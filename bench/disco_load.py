"""Join latency while the service's room list is under load (issue 15 item 2), not a test.

A private Prosody and `raymuc run` (embedded SecantusDB, private Ray, dense placement) on
127.0.0.1; 50,000 rooms written straight into the rooms collection (one in ten hidden);
then, per phase, a guest joins rooms one after another (a new room each time, and a room
kept live by its owner), presence -> self-presence, while a child process keeps 50
service disco#items requests in flight:

- idle: no disco#items load;
- first_page: every request asks the first page (no <set/>): one cached answer serves all;
- random_pages: <max>50</max> after a random public stored room: every request a storage
  read; a client answered resource-constraint (a wait error) asks again 1 s later.

    .venv/bin/python -m bench.disco_load [--rooms 50000] [--concurrency 50] [--joins 40]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path

from bench.lifecycle_bench import DOMAIN, PASSWORD, Service, config_text, leave, percentile

NS_ITEMS = "http://jabber.org/protocol/disco#items"
NS_RSM = "http://jabber.org/protocol/rsm"
NS_MUC = "http://jabber.org/protocol/muc"
LOAD_USERS = 5                      # connections carrying the disco#items load


def figures(ms: list[float]) -> dict:
    if not ms:
        return {"n": 0}
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 1),
            "p99_ms": round(percentile(ms, 99), 1), "max_ms": round(max(ms), 1)}


def embedded_uri(data_dir: Path) -> str:
    """The service's SecantusDB, found by its data directory among the processes."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if "--port" in args and any(str(data_dir) in a for a in args):
            return f"mongodb://127.0.0.1:{args[args.index('--port') + 1]}/?directConnection=true"
    raise RuntimeError(f"no SecantusDB serving {data_dir}")


def seed(uri: str, rooms: int) -> tuple[float, list[str]]:
    """Rooms written in bulk, as RoomStore.save would store them (version 1)."""
    from pymongo import MongoClient
    from persistence.records import RoomRecord
    from persistence.store import RoomStore
    with RoomStore.from_uri(uri) as store:
        store.ensure_indexes()            # as a running service has them
    jids = [f"seed{i:06d}@{DOMAIN}" for i in range(rooms)]
    began = time.perf_counter()
    with MongoClient(uri) as client:
        col = client["raymuc"]["rooms"]
        for start in range(0, rooms, 5000):
            col.insert_many([RoomRecord(jid, 1, {"public": i % 10 != 0, "persistent": True,
                                                 "title": f"Seeded room {i}"},
                                        {f"owner{i % 97}@localhost": "owner"}).to_document()
                             for i, jid in enumerate(jids[start:start + 5000], start)],
                            ordered=False)
    return time.perf_counter() - began, jids


def _load(port: int, mode: str, concurrency: int, jids: list[str], stop, out) -> None:
    """Child process: `concurrency` disco#items requests in flight until `stop`."""
    from tests.e2e.xmpp_clients import connected_client

    async def loop(client, n: int, seen: list) -> None:
        rng = random.Random(n)
        public = [jid for i, jid in enumerate(jids) if i % 10]
        k = 0
        while not stop.is_set():
            k += 1
            rsm = "" if mode == "first_page" else (    # public rooms: hidden ones are no cursor
                f"<set xmlns='{NS_RSM}'><max>50</max><after>{rng.choice(public)}</after></set>")
            iq_id = f"d{n}-{k}"
            began = time.perf_counter()
            client.send_raw(f"<iq type='get' to='{DOMAIN}' id='{iq_id}'>"
                            f"<query xmlns='{NS_ITEMS}'>{rsm}</query></iq>")
            reply = await client.wait_for_stanza(lambda s: s.name == "iq" and s["id"] == iq_id, 120)
            kind = reply["type"] if reply["type"] == "result" else reply["error"]["condition"]
            seen.append((kind, (time.perf_counter() - began) * 1000))
            if kind == "resource-constraint":
                await asyncio.sleep(1.0)        # a wait error: a client tries again later

    async def main() -> list:
        seen: list = []
        clients = [connected_client(f"load{u}@localhost", PASSWORD, "127.0.0.1", port)
                   for u in range(LOAD_USERS)]
        opened = [await c.__aenter__() for c in clients]
        try:
            await asyncio.gather(*(loop(opened[n % LOAD_USERS], n, seen)
                                   for n in range(concurrency)))
        finally:
            for c in clients:
                await c.__aexit__(None, None, None)
        return seen
    out.put(asyncio.run(main()))


async def join_timed(client, room: str, nick: str) -> float:
    full = f"{room}/{nick}"
    began = time.perf_counter()
    client.send_raw(f"<presence to='{full}'><x xmlns='{NS_MUC}'><history maxstanzas='0'/></x>"
                    "</presence>")
    pres = await client.wait_for_stanza(
        lambda s: s.name == "presence" and str(s["from"]) == full and (
            s["type"] == "error" or "110" in str(s)), 60)
    if pres["type"] == "error":
        return None
    return (time.perf_counter() - began) * 1000


async def joins(port: int, live_room: str, n: int) -> dict:
    from tests.e2e.xmpp_clients import connected_client
    new, live = [], []
    async with connected_client("guest@localhost", PASSWORD, "127.0.0.1", port) as guest:
        for k in range(n):
            room = f"join{k}{secrets.token_hex(3)}@{DOMAIN}"
            for target, times in ((room, new), (live_room, live)):
                times.append(await join_timed(guest, target, "Guest"))
                if times[-1] is not None:
                    await leave(guest, target, "Guest")
    return {"join_new_room": figures([t for t in new if t is not None]),
            "join_new_room_refused": new.count(None),
            "join_live_room": figures([t for t in live if t is not None]),
            "join_live_room_refused": live.count(None)}


def phase(port: int, mode: str, concurrency: int, n_joins: int, live_room: str,
          jids: list[str]) -> dict:
    ctx = multiprocessing.get_context("spawn")
    stop, out = ctx.Event(), ctx.Queue()
    child = None
    if mode != "idle":
        child = ctx.Process(target=_load, args=(port, mode, concurrency, jids, stop, out))
        child.start()
        time.sleep(8)                  # connections up, load running
    result = asyncio.run(joins(port, live_room, n_joins))
    if child is not None:
        stop.set()
        seen = out.get(timeout=300)
        child.join(60)
        by_kind: dict = {}
        for kind, ms in seen:
            by_kind.setdefault(kind, []).append(ms)
        result["disco_items"] = {kind: figures(ms) for kind, ms in sorted(by_kind.items())}
    return result


def run_bench(n_rooms: int, concurrency: int, n_joins: int, modes: list[str]) -> dict:
    from raymuc.prosody import ProsodyServer
    from tests.e2e.xmpp_clients import connected_client
    base = Path(tempfile.mkdtemp(prefix="rm-disco-"))
    secret = secrets.token_hex(8)
    prosody = ProsodyServer(base / "prosody", components={DOMAIN: secret})
    prosody.start()
    service = None
    try:
        for user in ["owner", "guest"] + [f"load{u}" for u in range(LOAD_USERS)]:
            prosody.register(user, PASSWORD)
        cfg = base / "raymuc.toml"
        cfg.write_text(config_text(prosody.component_port, secret, base / "data", 1000))
        service = Service(cfg, base / "service.log")
        service.start()
        uri = embedded_uri(base / "data" / "mongo")
        seconds, jids = seed(uri, n_rooms)
        live_room = f"kept{secrets.token_hex(3)}@{DOMAIN}"
        port = prosody.c2s_port

        async def keep_live_and_measure() -> dict:
            async with connected_client("owner@localhost", PASSWORD, "127.0.0.1", port) as owner:
                await join_timed(owner, live_room, "Owner")
                owner.send_raw(f"<iq type='set' to='{live_room}' id='cfg'><query xmlns='{NS_MUC}"
                               "#owner'><x xmlns='jabber:x:data' type='submit'/></query></iq>")
                await owner.wait_for_stanza(lambda s: s.name == "iq" and s["id"] == "cfg")
                # warm-up, not measured: the first joins start the dense room hosts (~1 s each)
                await asyncio.to_thread(phase, port, "idle", concurrency, 40, live_room, jids)
                out = {}
                for mode in modes:
                    out[mode] = await asyncio.to_thread(phase, port, mode, concurrency, n_joins,
                                                        live_room, jids)
                return out
        phases = asyncio.run(keep_live_and_measure())
        return {"stored_rooms": n_rooms, "seed_seconds": round(seconds, 1),
                "concurrency": concurrency, "cpus": os.cpu_count(),
                "load_at_end": os.getloadavg(), "phases": phases}
    finally:
        if service is not None:
            service.stop()
        prosody.stop()


def main(argv=None) -> int:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rooms", type=int, default=50_000)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--joins", type=int, default=40)
    p.add_argument("--modes", default="idle,first_page,random_pages")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)
    result = run_bench(args.rooms, args.concurrency, args.joins, args.modes.split(","))
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
