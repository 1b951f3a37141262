"""A room's life inside its host: hibernation, deep hibernation, and what the host
tells the supervisor's room directory (actors/directory.py).

Hibernation (MongooseIM's erlang:hibernate after hibernate_timeout ms idle). Python has
no per-process heap to compact, so a hibernated room here: drops what it can rebuild
(its idle lock, expired forwarded-IQ entries, rate-control state of sessions that
could send again at once), gets its dicts rebuilt to their current size, and the host
runs gc.collect() (at most once per timer round, whatever the number of rooms). It is
counted (mod_muc_hibernations_count) and shown as hibernated; any stanza wakes it.
The clock is the shell's monotonic clock; the room core never sees it.

Timer: one asyncio task per host, started by the first stanza. Awake rooms are kept in
least-recently-active order, so a round looks only at rooms that are due; it sleeps
until the next room falls due or the next directory renewal.

Deep hibernation (`deep_hibernate`, asked by the supervisor's sweep or `raymuc
hibernate`): under the room's lock the host checks again that the room is persistent,
stored, unlocked, hibernated for hibernated_room_timeout (skipped when asked by hand)
and has no occupant but owners; the owners get an unavailable presence with status
332 and reason "Room hibernation" through the gateway; the room leaves memory (its
state is already in MongoDB: every change was stored before it was answered). With
rooms_per_actor = 1 the caller then retires the host actor, so its process ends.

Fault contract: everything here is soft state. Reports to the supervisor are
fire-and-forget; a lost one is healed by the next renewal (every directory_renew s).
A host Ray restarted after a crash tells the directory to drop its predecessor's
rooms."""
from __future__ import annotations

import asyncio
import gc
import logging
import os
import time
import uuid

from actors.core import commands as c
from actors.core.roles import Affiliation
from actors.core.state import Env
from actors.directory import EventKind, RoomEvent, RoomInfo
from actors.reporter import Reporter

log = logging.getLogger("raymuc.lifecycle")

HIBERNATION_REASON = "Room hibernation"        # MongooseIM's text
STOP_REASON = "The room was stopped by the service administrator"
_MIN_SLEEP = 0.01


def wakes_nothing(cmd) -> bool:
    """Stanzas that must not start a room that isn't running: an unavailable presence
    (e.g. an owner told of deep hibernation going offline), an error, an IQ answer.
    A room recreated for them would have no occupant to act for; nothing would come of
    it but a process start. (MongooseIM restores the room for them anyway.)"""
    return isinstance(cmd, (c.StanzaError, c.IqResponseFromOccupant, c.ProbeOccupants)) or \
        (isinstance(cmd, c.Presence) and not cmd.available)


def info_of(room, hibernated_for: float | None = None) -> RoomInfo:
    """hibernated_for: seconds since the room hibernated, None while it is awake."""
    occupants = room.occupants.values()
    return RoomInfo(room.jid, room.config.title or "", bool(room.config.public),
                    bool(room.config.persistent), len(room.occupants),
                    hibernated_for is not None,
                    all(o.affiliation is Affiliation.OWNER for o in occupants),
                    hibernated_for or 0.0, bool(room.locked),
                    tuple((s, o.nick) for o in occupants for s in o.sessions))


def shed(room, now: float) -> None:
    """Drop what the room can rebuild; its behaviour stays the same."""
    try:
        from actors.core import forwarding
        expire = getattr(forwarding, "_pending", None)
        if expire is not None and room.pending_iqs:
            expire(room, now)                  # unanswered forwarded IQs past their TTL
    except ImportError:
        pass
    rate_control = room.__dict__.get("rate_control")
    if rate_control is not None:
        rate_control.prune(now)               # sessions that could send again at once
    room.occupants = dict(room.occupants)     # a dict never shrinks in place
    room.sessions = dict(room.sessions)
    room.pending_iqs = dict(room.pending_iqs)


def deep_refusal(room, manual: bool, hibernated_for: float | None,
                 timeout: float | None) -> str | None:
    """Why this room must not be deep-hibernated now (None: go ahead)."""
    if room is None:
        return "not running"
    if not room.config.persistent:
        return "not persistent (only persistent rooms can be restored)"
    if room.locked or not room.persisted:
        return "not stored yet"
    if any(o.affiliation is not Affiliation.OWNER for o in room.occupants.values()):
        return "occupied by others than its owners"
    if manual:
        return None
    if timeout is None:
        return "deep hibernation is off (hibernated_room_timeout = infinity)"
    if hibernated_for is None:
        return "not hibernated"
    if hibernated_for < timeout:
        return f"hibernated for {hibernated_for:.3f}s only"
    return None


class HostLifecycle:
    def __init__(self, host):
        self.host = host                       # actors.host.RoomHost
        s = host.settings
        ms = getattr(s, "hibernate_timeout", 90000)
        deep = getattr(s, "hibernated_room_timeout", None)
        self.timeout = None if ms is None else ms / 1000
        self.deep_timeout = None if deep is None else deep / 1000
        self.renew_every = float(getattr(s, "directory_renew", 30.0))
        from actors.placement import here
        self.holder = (host.name or "room-host", uuid.uuid4().hex, here() or "")
        self.started = time.time()             # this incarnation's start (whoami)
        self.reporter = Reporter(s.namespace)
        self.active: dict[str, float] = {}     # awake rooms, least recently active first
        self.hibernated: dict[str, float] = {}  # room -> since (monotonic)
        self.reported: dict[str, RoomInfo] = {}
        self.pending: list[RoomEvent] = []
        self._restored: set[str] = set()
        self._task: asyncio.Task | None = None
        self._next_renew = 0.0
        self._wake_at = 0.0                    # when the timer wakes next (monotonic)
        self._nudge = asyncio.Event()
        self.counters = {"hibernations": 0, "deep_hibernations": 0, "stopped": 0}

    # hooks called by the host ------------------------------------------------------
    def touch(self, room_jid: str) -> None:
        """A stanza for this room (before it is handled): it is active now."""
        now = time.monotonic()
        if self.hibernated.pop(room_jid, None) is not None and room_jid in self.host.rooms:
            info = info_of(self.host.rooms[room_jid])
            self.reported[room_jid] = info
            self.pending.append(RoomEvent(EventKind.WOKE, room_jid, info))
        self._activate(room_jid, now)

    def _activate(self, room_jid: str, now: float) -> None:
        self.active.pop(room_jid, None)
        self.active[room_jid] = now            # last: the least recently active come first
        self._ensure_timer()
        if self.timeout is not None and now + self.timeout < self._wake_at:
            self._nudge.set()                  # the timer sleeps past this room's due time

    def restored(self, room_jid: str) -> None:
        """The room was just rebuilt from MongoDB (counts as a recreation)."""
        self._restored.add(room_jid)

    def after(self, room_jid: str) -> None:
        """After a command (or a preload): report what changed. Never raises."""
        try:
            self._after(room_jid)
            self.flush()
        except Exception:
            log.exception("lifecycle.after_failed room=%s", room_jid)

    def _after(self, room_jid: str) -> None:
        room = self.host.rooms.get(room_jid)
        if room is None:
            self._restored.discard(room_jid)
            self._forget(room_jid, EventKind.CLOSED)
            return
        if room_jid not in self.active and room_jid not in self.hibernated:
            self._activate(room_jid, time.monotonic())   # preloaded without a stanza
        info = info_of(room, self._hibernated_for(room_jid))
        before = self.reported.get(room_jid)
        if before is None:
            recreated = room_jid in self._restored
            kind = EventKind.RECREATED if recreated else EventKind.OPENED
        elif before != info:
            kind = EventKind.CHANGED
        else:
            return
        self._restored.discard(room_jid)
        self.reported[room_jid] = info
        self.pending.append(RoomEvent(kind, room_jid, info))

    def _forget(self, room_jid: str, kind: EventKind) -> None:
        self.active.pop(room_jid, None)
        self.hibernated.pop(room_jid, None)
        if self.reported.pop(room_jid, None) is not None:
            self.pending.append(RoomEvent(kind, room_jid))

    def flush(self) -> None:
        if self.pending:
            events, self.pending = tuple(self.pending), []
            self.reporter.send("report", self.holder, events)

    def after_restart(self) -> None:
        """Ray re-created this host after a crash: its rooms are gone from memory."""
        self.reporter.send("reset", self.holder[0], self.holder[1])

    # the timer ---------------------------------------------------------------------
    def _ensure_timer(self) -> None:
        if self._task is None or self._task.done():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:               # no loop (a synchronous caller): next time
                return
            self._nudge = asyncio.Event()      # bound to this loop
            self._wake_at = 0.0
            self._task = loop.create_task(self._run())

    async def _run(self) -> None:
        while not self.host.retired:
            try:
                delay = self.round(time.monotonic())
            except Exception:
                log.exception("lifecycle.round_failed host=%s", self.holder[0])
                delay = 1.0
            self._wake_at = time.monotonic() + delay
            self._nudge.clear()
            try:
                await asyncio.wait_for(self._nudge.wait(), delay)
            except asyncio.TimeoutError:
                pass
            self._wake_at = 0.0

    def round(self, now: float) -> float:
        """Hibernate the rooms that are due, renew the directory; seconds to sleep."""
        sleep = max(self._next_renew - now, _MIN_SLEEP)
        if self.timeout is not None:
            due = []
            for jid, at in self.active.items():          # oldest first
                if now - at < self.timeout:
                    sleep = min(sleep, at + self.timeout - now)
                    break
                due.append(jid)
            hibernated = [jid for jid in due if self._hibernate(jid, now)]
            if hibernated:
                gc.collect()
                self.flush()
        if now >= self._next_renew:
            self._renew(now)
            sleep = min(sleep, self.renew_every)
        return max(sleep, _MIN_SLEEP)

    def _hibernate(self, room_jid: str, now: float) -> bool:
        room = self.host.rooms.get(room_jid)
        lock = self.host.locks.get(room_jid)
        if room is None:
            self.active.pop(room_jid, None)
            return False
        if lock is not None and lock.locked():
            self.active.pop(room_jid, None)    # busy: count it active again from now
            self.active[room_jid] = now
            return False
        del self.active[room_jid]
        self.hibernated[room_jid] = now
        if lock is not None:
            self.host.locks.pop(room_jid, None)   # rebuilt by the next stanza
        shed(room, time.time())
        self.counters["hibernations"] += 1
        info = info_of(room, 0.0)
        self.reported[room_jid] = info
        self.pending.append(RoomEvent(EventKind.HIBERNATED, room_jid, info))
        log.debug("room.hibernated room=%s", room_jid)
        return True

    def _renew(self, now: float) -> None:
        self._next_renew = now + self.renew_every
        infos = []
        for jid, room in list(self.host.rooms.items()):
            infos.append(info_of(room, self._hibernated_for(jid, now)))
        if infos or self.reported:
            self.reported = {i.jid: i for i in infos}
            self.reporter.send("renew", self.holder, tuple(infos))

    def _hibernated_for(self, room_jid: str, now: float | None = None) -> float | None:
        since = self.hibernated.get(room_jid)
        if since is None:
            return None
        return (now or time.monotonic()) - since

    # stopping a room -----------------------------------------------------------------
    async def stop(self, room_jid: str, manual: bool, deep: bool) -> dict:
        """Deep-hibernate (deep=True) or stop a room by hand; see the module doc."""
        host = self.host
        if host.retired:
            return {"done": False, "reason": "host retired", "host_empty": True}
        host.inflight += 1                     # the host must not retire meanwhile
        lock = host.locks.setdefault(room_jid, asyncio.Lock())
        try:
            async with lock:
                room = host.rooms.get(room_jid)
                refusal = deep_refusal(room, manual, self._hibernated_for(room_jid),
                                       self.deep_timeout) if deep else \
                    (None if room is not None else "not running")
                if refusal is not None:
                    return {"done": False, "reason": refusal, "host_empty": not host.rooms}
                reason = HIBERNATION_REASON if deep else STOP_REASON
                told = [s for o in room.occupants.values() for s in o.sessions]
                effects = room.handle(c.Shutdown(reason, (332,)),
                                      Env(time.time(), uuid.uuid4().hex))
                outbound = await host._apply(room, effects)     # Closed: out of memory
                host.rooms.pop(room_jid, None)
                host.conferences.settle(room_jid, None)
                kind = EventKind.DEEP_HIBERNATED if deep else EventKind.CLOSED
                self.counters["deep_hibernations" if deep else "stopped"] += 1
                self._forget(room_jid, kind)
                self.flush()
                if outbound:
                    await host.deferred.push(room_jid, tuple(outbound))
                log.info("room.%s room=%s told=%d manual=%s",
                         "deep_hibernated" if deep else "stopped", room_jid, len(told), manual)
                return {"done": True, "told": told, "host_empty": not host.rooms}
        finally:
            host.inflight -= 1
            if room_jid not in host.rooms and not lock.locked():
                host.locks.pop(room_jid, None)

    # introspection -------------------------------------------------------------------
    def status(self, room_jid: str) -> dict | None:
        if room_jid not in self.host.rooms:
            return None
        now = time.monotonic()
        since = self.hibernated.get(room_jid)
        last = self.active.get(room_jid)
        return {"hibernated": since is not None,
                "hibernated_for": None if since is None else round(now - since, 3),
                "idle_for": None if last is None else round(now - last, 3)}

    def identity(self) -> dict:
        node = actor = None
        try:
            import ray
            if ray.is_initialized():
                ctx = ray.get_runtime_context()
                node, actor = ctx.get_node_id(), ctx.get_actor_id()
        except Exception:
            pass
        return {"name": self.host.name, "pid": os.getpid(), "node_id": node, "actor_id": actor,
                "incarnation": self.holder[1], "rooms": len(self.host.rooms),
                "conference_holder": self.host.conferences.holder[1], "started": self.started,
                "hibernated": len(self.hibernated), **self.counters}


class LifecycleMethods:
    """RoomHost's remote methods for the lifecycle (mixed into actors.host.RoomHost)."""

    async def deep_hibernate(self, room_jid: str, manual: bool = False) -> dict:
        return await self.lifecycle.stop(room_jid, manual, deep=True)

    async def stop_room(self, room_jid: str) -> dict:
        return await self.lifecycle.stop(room_jid, True, deep=False)

    def room_lifecycle(self, room_jid: str) -> dict | None:
        return self.lifecycle.status(room_jid)

    def whoami(self) -> dict:
        return self.lifecycle.identity()
