"""The cap on live rooms (issue 15): how many rooms may run at once, so that joins to
ever new names can't start processes until a node is out of memory. The supervisor
holds one (actors/supervisor.py `admit_start`); the gateway asks it before it starts a
room that is not running (gateway/admission.py) and refuses beyond the cap
(resource-constraint, wait).

The count is the supervisor's room directory (what the hosts report) plus the starts
admitted here that no report has shown yet (`pending`, forgotten once the directory
lists the room or after PENDING_SECONDS), so a burst of starts faster than the hosts'
reports can't overshoot. The cap is per node: `[ray] max_live_rooms_per_node`, or, when
0, what MEMORY_SHARE of the node's Ray `memory` resource holds at the per-room cost of
the placement (a worker process per room, or a few hundred KiB in a shared host);
summed over the cluster's alive nodes, as Ray spreads rooms over them. Pure: the
supervisor passes in the nodes and the directory. A supervisor restarted empty counts
low until the hosts' renewals are in (directory_renew): the cap may be passed by the
rooms started meanwhile, never refused wrongly."""
from __future__ import annotations

import time
from typing import Callable, Container, Iterable

ROOM_PROCESS_BYTES = 64 * 1024 * 1024    # rooms_per_actor = 1: ~57 MiB measured per actor
DENSE_ROOM_BYTES = 256 * 1024            # a room in a shared host (rooms_per_actor > 1)
MEMORY_SHARE = 0.6
PENDING_SECONDS = 30.0


def node_cap(memory_bytes: float, per_node: int, dense: bool) -> int:
    """Live rooms one node takes: `per_node` when set (> 0), else what its memory holds."""
    if per_node > 0:
        return per_node
    return max(1, int(memory_bytes * MEMORY_SHARE // (DENSE_ROOM_BYTES if dense
                                                      else ROOM_PROCESS_BYTES)))


def cluster_cap(node_memories: Iterable[float], per_node: int, dense: bool) -> int:
    return sum(node_cap(m, per_node, dense) for m in node_memories)


class LiveRooms:
    def __init__(self, cap: int, pending_seconds: float = PENDING_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.cap = cap
        self.pending_seconds = pending_seconds
        self.clock = clock
        self.pending: dict[str, float] = {}     # room JID -> when its admission lapses

    def admit(self, jid: str, live: Container[str], live_count: int) -> bool:
        """May `jid` start, with `live` rooms running (live_count of them)?"""
        now = self.clock()
        for room in [j for j, until in self.pending.items() if until < now or j in live]:
            del self.pending[room]
        if jid in live or jid in self.pending:
            return True
        if live_count + len(self.pending) >= self.cap:
            return False
        self.pending[jid] = now + self.pending_seconds
        return True
