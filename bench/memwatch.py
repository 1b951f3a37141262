"""RSS of every process of the service under test, sampled every few seconds in a thread,
and its slope (MiB/min, least-squares over the second half of the run).

Processes: every descendant of `raymuc run` (gateway, gateway workers, room hosts,
supervisor, registry shards, raylet, GCS, storage), named by role and pid, plus any
extra pids given (the XMPP server). A process that appears later (a room host started
mid-run) is tracked from its first sample; one that ends keeps its samples."""
from __future__ import annotations

import threading
import time

from bench.procstat import cmdline, descendants, memory


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (x, y) points; None under 3 points (pure)."""
    if len(points) < 3:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    if var == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / var


def role(pid: int, driver: int) -> str:
    if pid == driver:
        return "driver"
    line = cmdline(pid)
    if line.startswith("ray::"):
        return line.split()[0][5:]          # GatewayActor, RoomHost, Supervisor, ...
    for name in ("raylet", "gcs_server", "dashboard", "log_monitor", "secantus", "prosody"):
        if name in line.lower():
            return name
    return (line.split()[0].rsplit("/", 1)[-1] if line else "?")[:24]


class MemWatch:
    def __init__(self, driver: int, extra: dict[str, int] | None = None, every: float = 5.0):
        self.driver, self.extra, self.every = driver, dict(extra or {}), every
        self.samples: dict[int, list[tuple[float, int]]] = {}   # pid -> [(s, rss)]
        self.roles: dict[int, str] = {}       # pid -> its role (the last one seen)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.began = 0.0

    def start(self) -> None:
        self.began = time.monotonic()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def sample(self) -> None:
        now = time.monotonic() - self.began
        roles = {p: role(p, self.driver) for p in descendants(self.driver)}
        roles.update({p: name for name, p in self.extra.items()})
        for pid, name in roles.items():
            mem = memory(pid)
            if mem is not None:
                self.samples.setdefault(pid, []).append((now, mem["rss"]))
                if name not in ("IDLE", "python", "?") or pid not in self.roles:
                    self.roles[pid] = name     # a worker process becomes a RoomHost

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every)

    def report(self, duration: float) -> list[dict]:
        """Per process: first/last/peak RSS (MiB) and the slope over the second half."""
        out = []
        for pid, points in sorted(self.samples.items(), key=lambda kv: (self.roles[kv[0]], kv[0])):
            second = [(t / 60, rss / 2**20) for t, rss in points if t >= duration / 2]
            fit = slope(second)
            out.append({"process": f"{self.roles[pid]}:{pid}", "samples": len(points),
                        "first_mib": round(points[0][1] / 2**20, 1),
                        "last_mib": round(points[-1][1] / 2**20, 1),
                        "peak_mib": round(max(r for _, r in points) / 2**20, 1),
                        "slope_mib_per_min": None if fit is None else round(fit, 3)})
        return out
