"""Counting a key's recent events (invitations sent, wrong passwords) in a sliding
window, in bounded memory: the core has no clock, so callers pass Env.now."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Window:
    limit: int          # events allowed per key within span
    span: float         # seconds
    max_keys: int       # keys remembered; the least recently active are forgotten first


class RecentEvents:
    """Event times per key. Keys are kept in order of their last event, so expired
    keys and, beyond max_keys, the least recently active are dropped from the front."""

    __slots__ = ("window", "_times")

    def __init__(self, window: Window):
        self.window = window
        self._times: dict[str, tuple[float, ...]] = {}

    def count(self, key: str, now: float) -> int:
        return len(self._recent(key, now))

    def left(self, key: str, now: float) -> int:
        """How many more events the key may have now."""
        return max(0, self.window.limit - self.count(key, now))

    def retry_in(self, key: str, now: float) -> float:
        """Seconds until the key's oldest recent event leaves the window."""
        recent = self._recent(key, now)
        return max(0.0, recent[0] + self.window.span - now) if recent else 0.0

    def add(self, key: str, now: float, n: int = 1) -> None:
        # no more than limit times are kept per key: older ones could not change a count
        recent = (self._recent(key, now) + (now,) * n)[-self.window.limit:]
        self._times.pop(key, None)
        self._times[key] = recent
        self._expire(now)

    def forget(self, key: str) -> None:
        self._times.pop(key, None)

    def __len__(self) -> int:
        return len(self._times)

    def _recent(self, key: str, now: float) -> tuple[float, ...]:
        cutoff = now - self.window.span
        return tuple(t for t in self._times.get(key, ()) if t > cutoff)

    def _expire(self, now: float) -> None:
        cutoff = now - self.window.span
        while self._times:
            oldest = next(iter(self._times))
            if len(self._times) > self.window.max_keys or self._times[oldest][-1] <= cutoff:
                del self._times[oldest]
            else:
                break
