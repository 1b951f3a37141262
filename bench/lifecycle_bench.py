"""Room lifecycle figures (issue 6), not a test:

- recreation time of a deep-hibernated room, from the stanza sent by a real client to
  its reply received (a join: presence -> self-presence; a disco#info query: IQ ->
  result), p50 and p95 over N rooms (default 20), next to the same stanza to a live room;
- the memory of one live room host process (with rooms_per_actor = 1: one room): RSS, PSS, USS
  from /proc/<pid>/smaps_rollup, median over the rooms.

Everything runs privately on 127.0.0.1: a Prosody, `raymuc run` (embedded SecantusDB,
private Ray), this process as a client and as a second Ray driver (it deep-hibernates
the rooms with the operator API that `raymuc hibernate` uses).

    .venv/bin/python -m bench.lifecycle_bench [--rooms 20] [--json out.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOMAIN = "life.localhost"
PASSWORD = "bench-pw"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_MUC = "http://jabber.org/protocol/muc"
NS_USER = NS_MUC + "#user"
NS_OWNER = NS_MUC + "#owner"


def config_text(component_port: int, secret: str, data_dir: Path, rooms_per_actor: int = 1) -> str:
    return f"""[general]
hosts = ["localhost"]
loglevel = "warning"
[component]
host = "127.0.0.1"
port = {component_port}
password = "{secret}"
[storage]
mongo_uri = "embedded"
data_dir = "{data_dir}"
[ray]
address = "local"
rooms_per_actor = {rooms_per_actor}
[modules.mod_muc]
host = "life.@HOST@"
max_user_conferences = 1000
"""


class Service:
    """`raymuc run` as a child; ready when it prints its ready line."""

    def __init__(self, config: Path, log: Path):
        self.config, self.log = config, log
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 180.0) -> None:
        out = open(self.log, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "raymuc.cli", "run", "--config",
                                      str(self.config)], stdout=subprocess.PIPE, stderr=out,
                                     cwd=REPO, start_new_session=True)
        ready = threading.Event()

        def pump():
            for raw in self.proc.stdout:
                out.write(raw)
                out.flush()
                if b"raymuc ready" in raw:
                    ready.set()
        threading.Thread(target=pump, daemon=True).start()
        if not ready.wait(timeout):
            self.stop()
            raise RuntimeError(f"raymuc run did not start; see {self.log}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(90)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[rank]


def summary(ms: list[float]) -> dict:
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1), "max_ms": round(max(ms), 1)}


async def timed_join(client, room: str, nick: str) -> float:
    full = f"{room}/{nick}"
    began = time.perf_counter()
    client.send_raw(f"<presence to='{full}'><x xmlns='{NS_MUC}'><history maxstanzas='0'/></x>"
                    "</presence>")
    pres = await client.wait_for_stanza(
        lambda s: s.name == "presence" and str(s["from"]) == full and (
            s["type"] == "error" or any(st.get("code") == "110"
                                        for st in s.xml.iter(f"{{{NS_USER}}}status"))), 60)
    elapsed = (time.perf_counter() - began) * 1000
    assert pres["type"] != "error", pres
    return elapsed


async def timed_disco(client, room: str, n: int) -> float:
    iq_id = f"bench-{n}-{secrets.token_hex(3)}"
    began = time.perf_counter()
    client.send_raw(f"<iq type='get' to='{room}' id='{iq_id}'><query xmlns='{NS_DISCO_INFO}'/></iq>")
    reply = await client.wait_for_stanza(lambda s: s.name == "iq" and s["id"] == iq_id, 60)
    elapsed = (time.perf_counter() - began) * 1000
    assert reply["type"] == "result", reply
    return elapsed


async def leave(client, room: str, nick: str) -> None:
    full = f"{room}/{nick}"
    client.send_raw(f"<presence to='{full}' type='unavailable'/>")
    await client.wait_for_stanza(lambda s: s.name == "presence" and str(s["from"]) == full
                                 and s["type"] == "unavailable", 60)


def memory_of(pid: int) -> dict:
    """RSS, PSS and USS (private clean + dirty) in MiB, from smaps_rollup."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])          # kB
    mib = lambda kb: round(kb / 1024, 1)              # noqa: E731
    return {"rss_mib": mib(fields["Rss"]), "pss_mib": mib(fields["Pss"]),
            "uss_mib": mib(fields["Private_Clean"] + fields["Private_Dirty"])}


def deep_hibernate_all(placement, rooms: list[str]) -> None:
    from actors.supervisor import operate
    for room in rooms:
        result = operate(placement, room, "hibernate")
        if not (result.get("done") and (placement.dense or result.get("retired"))):
            import ray
            names = sorted(a["name"] for a in ray.util.list_named_actors(all_namespaces=True))
            raise AssertionError(f"{room}: {result}; named actors: {names}")


def run_bench(n_rooms: int, rooms_per_actor: int = 1) -> dict:
    from raymuc.prosody import ProsodyServer
    from tests.e2e.xmpp_clients import connected_client
    base = Path(tempfile.mkdtemp(prefix="rm-lcb-"))
    secret = secrets.token_hex(8)
    prosody = ProsodyServer(base / "prosody", components={DOMAIN: secret})
    prosody.start()
    service = None
    try:
        for user in ("owner", "guest"):
            prosody.register(user, PASSWORD)
        cfg = base / "raymuc.toml"
        cfg.write_text(config_text(prosody.component_port, secret, base / "data", rooms_per_actor))
        service = Service(cfg, base / "service.log")
        service.start()
        from raymuc import raysession
        from actors.placement import find_host
        raysession.connect(raysession.RaySession.from_file(base / "data" / "ray-session.json"),
                           namespace="raymuc")
        import ray
        from raymuc import wiring
        from raymuc.config import load_config
        placement = wiring.placement(load_config(cfg))     # exactly where the gateway looks
        rooms = [f"bench{n:02d}{secrets.token_hex(2)}@{DOMAIN}" for n in range(n_rooms)]

        async def client(user):
            return connected_client(f"{user}@localhost", PASSWORD, "127.0.0.1", prosody.c2s_port)

        async def create_all():
            async with await client("owner") as owner:
                for room in rooms:
                    await timed_join(owner, room, "Owner")
                    owner.send_raw(f"<iq type='set' to='{room}' id='c-{room}'><query "
                                   f"xmlns='{NS_OWNER}'><x xmlns='jabber:x:data' type='submit'>"
                                   "<field var='muc#roomconfig_persistentroom'><value>1</value>"
                                   "</field></x></query></iq>")
                    await owner.wait_for_stanza(lambda s: s.name == "iq" and s["id"] == f"c-{room}")
                    await leave(owner, room, "Owner")

        async def joins(tag: str) -> list[float]:
            async with await client("guest") as guest:
                out = []
                for room in rooms:
                    out.append(await timed_join(guest, room, "Guest"))
                    await leave(guest, room, "Guest")
                return out

        async def discos() -> list[float]:
            async with await client("guest") as guest:
                return [await timed_disco(guest, room, n) for n, room in enumerate(rooms)]

        asyncio.run(create_all())
        deep_hibernate_all(placement, rooms)
        cold_join = asyncio.run(joins("cold"))
        warm_join = asyncio.run(joins("warm"))            # the actors are running now
        deep_hibernate_all(placement, rooms)
        cold_disco = asyncio.run(discos())
        warm_disco = asyncio.run(discos())
        memory, pids = [], set()
        for room in rooms:
            who = ray.get(find_host(placement, placement.actor_name(room)).whoami.remote())
            if who["pid"] not in pids:           # dense placement: one process, many rooms
                pids.add(who["pid"])
                memory.append(memory_of(who["pid"]))
        med = {k: statistics.median(m[k] for m in memory) for k in memory[0]}
        return {"rooms": n_rooms, "rooms_per_actor": rooms_per_actor, "processes": len(pids),
                "cpus": os.cpu_count(),
                "recreate_join": summary(cold_join), "live_join": summary(warm_join),
                "recreate_disco_info": summary(cold_disco), "live_disco_info": summary(warm_disco),
                "host_process_memory_median": med,
                "host_process_memory_range_uss_mib": [min(m["uss_mib"] for m in memory),
                                                    max(m["uss_mib"] for m in memory)]}
    finally:
        try:
            import ray
            if ray.is_initialized():
                ray.shutdown()
        finally:
            if service is not None:
                service.stop()
            prosody.stop()


def main(argv=None) -> int:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rooms", type=int, default=20)
    p.add_argument("--rooms-per-actor", type=int, default=1,
                   help="1: one process per room (recreation starts a process); >1: dense")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)
    figures = run_bench(args.rooms, args.rooms_per_actor)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
