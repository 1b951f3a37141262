"""max_user_conferences for the whole Ray cluster: how many rooms one user (bare JID)
occupies at once, counted over every room of every host on every node, not per
process (MongooseIM counts in a node-local ETS table, so a cluster of N nodes lets a
user into N times the limit).

REGISTRY_SHARDS named detached actors in the service's namespace hold the count, each
for the users whose bare JID hashes onto it (`shard_of`): every room of one user is
counted by one shard, so the count is exact, and joins of different users do not queue
behind one actor. A room host reserves (user, room) before admitting a user who is not
yet in that room, and releases it once the user is gone from it (leave, kick, ban,
members-only, destroy, room closed or crashed): HostConferences.settle compares what it
reserved with the room's occupants after every command that may change them, so no
exit path can be forgotten. A second session of the same user in the same room takes no second slot.
Service administrators are not counted (issue 5: "admitted past every limit").

Fault contract
- The registry's state is soft; the hosts are the source of truth. Each host holding
  reservations renews a lease every RENEW_EVERY seconds with the full list of what it
  holds, which replaces the host's entries (lost releases and the registry's own
  restarts heal within one renewal).
- A host that crashes is restarted by Ray under its name; the new incarnation drops its
  predecessor's reservations at once (its occupants are gone). A host that disappears
  for good stops counting when its lease expires (LEASE_SECONDS).
- The registry restarted empty: it knows nobody's count until every host has renewed
  (at most RENEW_EVERY seconds), so for WARMING seconds after a restart a shard admits
  only a user into a room already counted (or refuses one it already sees at the
  limit) and answers "cannot say" otherwise: the join gets service-unavailable (wait),
  as when the shard is unreachable. Fail closed; never a user past the limit.
- A shard unreachable or slower than RESERVE_TIMEOUT: the join is refused
  (service-unavailable, type wait, "try again"), never admitted unchecked: an admitted
  join the count never saw would let a user past the limit for as long as the
  registry is down. Users of the other shards are not affected.
- Two joins of one user racing into two rooms are serialised by the user's shard (a
  plain actor runs one call at a time): the limit holds under races.
Cost: one registry call per join of a user new to the room; releases are not awaited;
each host holding reservations renews with every shard every RENEW_EVERY seconds.
"""
from __future__ import annotations

import hashlib
import logging
import os
import time
from typing import Callable

from actors.creation_rate import CreationWindow
from actors.restarts import restarted_by_ray

log = logging.getLogger("raymuc.conferences")

REGISTRY_NAME = "raymuc-conferences"      # shards are named REGISTRY_NAME-0, -1, ...
# Fixed, not configured: every host of a cluster must hash a user onto the same shard.
REGISTRY_SHARDS = 8
REGISTRY_OPTIONS = dict(
    num_cpus=0,            # a dictionary behind a mailbox; never take a CPU slot from rooms
    lifetime="detached",   # lives as long as the room hosts it counts for
    max_restarts=-1,       # restarted empty; hosts' renewals rebuild it
    max_task_retries=0,    # callers fail open instead of waiting for a restart
)
LEASE_SECONDS = 60.0
RENEW_EVERY = LEASE_SECONDS / 3
RESERVE_TIMEOUT = 5.0
WARMING = RENEW_EVERY + 2.0       # a restarted shard: every live host has renewed by then
TOO_MANY = "You are in too many rooms at once; leave one before entering another"
UNCHECKED = "Your number of rooms can't be checked right now; try again shortly"

Holder = tuple[str, str]           # (host actor name, incarnation id)

class ConferenceRegistry:
    """Who occupies which rooms, by holder lease. Plain class: Ray makes it an actor
    (one call at a time), tests use it directly with a fake clock."""

    def __init__(self, lease_seconds: float = LEASE_SECONDS,
                 clock: Callable[[], float] = time.monotonic, warming: float | None = None):
        self.lease = lease_seconds
        self.clock = clock
        relearn = False
        if warming is None:         # first incarnation: nothing to relearn
            warming = WARMING if restarted_by_ray() else 0.0
            if warming:
                log.warning("conferences.restarted warming_seconds=%.0f", warming)
                relearn = True
        self.warm_until = clock() + warming
        self.rooms_of: dict[str, dict[str, Holder]] = {}     # bare -> room -> holder
        self.held: dict[Holder, set[tuple[str, str]]] = {}    # holder -> {(bare, room)}
        self.expiry: dict[Holder, float] = {}
        self.creations = CreationWindow()
        self._next_sweep = 0.0
        if relearn:                 # ask the live hosts now: actors/relearn.py
            from actors import relearn as relearning
            relearning.start(self)

    def relearn(self, hosts: Callable[[], list], renew_all: Callable[[list], bool]) -> bool:
        """After a restart: ask every live host (`hosts()`: the supervisor's directory,
        or None when it can't vouch for being complete) to renew now, and end the
        warming once all of them have (`renew_all` returns True): seconds instead of
        WARMING. Run in a thread of its own (the renewals are calls to this actor)."""
        started = self.clock()
        try:
            names = hosts()
            if names is None or not renew_all(names):
                log.warning("conferences.relearn_incomplete warming_seconds=%.0f",
                            self.warm_until - self.clock())
                return False
        except Exception as exc:      # the timer still ends the warming
            log.warning("conferences.relearn_failed error=%r", exc)
            return False
        self.warm_until = min(self.warm_until, self.clock())
        log.warning("conferences.relearned hosts=%d seconds=%.1f", len(names),
                    self.clock() - started)
        return True

    def reserve(self, holder: Holder, bare: str, room: str, limit: int) -> bool | None:
        """Count `room` for `bare` unless that makes more than `limit` rooms; None when
        the count is not known yet (restarted, hosts still renewing)."""
        holder = tuple(holder)
        self._touch(holder)
        rooms = self._live_rooms(bare)
        if room not in rooms and len(rooms) >= limit:
            return False
        if room not in rooms and self.clock() < self.warm_until:
            return None
        self._put(holder, bare, room)
        return True

    def may_start(self, bare: str, room: str, limit: int | None,
                  per_minute: int | None) -> str | None:
        """Asked by the gateway before a join of `bare` starts `room`, which is not
        running (gateway/admission.py): "conferences" when `bare` already occupies
        `limit` other rooms, "unknown" when that count is not known yet (restarted, as
        reserve), "rate" when a creation would pass `per_minute` (None: the room is
        stored, so it is a wake-up, not a creation), else None, and the creation is
        counted. Nothing is reserved: the host reserves when the user enters."""
        if limit is not None:
            rooms = self._live_rooms(bare)
            if room not in rooms and len(rooms) >= limit:
                return "conferences"
            if room not in rooms and self.clock() < self.warm_until:
                return "unknown"        # else a process starts only for reserve to refuse
        if per_minute is not None and not self.creations.take(bare, per_minute, self.clock()):
            return "rate"
        self._sweep()
        return None

    def release(self, holder: Holder, bare: str, room: str) -> None:
        holder = tuple(holder)
        rooms = self.rooms_of.get(bare)
        if rooms is not None and rooms.get(room) == holder:
            del rooms[room]
            if not rooms:
                del self.rooms_of[bare]
        held = self.held.get(holder)
        if held is not None:
            held.discard((bare, room))

    def renew(self, holder: Holder, entries) -> None:
        """The holder is alive and holds exactly `entries` [(bare, room), ...]."""
        holder = tuple(holder)
        self._touch(holder)
        new = {(b, r) for b, r in entries}
        for bare, room in self.held.get(holder, set()) - new:
            self.release(holder, bare, room)
        for bare, room in new:
            self._put(holder, bare, room)
        self._sweep()

    def drop_predecessors(self, name: str, incarnation: str) -> int:
        """A restarted host: forget what its earlier incarnations held."""
        old = [h for h in set(self.held) | set(self.expiry)
               if h[0] == name and h[1] != incarnation]
        for h in old:
            self._drop(h)
        return len(old)

    def count(self, bare: str) -> int:
        return len(self._live_rooms(bare))

    def stats(self) -> dict:
        return {"users": len(self.rooms_of), "holders": len(self.held),
                "reservations": sum(len(r) for r in self.rooms_of.values()),
                "pid": os.getpid(), "warming": self.clock() < self.warm_until}

    def holders(self) -> list[Holder]:
        """Every holder with a lease or a reservation here (leases left behind show)."""
        return sorted(set(self.held) | set(self.expiry))

    def where(self) -> str | None:
        from actors.placement import here
        return here()

    # internals -------------------------------------------------------------------
    def _touch(self, holder: Holder) -> None:
        self.expiry[holder] = self.clock() + self.lease

    def _put(self, holder: Holder, bare: str, room: str) -> None:
        rooms = self.rooms_of.setdefault(bare, {})
        previous = rooms.get(room)
        if previous is not None and previous != holder:   # the room moved to another host
            self.held.get(previous, set()).discard((bare, room))
        rooms[room] = holder
        self.held.setdefault(holder, set()).add((bare, room))

    def _live_rooms(self, bare: str) -> dict[str, Holder]:
        now = self.clock()
        for holder in set(self.rooms_of.get(bare, {}).values()):
            if self.expiry.get(holder, 0.0) < now:
                log.warning("conferences.lease_expired holder=%s", holder[0])
                self._drop(holder)
        return self.rooms_of.get(bare, {})

    def _drop(self, holder: Holder) -> None:
        for bare, room in self.held.pop(holder, set()):
            rooms = self.rooms_of.get(bare)
            if rooms is not None and rooms.get(room) == holder:
                del rooms[room]
                if not rooms:
                    del self.rooms_of[bare]
        self.expiry.pop(holder, None)

    def _sweep(self) -> None:
        """Forget expired holders now and then (memory only: counting checks leases)."""
        now = self.clock()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.lease / 3
        self.creations.sweep(now)
        for holder, expires in list(self.expiry.items()):
            if expires < now:
                self._drop(holder)


# Ray plumbing (only the shell knows it runs on Ray) -----------------------------------

def shard_of(bare: str) -> int:
    digest = hashlib.blake2b(bare.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % REGISTRY_SHARDS


def find_registry(namespace: str, shard: int):
    import ray
    try:
        return ray.get_actor(f"{REGISTRY_NAME}-{shard}", namespace=namespace)
    except ValueError:
        return None


def get_or_create_registry(namespace: str, shard: int):
    """The shard, created where a room node's loss can't take it (placement.control_options)."""
    import ray
    from actors.placement import control_options
    found = find_registry(namespace, shard)
    if found is not None:
        return found
    return ray.remote(ConferenceRegistry).options(
        name=f"{REGISTRY_NAME}-{shard}", namespace=namespace, get_if_exists=True,
        **control_options(0.01), **REGISTRY_OPTIONS).remote()


def ensure_registry(namespace: str, timeout: float = 60.0) -> None:
    """Create the registry's shards (the driver does, at start) and wait until they answer."""
    import ray
    try:
        ray.get([get_or_create_registry(namespace, shard).stats.remote()
                 for shard in range(REGISTRY_SHARDS)], timeout=timeout)
    except Exception as exc:   # hosts create them on demand; joins wait or are refused
        log.warning("conferences.registry_not_ready error=%r", exc)
