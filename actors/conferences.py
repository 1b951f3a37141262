"""max_user_conferences for the whole Ray cluster: how many rooms one user (bare JID)
occupies at once, counted over every room of every host on every node, not per
process (MongooseIM counts in a node-local ETS table, so a cluster of N nodes lets a
user into N times the limit).

A named detached actor, REGISTRY_NAME in the service's namespace, holds the count. A
room host reserves (user, room) before admitting a user who is not yet in that room,
and releases it once the user is gone from it (leave, kick, ban, members-only, destroy,
room closed or crashed): HostConferences.settle compares what it reserved with the
room's occupants after every command that may change them, so no exit path can be
forgotten. A second session of the same user in the same room takes no second slot.
Service administrators are not counted (issue 5: "admitted past every limit").

Fault contract
- The registry's state is soft; the hosts are the source of truth. Each host holding
  reservations renews a lease every RENEW_EVERY seconds with the full list of what it
  holds, which replaces the host's entries (lost releases and the registry's own
  restarts heal within one renewal).
- A host that crashes is restarted by Ray under its name; the new incarnation drops its
  predecessor's reservations at once (its occupants are gone). A host that disappears
  for good stops counting when its lease expires (LEASE_SECONDS).
- The registry restarted empty: counts are low until every host has renewed (at most
  RENEW_EVERY seconds), so a user may briefly exceed the limit, never be wrongly refused.
- The registry unreachable (RESERVE_TIMEOUT): the join is admitted and a warning
  logged (fail open: a soft limit must not make the service unusable); the next
  renewal records the reservation.
- Two joins of one user racing into two rooms are serialised by the registry (a plain
  actor runs one call at a time): the limit holds under races.
Cost: one registry call per join of a user new to the room; releases are not awaited.
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Callable

from actors.core import commands as c
from actors.core.errors import XmppError
from actors.core.jid import bare_of
from actors.core.replies import error_reply

log = logging.getLogger("raymuc.conferences")

REGISTRY_NAME = "raymuc-conferences"
REGISTRY_OPTIONS = dict(
    num_cpus=0,            # a dictionary behind a mailbox; never take a CPU slot from rooms
    lifetime="detached",   # lives as long as the room hosts it counts for
    max_restarts=-1,       # restarted empty; hosts' renewals rebuild it
    max_task_retries=0,    # callers fail open instead of waiting for a restart
)
LEASE_SECONDS = 60.0
RENEW_EVERY = LEASE_SECONDS / 3
RESERVE_TIMEOUT = 5.0
TOO_MANY = "You are in too many rooms at once; leave one before entering another"

Holder = tuple[str, str]           # (host actor name, incarnation id)

# Commands after which a room's occupants are unchanged (unless the room closed).
_NO_OCCUPANCY_CHANGE = (c.Message, c.DiscoInfo, c.DiscoItems, c.Ping, c.AdminGet, c.OwnerGet,
                        c.RegisterGet, c.IqToOccupant, c.IqResponseFromOccupant,
                        c.VoiceRequest, c.Invite, c.Decline, c.ServiceAnnouncement)


class ConferenceRegistry:
    """Who occupies which rooms, by holder lease. Plain class: Ray makes it an actor
    (one call at a time), tests use it directly with a fake clock."""

    def __init__(self, lease_seconds: float = LEASE_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.lease = lease_seconds
        self.clock = clock
        self.rooms_of: dict[str, dict[str, Holder]] = {}     # bare -> room -> holder
        self.held: dict[Holder, set[tuple[str, str]]] = {}    # holder -> {(bare, room)}
        self.expiry: dict[Holder, float] = {}
        self._next_sweep = 0.0

    def reserve(self, holder: Holder, bare: str, room: str, limit: int) -> bool:
        """Count `room` for `bare` unless that makes more than `limit` rooms."""
        holder = tuple(holder)
        self._touch(holder)
        rooms = self._live_rooms(bare)
        if room not in rooms and len(rooms) >= limit:
            return False
        self._put(holder, bare, room)
        return True

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
                "reservations": sum(len(r) for r in self.rooms_of.values())}

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
        for holder, expires in list(self.expiry.items()):
            if expires < now:
                self._drop(holder)


# Ray plumbing (only the shell knows it runs on Ray) -----------------------------------

def get_or_create_registry(namespace: str):
    import ray
    return ray.remote(ConferenceRegistry).options(
        name=REGISTRY_NAME, namespace=namespace, get_if_exists=True,
        **REGISTRY_OPTIONS).remote()


def ensure_registry(namespace: str, timeout: float = 60.0) -> None:
    """Create the registry (the driver does, at start) and wait until it answers."""
    import ray
    try:
        ray.get(get_or_create_registry(namespace).stats.remote(), timeout=timeout)
    except Exception as exc:   # hosts create it on demand and fail open meanwhile
        log.warning("conferences.registry_not_ready error=%r", exc)


class HostConferences:
    """A room host's side: reserve before a join, release when a user is gone."""

    def __init__(self, namespace: str, host_name: str, rooms: dict,
                 locate: Callable[[str], object] = get_or_create_registry):
        self.namespace = namespace
        self.holder: Holder = (host_name or "room-host", uuid.uuid4().hex)
        self.rooms = rooms                          # the host's live rooms (read only)
        self.tracked: dict[str, set[str]] = {}      # room JID -> bare JIDs reserved
        self._locate = locate
        self._registry = None
        self._renewer: asyncio.Task | None = None
        self._dropping = None                       # drop_predecessors call in flight

    def after_restart(self) -> None:
        """Called by a host Ray restarted after a crash: its occupants are gone, so
        its predecessor's reservations go now (the first command waits for it)."""
        try:
            self._dropping = self._handle().drop_predecessors.remote(self.holder[0],
                                                                     self.holder[1])
            log.info("conferences.drop_predecessors host=%s", self.holder[0])
        except Exception as exc:
            log.warning("conferences.unavailable op=drop_predecessors error=%s", exc)

    async def admit(self, room_jid: str, cmd, service, room) -> tuple:
        """() to go ahead, else the error reply refusing this join."""
        if self._dropping is not None:
            ref, self._dropping = self._dropping, None
            try:       # so nothing this host answers can overtake the drop
                await asyncio.wait_for(_awaitable(ref), RESERVE_TIMEOUT)
            except Exception as exc:
                log.warning("conferences.unavailable op=drop_predecessors error=%s",
                            type(exc).__name__)
        limit = service.max_user_conferences if service is not None else None
        if limit is None or not isinstance(cmd, c.Presence) or not (cmd.available and cmd.muc):
            return ()
        bare = bare_of(cmd.sender)
        if bare in self.tracked.get(room_jid, ()):
            return ()                               # already counted in this room
        if room is not None and room.occupant_of(cmd.sender) is not None:
            return ()                               # a nick change or presence update
        if service.policy.is_service_admin(bare):
            return ()
        if not await self._reserve(bare, room_jid, limit):
            log.info("conferences.refused user=%s room=%s limit=%d", bare, room_jid, limit)
            # MongooseIM's answer when the limit is reached (mod_muc_room limit_reached)
            return error_reply(cmd, XmppError.of("service-unavailable", TOO_MANY, "wait"))
        self.tracked.setdefault(room_jid, set()).add(bare)
        self._ensure_renewer()
        return ()

    def settle(self, room_jid: str, cmd) -> None:
        """After a command: release the users no longer in the room."""
        held = self.tracked.get(room_jid)
        if not held:
            return
        room = self.rooms.get(room_jid)
        alive = room is not None and not room.closed
        if alive and isinstance(cmd, _NO_OCCUPANCY_CHANGE):
            return
        present = {o.bare for o in room.occupants.values()} if alive else set()
        for bare in held - present:
            held.discard(bare)
            self._release(bare, room_jid)
        if not held:
            del self.tracked[room_jid]

    def entries(self) -> list[tuple[str, str]]:
        return [(bare, room) for room, bares in self.tracked.items() for bare in bares]

    # internals -------------------------------------------------------------------
    def _handle(self):
        if self._registry is None:
            self._registry = self._locate(self.namespace)
        return self._registry

    async def _reserve(self, bare: str, room_jid: str, limit: int) -> bool:
        try:
            ref = self._handle().reserve.remote(self.holder, bare, room_jid, limit)
            return await asyncio.wait_for(_awaitable(ref), RESERVE_TIMEOUT)
        except Exception as exc:   # fail open: see the fault contract
            log.warning("conferences.unavailable op=reserve user=%s room=%s error=%s "
                        "admitted=true", bare, room_jid, type(exc).__name__)
            self._registry = None
            return True

    def _release(self, bare: str, room_jid: str) -> None:
        try:
            self._handle().release.remote(self.holder, bare, room_jid)
        except Exception as exc:   # the next renewal carries the truth
            log.warning("conferences.unavailable op=release user=%s error=%s", bare, exc)
            self._registry = None

    def _ensure_renewer(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.get_running_loop().create_task(self._renew_loop())

    async def _renew_loop(self) -> None:
        while self.tracked:
            await asyncio.sleep(RENEW_EVERY)
            for room_jid in list(self.tracked):
                self.settle(room_jid, None)          # heal paths that bypassed settle
            try:
                await asyncio.wait_for(_awaitable(self._handle().renew.remote(
                    self.holder, self.entries())), RESERVE_TIMEOUT)
            except Exception as exc:
                log.warning("conferences.unavailable op=renew error=%s", type(exc).__name__)
                self._registry = None


async def _awaitable(ref):
    return await ref
