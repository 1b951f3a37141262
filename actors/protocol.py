"""What crosses the Ray boundary between the gateway and a room host (no Ray imports)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HostReply:
    effects: tuple            # Deliver effects only, in order
    host_empty: bool = False  # the host holds no room any more (a candidate to retire)
    retired: bool = False     # the host is shutting down: look the room up again


RETIRED = HostReply((), True, True)
