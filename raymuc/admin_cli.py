"""Operator subcommands that attach to a running service through its Ray session
(<data_dir>/ray-session.json, written by `raymuc run`): a second Ray driver that
reads or acts, then leaves. See docs/sre.md."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def add_commands(sub) -> None:
    p = sub.add_parser("room", help="show a live room's state (attaches to the running service)")
    p.add_argument("jid")
    p.add_argument("--config", required=True)
    p.set_defaults(func=cmd_room)
    p = sub.add_parser("rooms", help="list the live rooms from the supervisor's directory, "
                                     "with the lifecycle counters")
    p.add_argument("--domain", help="one MUC domain only")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--config", required=True)
    p.set_defaults(func=cmd_rooms)
    p = sub.add_parser("hibernate", help="deep-hibernate one persistent room now (its process "
                                         "ends; the next stanza recreates it from storage)")
    p.add_argument("jid")
    p.add_argument("--config", required=True)
    p.set_defaults(func=cmd_hibernate)
    p = sub.add_parser("stop-room", help="stop one room's process now, whoever is in it "
                                         "(occupants get status 332); a persistent room comes "
                                         "back on the next stanza, a temporary one is gone")
    p.add_argument("jid")
    p.add_argument("--force", action="store_true",
                   help="also stop a temporary room (its configuration is lost)")
    p.add_argument("--config", required=True)
    p.set_defaults(func=cmd_stop_room)
    p = sub.add_parser("gateway", help="the gateway's routing counters (Ray calls, stanzas, "
                                       "retries, per gateway worker), as JSON")
    p.add_argument("--config", required=True)
    p.set_defaults(func=cmd_gateway)
    p = sub.add_parser("dashboard", help="the Ray dashboard's URL and the token it asks for")
    p.add_argument("--config", required=True)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_dashboard)


def _session(config_path: str):
    """(config, RaySession) of the running service: its session file with a private head
    ([ray] address = "local"), else the cluster it joined (token from RAY_AUTH_TOKEN,
    RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token, as for `raymuc run`)."""
    from raymuc.cli_support import load_config_or_exit
    from raymuc import raysession
    from raymuc.service import SESSION_FILE
    config = load_config_or_exit(config_path)
    if config.ray.address != "local":
        try:
            session, _ = raysession.attach_or_start(config.ray.address, Path(config.storage.data_dir),
                                                    namespace=config.ray.namespace)
        except (raysession.RaySessionError, ValueError) as exc:
            _fail(f"cannot find the Ray cluster {config.ray.address!r}: {exc}")
        return config, session
    path = Path(config.storage.data_dir) / SESSION_FILE
    try:
        return config, raysession.RaySession.from_file(path)
    except (raysession.SessionFileError, OSError) as exc:
        _fail(f"no running service found ({exc}); is `raymuc run` up with this config?")


def _attach(config_path: str, command: str):
    """Connect as a quiet second driver: log lines (Ray's own) go to <data_dir>/operator.log,
    not to the terminal; the dashboard lists the driver as job "raymuc <command>"."""
    from raymuc import raysession, wiring
    config, session = _session(config_path)
    _ray_log_to_file(Path(config.storage.data_dir) / OPERATOR_LOG)
    from ray.job_config import JobConfig
    try:
        context = raysession.connect(session, namespace=config.ray.namespace,
                                     configure_logging=False,
                                     job_config=JobConfig(metadata={"job_name": f"raymuc {command}"}))
    except (raysession.RaySessionError, ConnectionError) as exc:
        _fail(f"cannot reach the service's Ray at {session.gcs_address}: {exc}")
    return config, wiring.placement(config), context


OPERATOR_LOG = "operator.log"


def _ray_log_to_file(path: Path) -> None:
    """Every log line of this process, Ray's included, to `path` and not to the terminal
    (ray.init(configure_logging=False) drops Ray's stderr handler; its loggers then
    propagate to the root, which writes only here)."""
    import logging
    from logging.handlers import RotatingFileHandler
    try:
        handler = RotatingFileHandler(path, maxBytes=1 << 20, backupCount=1)
    except OSError:              # a read-only data_dir: the lines are simply dropped
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    import ray  # noqa: F401  (importing Ray sets up its "ray" logger: made to propagate here)
    logging.getLogger("ray").propagate = True


def _fail(message: str):
    print(f"raymuc: {message}", file=sys.stderr)
    raise SystemExit(2)


def cmd_room(args) -> int:
    import ray
    from actors import placement as pl
    config, placement, _ = _attach(args.config, "room")
    name = placement.actor_name(args.jid)
    handle = pl.find_host(placement, name)
    if handle is None:
        print(f"{args.jid}: not running (no actor {name!r})")
        return 1
    try:
        state, lifecycle, process = ray.get([handle.room_state.remote(args.jid),
                                             handle.room_lifecycle.remote(args.jid),
                                             handle.whoami.remote()], timeout=60)
    except ray.exceptions.RayActorError as exc:    # it ended meanwhile (deep hibernation)
        print(f"{args.jid}: not running (actor {name!r} ended: {type(exc).__name__})")
        return 1
    print(json.dumps({"actor": name, "process": process, "lifecycle": lifecycle,
                      "state": state}, indent=2, default=str))
    return 0 if state is not None else 1


def cmd_gateway(args) -> int:
    import ray
    from actors.placement import find_gateway
    config, _, _ = _attach(args.config, "gateway")
    handle = find_gateway(config.ray.namespace)
    if handle is None:
        print("raymuc: the gateway actor is not running", file=sys.stderr)
        return 1
    print(json.dumps(ray.get(handle.stats.remote(), timeout=60), indent=2))
    return 0


def cmd_rooms(args) -> int:
    import ray
    from actors.supervisor import find_supervisor
    config, _placement, _ = _attach(args.config, "rooms")
    sup = find_supervisor(config.ray.namespace)
    if sup is None:
        print("raymuc: the supervisor is not running", file=sys.stderr)
        return 1
    rooms, stats = ray.get([sup.list_rooms.remote(args.domain), sup.stats.remote()], timeout=60)
    if args.json:
        print(json.dumps({"rooms": [_room_dict(r) for r in rooms], "supervisor": stats,
                          "registry": _registry_stats(config.ray.namespace)},
                         indent=2, default=str))
        return 0
    print(rooms_table(rooms, stats, _node_names()))
    return 0


def _registry_stats(namespace: str) -> list:
    """Each max_user_conferences shard's counts (actors/conferences.py), None if missing."""
    import ray
    from actors.conferences import REGISTRY_SHARDS, find_registry
    shards = [find_registry(namespace, s) for s in range(REGISTRY_SHARDS)]
    got = ray.get([h.stats.remote() for h in shards if h is not None], timeout=60)
    return [got.pop(0) if h is not None else None for h in shards]


def cmd_hibernate(args) -> int:
    from actors.supervisor import operate
    _config, placement, _ = _attach(args.config, "hibernate")
    return _print_result(operate(placement, args.jid, "hibernate"))


def cmd_stop_room(args) -> int:
    import ray
    from actors import placement as pl
    from actors.supervisor import operate
    _config, placement, _ = _attach(args.config, "stop-room")
    handle = pl.find_host(placement, placement.actor_name(args.jid))
    state = ray.get(handle.room_state.remote(args.jid)) if handle is not None else None
    if state is None:
        print(f"{args.jid}: not running")
        return 1
    if not state["config"].get("persistent") and not args.force:
        print(f"{args.jid} is a temporary room: stopping it ends it for good (its "
              "configuration is lost). Add --force to do it.", file=sys.stderr)
        return 2
    return _print_result(operate(placement, args.jid, "stop"))


def cmd_dashboard(args) -> int:
    """URL and token: from the session file for a private head (no Ray connection); a
    joined cluster is asked for its dashboard URL."""
    import os
    config, session = _session(args.config)
    url = session.dashboard_url
    if url is None:
        _c, _p, context = _attach(args.config, "dashboard")
        url = getattr(context, "dashboard_url", None) or None
        if url and "://" not in url:
            url = f"http://{url}"
    from raymuc.raysession import RaySessionError
    try:
        token = session.token() or os.environ.get("RAY_AUTH_TOKEN") or None
    except RaySessionError as exc:     # the token file went away: the head stopped
        _fail(str(exc))
    if args.json:
        print(json.dumps({"url": url, "token": token}))
        return 0 if url else 1
    if not url:
        print("The Ray cluster runs no dashboard.")
        return 1
    print(f"Dashboard: {url}")
    print(f"Token:     {token}" if token else
          "Token:     none found here (the cluster may not use token authentication)")
    return 0


def _print_result(result: dict) -> int:
    print(json.dumps(result, indent=2, default=str))
    return 0 if result.get("done") else 1


def _room_dict(info) -> dict:
    from dataclasses import asdict
    # the sessions (real JIDs) are the supervisor's to tell occupants of a lost room;
    # `raymuc room JID` shows who is inside
    return {k: v for k, v in asdict(info).items() if k != "sessions"}


def rooms_table(rooms, stats: dict, nodes: dict[str, str]) -> str:
    """`raymuc rooms` as text; nodes: Ray node id -> name (_node_names)."""
    lines: list[str] = []
    lines.append(f"{'ROOM':<48} {'OCC':>4} {'STATE':<11} {'PERSIST':<7} {'PUBLIC':<6} "
                 f"{'TITLE':<24} NODE")
    for r in rooms:
        state = f"hib {r.hibernated_for:.0f}s" if r.hibernated else ("locked" if r.locked
                                                                   else "awake")
        lines.append(f"{r.jid:<48} {r.occupants:>4} {state:<11} {_yn(r.persistent):<7} "
                     f"{_yn(r.public):<6} {r.title:<24} {nodes.get(r.node, r.node[:8] or '-')}")
    lines.append(f"\n{len(rooms)} rooms online, {sum(r.hibernated for r in rooms)} hibernated; "
                 "metrics: " + (stats.get("metrics_url") or stats.get("metrics_error")
                                or "not served"))
    for name, by_host in sorted(stats.get("metrics", {}).items()):
        lines.append(f"  {name}: " + ", ".join(f"{h}={v:g}" for h, v in sorted(by_host.items())))
    return "\n".join(lines)


def _node_names() -> dict[str, str]:
    """Ray node id -> "address/first 8 hex of the id" (several nodes can share an
    address), with "(dead)" for a node Ray lists as dead."""
    import ray
    return {n["NodeID"]: f"{n.get('NodeManagerAddress', '?')}/{n['NodeID'][:8]}"
            + ("" if n.get("Alive") else " (dead)") for n in ray.nodes()}


def _yn(flag: bool) -> str:
    return "yes" if flag else "no"
