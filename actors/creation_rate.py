"""How many rooms one user (bare JID) created in the last minute, for the per-user cap
on room creations (`max_room_creations_per_minute`, issue 15): a sliding window of
creation times per user. Pure (the clock is passed in); the conference registry's
shards hold one each (actors/conferences.py), so a user's creations are counted by one
actor for the whole cluster, whichever gateway or worker routed them."""
from __future__ import annotations

from collections import deque

WINDOW = 60.0    # seconds


class CreationWindow:
    def __init__(self, window: float = WINDOW):
        self.window = window
        self.times: dict[str, deque] = {}     # bare JID -> creation times, oldest first

    def take(self, bare: str, per_window: int, now: float) -> bool:
        """Count one creation for `bare` unless `per_window` happened in the last window."""
        times = self.times.setdefault(bare, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= per_window:
            return False
        times.append(now)
        return True

    def sweep(self, now: float) -> None:
        """Forget users with no creation in the window (memory only)."""
        for bare in [b for b, t in self.times.items() if not t or t[-1] <= now - self.window]:
            del self.times[bare]
