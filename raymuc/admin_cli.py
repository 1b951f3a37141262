"""Operator subcommands that attach to a running service through its Ray session."""
from __future__ import annotations

import json
from pathlib import Path


def add_commands(sub) -> None:
    p = sub.add_parser("room", help="show a live room's state (attaches to the running service)")
    p.add_argument("jid")
    p.add_argument("--config", required=True)
    p.set_defaults(func=cmd_room)


def _attach(config_path: str):
    from raymuc.cli import _load
    from raymuc import raysession, wiring
    from raymuc.service import SESSION_FILE
    config = _load(config_path)
    session = raysession.RaySession.from_file(Path(config.storage.data_dir) / SESSION_FILE)
    raysession.connect(session, namespace=config.ray.namespace)
    return config, wiring.placement(config)


def cmd_room(args) -> int:
    import ray
    from actors import placement as pl
    config, placement = _attach(args.config)
    name = placement.actor_name(args.jid)
    handle = pl.find_host(placement, name)
    if handle is None:
        print(f"{args.jid}: not running (no actor {name!r})")
        return 1
    state = ray.get(handle.room_state.remote(args.jid))
    print(json.dumps({"actor": name, "state": state}, indent=2, default=str))
    return 0 if state is not None else 1
