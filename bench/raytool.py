"""Operator actions the benchmark needs on a running RayMUC, as a separate Ray driver
(so the load generator's process never imports Ray).

    python -m bench.raytool --config RAYMUC.toml cold JID...

`cold` takes stored persistent rooms out of memory: by RayMUC's deep hibernation
(actors.supervisor.operate, what `raymuc hibernate` calls) when it exists, else (or with
--kill) by force: with one actor per room the room's actor is killed for good (its
process is gone, as after deep hibernation; the next stanza starts a new actor that
reloads the room from MongoDB). With dense placement each host holding one of the rooms
is killed and restarted by Ray (the process comes back empty, so the rooms reload from
MongoDB; the other rooms of those hosts go cold too). Prints a JSON line.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def hibernate(jids: list[str], placement) -> dict | None:
    """Deep hibernation through RayMUC's own operator API (`raymuc hibernate`), all rooms
    from this one driver; None when this RayMUC has no such API."""
    try:
        from actors.supervisor import operate
    except ImportError:
        return None
    failed = []
    for jid in jids:
        result = operate(placement, jid, "hibernate")
        if not result.get("done") and "not running" not in str(result.get("reason", "")):
            failed.append({"room": jid, **{k: str(v) for k, v in result.items()}})
    return {"method": "deep hibernation (raymuc hibernate)", "rooms": len(jids), "failed": failed,
            "not_settled": []}


def cold(jids: list[str], placement, timeout: float = 60.0, allow_hibernate: bool = True) -> dict:
    result = hibernate(jids, placement) if allow_hibernate else None
    if result is not None and not result["failed"]:
        return result
    fallback = kill(jids, placement, timeout)
    if result is not None:
        fallback["hibernate_failed"] = result["failed"][:3]
    return fallback


def kill(jids: list[str], placement, timeout: float) -> dict:
    """The fallback: ray.kill the hosts (see the module docstring)."""
    import ray
    from actors.placement import find_host
    names = sorted({placement.actor_name(jid) for jid in jids})
    missing, killed = [], []
    for name in names:
        handle = find_host(placement, name)
        if handle is None:
            missing.append(name)
            continue
        ray.kill(handle, no_restart=not placement.dense)
        killed.append(name)
    deadline = time.monotonic() + timeout
    pending = list(killed)
    while pending and time.monotonic() < deadline:
        still = []
        for name in pending:
            handle = find_host(placement, name)
            if placement.dense:
                try:     # restarted and answering, with no room in memory
                    ray.get(handle.stats.remote(), timeout=5)
                except Exception:
                    still.append(name)
            elif handle is not None:
                still.append(name)
        pending = still
        if pending:
            time.sleep(0.2)
    how = "ray.kill host restarted empty" if placement.dense else "ray.kill room actor"
    return {"method": f"no deep hibernation available, fallback: {how}",
            "actors_killed": len(killed), "missing": missing, "not_settled": pending}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="benchmark helper attached to RayMUC's Ray session")
    parser.add_argument("--config", required=True, type=Path, help="the service's raymuc.toml")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("cold", help="take stored rooms out of memory")
    p.add_argument("--kill", action="store_true", help="ray.kill even when deep hibernation exists")
    p.add_argument("jids", nargs="+")
    args = parser.parse_args(argv)
    from raymuc import raysession, wiring
    from raymuc.config import load_config
    from raymuc.service import SESSION_FILE
    config = load_config(str(args.config))
    session = raysession.RaySession.from_file(Path(config.storage.data_dir) / SESSION_FILE)
    raysession.connect(session, namespace=config.ray.namespace)
    result = cold(args.jids, wiring.placement(config), allow_hibernate=not args.kill)
    print(json.dumps(result), flush=True)
    return 0 if not result["not_settled"] else 1


if __name__ == "__main__":
    sys.exit(main())
