"""Fan-out latency and delivery counting for the load generator (pure, no I/O)."""
from __future__ import annotations

import math


def percentile(sorted_values: list, p: float):
    """Nearest-rank percentile of an already sorted list (None when empty)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summary_ms(values_ns: list[int], ps=(50, 95, 99)) -> dict:
    """{'p50': ms, ..., 'max': ms, 'n': count} of nanosecond samples."""
    values = sorted(values_ns)
    out = {f"p{p:g}": _ms(percentile(values, p)) for p in ps}
    out["max"] = _ms(values[-1]) if values else None
    out["n"] = len(values)
    return out


def _ms(ns):
    return None if ns is None else round(ns / 1e6, 2)


class FanoutRecorder:
    """Receives every marker receipt from every client (`record` is the clients' on_marker).

    window_count: receipts that arrived while `counting` (throughput of the window);
    latencies: receive minus send time of every receipt of a message sent inside
    [send_from_ns, send_to_ns) (the measured messages, however late they arrive).
    """

    __slots__ = ("counting", "window_count", "total", "latencies", "send_from_ns", "send_to_ns")

    def __init__(self) -> None:
        self.counting = False
        self.window_count = 0
        self.total = 0
        self.latencies: list[int] = []
        self.send_from_ns = math.inf
        self.send_to_ns = math.inf

    def record(self, seq: int, send_ns: int, now_ns: int) -> None:
        self.total += 1
        if self.counting:
            self.window_count += 1
        if self.send_from_ns <= send_ns < self.send_to_ns:
            self.latencies.append(now_ns - send_ns)
