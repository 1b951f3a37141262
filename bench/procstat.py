"""CPU seconds and memory of process groups, read from /proc (Linux).

A group is a name with a list of pids, e.g. {"xmpp": [prosody], "raymuc.rooms": [...]};
the groups are asked for again at each sample because room actors come and go. A process
that exits inside a window loses its CPU of that window (a retired room host); one that
appears inside it counts from zero (its start-up included).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

CLK_TCK = os.sysconf("SC_CLK_TCK")
Groups = Callable[[], dict[str, list[int]]]


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of one process (all threads), or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = stat.rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def memory(pid: int) -> dict[str, int] | None:
    """{'rss', 'pss', 'uss'} in bytes from smaps_rollup, or None if it is gone/unreadable."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return None
    kb = {}
    for line in text.splitlines()[1:]:
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            kb[key] = int(parts[0])
    return {"rss": kb.get("Rss", 0) * 1024, "pss": kb.get("Pss", 0) * 1024,
            "uss": (kb.get("Private_Clean", 0) + kb.get("Private_Dirty", 0)) * 1024}


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def descendants(root: int) -> list[int]:
    """root and every live process below it (by parent pid)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_bytes()
        except OSError:
            continue
        rest = stat.rsplit(b")", 1)[1].split()
        if rest[0] == b"Z":
            continue
        children.setdefault(int(rest[1]), []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        if Path(f"/proc/{pid}").exists():
            out.append(pid)
        todo.extend(children.get(pid, ()))
    return sorted(set(out))


@dataclass
class CpuMeter:
    """start() ... stop() -> CPU seconds per group over the window, plus 'generator'
    (this process, i.e. the load generator) and the wall time."""

    groups: Groups
    _base: dict[int, float] = field(default_factory=dict)
    _t0: float = 0.0
    _gen0: float = 0.0

    def start(self) -> None:
        self._base = {}
        for pids in self.groups().values():
            for pid in pids:
                value = cpu_seconds(pid)
                if value is not None:
                    self._base[pid] = value
        self._gen0 = time.process_time()
        self._t0 = time.monotonic()

    def stop(self) -> dict[str, float]:
        wall = time.monotonic() - self._t0
        gen = time.process_time() - self._gen0
        out: dict[str, float] = {}
        for group, pids in self.groups().items():
            total = 0.0
            for pid in pids:
                value = cpu_seconds(pid)
                if value is not None:
                    total += value - self._base.get(pid, 0.0)
            out[group] = round(total, 3)
        out["generator"] = round(gen, 3)
        out["wall"] = round(wall, 3)
        return out


def memory_of(groups: dict[str, list[int]]) -> dict[str, dict[str, int]]:
    """Summed rss/pss/uss and process count per group."""
    out = {}
    for group, pids in groups.items():
        total = {"rss": 0, "pss": 0, "uss": 0, "processes": 0}
        for pid in pids:
            mem = memory(pid)
            if mem is None:
                continue
            for key in ("rss", "pss", "uss"):
                total[key] += mem[key]
            total["processes"] += 1
        out[group] = total
    return out
