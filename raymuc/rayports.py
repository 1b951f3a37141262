"""Port slots for private Ray heads: every Ray port set explicitly, one 512-port slot per
head held by a file lock, so two heads on one machine never collide."""
from __future__ import annotations

import fcntl
import os
import random
import re
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

LOOPBACK = "127.0.0.1"
PORT_SLOT_SIZE = 512
_PORT_SLOTS_LOW = 24064
_PORT_SLOTS = 16
_FIXED_PORT_COUNT = 11
WORKER_PORTS = PORT_SLOT_SIZE - _FIXED_PORT_COUNT  # one per worker or driver process at a time


class PortSlotsExhausted(RuntimeError):
    """Every port slot is held by another head (or something else)."""


@dataclass(frozen=True)
class PortPlan:
    gcs: int
    dashboard: int
    node_manager: int
    object_manager: int
    ray_client: int
    dashboard_agent_listen: int
    dashboard_agent_grpc: int
    runtime_env_agent: int
    metrics_export: int
    dashboard_metrics: int
    autoscaler_metrics: int
    min_worker: int
    max_worker: int


def split_address(address: str) -> tuple[str, int]:
    """'host:port' -> (host, port), with a precise error for anything else."""
    pattern = r"(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]\s]+)):(\d{1,5})"  # IPv6 hosts need brackets
    match = re.fullmatch(pattern, address.strip()) if isinstance(address, str) else None
    if match is None:
        raise ValueError(f"Ray address {address!r} is not 'host:port'")
    port = int(match.group(3))
    if not 1 <= port <= 65535:
        raise ValueError(f"Ray address {address!r}: port {port} is outside 1-65535")
    return match.group(1) or match.group(2), port


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def _slot_lock_dir() -> Path:
    path = Path(tempfile.gettempdir()) / f"raymuc-ray-ports-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def reserve_ports() -> tuple[PortPlan, int]:
    """Pick a free port slot; return its plan and an fd holding an flock on the slot.

    Whoever keeps that fd open owns the slot: start_local_head hands it to `ray start`, so
    the slot is released exactly when that head ends (the kernel drops the lock on exit).
    """
    lock_dir = _slot_lock_dir()
    for slot in random.SystemRandom().sample(range(_PORT_SLOTS), _PORT_SLOTS):
        fd = os.open(lock_dir / f"slot-{slot}", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        base = _PORT_SLOTS_LOW + slot * PORT_SLOT_SIZE
        if all(_port_free(port) for port in range(base, base + PORT_SLOT_SIZE)):
            plan = PortPlan(
                *range(base, base + _FIXED_PORT_COUNT),
                min_worker=base + _FIXED_PORT_COUNT,
                max_worker=base + PORT_SLOT_SIZE - 1,
            )
            return plan, fd
        os.close(fd)  # something else (not one of our heads) sits in this slot
    raise PortSlotsExhausted(f"all {_PORT_SLOTS} Ray port slots from {_PORT_SLOTS_LOW} are taken")
