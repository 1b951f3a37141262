"""Fire-and-forget reports from a room host to the supervisor (actors/directory.py):
room started, hibernated, closed, and the periodic renewal that carries the whole truth."""
from __future__ import annotations

import logging
import time

log = logging.getLogger("raymuc.lifecycle")

# Reports the supervisor hasn't taken yet (it is slow or stuck): Ray would queue them in
# this process without bound; past this they are dropped (the next renewal carries the truth).
MAX_UNANSWERED = 100


class Reporter:
    """Fire-and-forget calls to the supervisor; never raises, never waits."""

    def __init__(self, namespace: str):
        self.namespace = namespace
        self._handle = None
        self._next_lookup = 0.0
        self.unanswered: list = []     # refs of reports not answered yet
        self.dropped = 0

    def send(self, method: str, *args) -> None:
        handle = self._lookup()
        if handle is None:
            return
        if len(self.unanswered) >= MAX_UNANSWERED and not self._prune():
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("directory.report_dropped method=%s dropped=%d unanswered=%d",
                            method, self.dropped, len(self.unanswered))
            return
        try:
            self.unanswered.append(getattr(handle, method).remote(*args))
        except Exception as exc:      # the next renewal carries the truth
            log.warning("directory.report_failed method=%s error=%s", method, exc)
            self._handle = None

    def _prune(self) -> bool:
        """Forget the reports answered by now; whether there is room for another."""
        import ray
        _, self.unanswered = ray.wait(self.unanswered, num_returns=len(self.unanswered),
                                      timeout=0)
        return len(self.unanswered) < MAX_UNANSWERED

    def _lookup(self):
        if self._handle is not None:
            return self._handle
        now = time.monotonic()
        if now < self._next_lookup:
            return None
        self._next_lookup = now + 5.0         # absent (tests, startup): look again later
        try:
            import ray
            if not ray.is_initialized():
                return None
            from actors.supervisor import find_supervisor
            self._handle = find_supervisor(self.namespace)
        except Exception as exc:
            log.debug("directory.lookup_failed error=%s", exc)
        return self._handle
