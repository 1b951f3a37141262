"""The benchmark command: `bash bench/run.sh [--quick] [options]` (or python -m bench.run).

Starts a private Prosody on loopback (RayMUC's component, the do-nothing component and its
own built-in MUC on it) and, when installed, a private ejabberd with its own mod_muc; runs
the scenarios against each system in turn, in this process's asyncio load generator;
writes bench/results/<timestamp>.json and .md and prints the Markdown. Everything it
started is stopped on exit, on Ctrl-C and on SIGTERM. See bench/README.md.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from bench import ejabberd, report
from bench.profile import FULL, QUICK
from bench.prosody_server import BenchProsody
from bench.runner import run_target
from bench.scenarios.common import PASSWORD, user
from bench.targets import EjabberdTarget, NullTarget, ProsodyMucTarget, RaymucTarget
from bench.xmppload.selfcheck import parse_cost_us

log = logging.getLogger("bench.run")
REPO = Path(__file__).resolve().parent.parent
TARGET_ORDER = ("raymuc", "raymuc-workers", "raymuc-dense", "null", "prosody", "ejabberd")
# Shares of the remaining time (recomputed before each target, so unused time flows on).
WEIGHTS = {"raymuc": 3.0, "raymuc-workers": 1.2, "raymuc-dense": 2.2, "null": 1.2, "prosody": 1.8, "ejabberd": 1.8}
TEARDOWN_RESERVE_S = 45.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.sh", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and short windows (harness check)")
    parser.add_argument("--targets", default=",".join(TARGET_ORDER),
                        help=f"comma list from {', '.join(TARGET_ORDER)} (default: all)")
    parser.add_argument("--scenarios", default="1,2,3,4,5,6,7", help="comma list of scenario numbers")
    parser.add_argument("--rooms-per-actor", type=int, default=1,
                        help="placement of the 'raymuc' target (default 1: one actor per room)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="override a profile field (see bench/profile.py), repeatable")
    parser.add_argument("--profile", action="store_true", dest="pyspy",
                        help="after scenarios 1 and 2, an extra window with py-spy on RayMUC's gateway and "
                             "room actors (run.sh installs py-spy into var/bench-deps)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    args.target_list = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = sorted(set(args.target_list) - set(TARGET_ORDER))
    if unknown:
        parser.error(f"unknown targets {unknown}; choose from {', '.join(TARGET_ORDER)}")
    try:
        args.scenario_set = {int(s) for s in args.scenarios.split(",") if s.strip()}
    except ValueError:
        parser.error(f"--scenarios {args.scenarios!r}: expected numbers 1-7 separated by commas")
    if not args.scenario_set or not args.scenario_set <= {1, 2, 3, 4, 5, 6, 7}:
        parser.error(f"--scenarios {args.scenarios!r}: expected numbers 1-7")
    if args.rooms_per_actor < 1:
        parser.error("--rooms-per-actor must be at least 1")
    try:
        args.profile = (QUICK if args.quick else FULL).with_overrides(args.set)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def _version(package: str) -> str | None:
    done = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True)
    return done.stdout.strip() or None


def machine() -> dict:
    mem_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:")), 0)
    return {"cpus": os.cpu_count(), "mem_gib": round(mem_kb / 1024 ** 2, 1), "kernel": platform.release(),
            "python": platform.python_version(), "node": platform.node()}


def git_head() -> str:
    done = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True)
    return done.stdout.strip()


# Private dependencies of the load generator (see run.sh): on sys.path of this process
# only; children (raymuc run, Ray workers) never see them.
BENCH_DEPS = REPO / "var" / "bench-deps"
if BENCH_DEPS.is_dir() and str(BENCH_DEPS) not in sys.path:
    sys.path.append(str(BENCH_DEPS))


def event_loop_name() -> str:
    """uvloop when importable (optional: it roughly halves the load client's CPU per
    received stanza), else asyncio's own loop. BENCH_NO_UVLOOP=1 forces asyncio's."""
    if os.environ.get("BENCH_NO_UVLOOP") == "1":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
        return "uvloop"
    except ImportError:
        return "asyncio"


def _run_async(coro):
    if event_loop_name() == "uvloop":
        import uvloop
        return uvloop.run(coro)
    return asyncio.run(coro)


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def build_target(name: str, args, base: Path, prosody: BenchProsody | None, secret: str):
    p = args.profile
    if name == "raymuc":
        return RaymucTarget(prosody, base / "raymuc", secret, rooms_per_actor=args.rooms_per_actor,
                            scenarios=frozenset({1, 2, 3, 4, 5, 6}))
    if name == "raymuc-dense":
        return RaymucTarget(prosody, base / "raymuc-dense", secret, rooms_per_actor=p.dense_rooms_per_actor,
                            room_hosts=p.dense_room_hosts, name="raymuc-dense", scenarios=frozenset({5, 6, 7}))
    if name == "raymuc-workers":
        return RaymucTarget(prosody, base / "raymuc-workers", secret, rooms_per_actor=p.dense_rooms_per_actor,
                            room_hosts=p.dense_room_hosts, name="raymuc-workers",
                            gateway_workers=p.gateway_workers, scenarios=frozenset({1, 7}))
    if name == "null":
        return NullTarget(prosody, secret)
    if name == "prosody":
        return ProsodyMucTarget(prosody)
    return EjabberdTarget(base / "ejabberd")


def run(args) -> int:
    profile = args.profile
    began = time.monotonic()
    deadline = began + profile.max_minutes * 60
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    results: dict = {
        "meta": {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
                 "loadavg_start": [round(x, 2) for x in os.getloadavg()], "profile": profile.as_dict(),
                 "scenarios": sorted(args.scenario_set), "git": git_head(),
                 "generator_parse_us_per_stanza": parse_cost_us(), "event_loop": event_loop_name(),
                 "versions": {"prosody": _version("prosody"), "ejabberd": _version("ejabberd"),
                              "ray": metadata.version("ray"), "python": platform.python_version()}},
        "targets": {}, "not_run": {},
    }
    if os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1):
        results["meta"]["warning"] = (f"The machine was busy at the start (load average {os.getloadavg()[0]:.1f} "
                                      f"on {os.cpu_count()} CPUs): figures are not representative.")
    names = [n for n in TARGET_ORDER if n in args.target_list]
    if "ejabberd" in names and not ejabberd.installed():
        names.remove("ejabberd")
        results["not_run"]["ejabberd"] = "not installed (apt-get install --no-install-recommends ejabberd)"
    base = Path(tempfile.mkdtemp(prefix="rmb-", dir="/tmp"))
    secret = secrets.token_hex(12)
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, base, True)
        prosody = None
        if any(n != "ejabberd" for n in names):
            prosody = BenchProsody(base / "prosody", components={"conference.localhost": secret,
                                                                 "null.localhost": secret},
                                   builtin_muc="muc.localhost")
            prosody.start()
            stack.callback(prosody.stop)
            t = time.perf_counter()
            prosody.register_many([user(i) for i in range(profile.accounts)], PASSWORD)
            log.info("bench.accounts count=%d seconds=%.1f", profile.accounts, time.perf_counter() - t)
        for i, name in enumerate(names):
            left = deadline - time.monotonic() - TEARDOWN_RESERVE_S
            share = left * WEIGHTS[name] / sum(WEIGHTS[n] for n in names[i:])
            if share < 20:
                results["not_run"][name] = "no time left in the run's budget"
                continue
            target = build_target(name, args, base, prosody, secret)
            t = time.perf_counter()
            try:            # stop() also when start() is interrupted half-way
                try:
                    target.start()
                except Exception as exc:
                    log.exception("bench.target_start_failed target=%s", name)
                    results["not_run"][name] = f"could not start: {exc}"[:2000]
                    continue
                startup = time.perf_counter() - t
                log.info("bench.target target=%s started_in_s=%.1f budget_s=%.0f", name, startup, share - startup)
                outcome = _run_async(run_target(target, profile, args.scenario_set, share - startup,
                                                profile_dir=args.out / f"{stamp}-pyspy" if args.pyspy else None))
                outcome["startup_s"] = round(startup, 1)
                results["targets"][name] = outcome
            finally:
                target.stop()
            report.write(results, args.out, stamp)    # partial results survive an interruption
    results["meta"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    results["meta"]["run_s"] = round(time.monotonic() - began, 1)
    json_path, md_path = report.write(results, args.out, stamp)
    print(md_path.read_text())
    print(f"results: {json_path}\n         {md_path}")
    return 0 if results["targets"] else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return run(args)
    except KeyboardInterrupt as exc:
        log.error("bench.interrupted %s: everything started was stopped", exc)
        return 130


if __name__ == "__main__":
    sys.exit(main())
