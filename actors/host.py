"""RoomHost: the actor shell around one or more pure rooms.

Fault contract
- Survives a crash of this process: every room's persistent state (config,
  affiliations, subject, occupant-id secret, registered nicks). It is written to
  MongoDB before the stanza that changed it is answered, with a version so a stale
  writer can't overwrite newer state.
- Lost on a crash: occupants, in-memory history, pending voice requests and forwarded
  IQs. Clients notice as after a server restart and rejoin; the room is recreated from
  MongoDB by the next stanza.
- Mailbox: one stanza at a time per room (a lock per room); other rooms in the same
  host go on while one waits for storage.
- A change that cannot be stored (storage down or timing out after retries) is undone:
  the room goes back to its state before the stanza, which is answered
  service-unavailable; its occupants stay. Memory found behind storage (a stale write)
  or a room without such a copy is dropped, its occupants told to rejoin (332).
- Idempotent calls: `stats`, `retire`. `handle`, `handle_many` and `handle_batch` apply
  each stanza once and must not be retried by Ray (max_task_retries=0).
"""
from __future__ import annotations

import asyncio
import logging
import time
import uuid

from actors.core import commands as c
from actors.core.checkpoint import checkpoint
from actors.core.effects import Closed, Deliver, Forget, Persist
from actors.core.replies import error_reply, lost_state, refuse
from actors.core.room import Room
from actors.core.state import Env
from actors.host_conferences import HostConferences
from actors.deferred import Deferred
from actors.lifecycle import HostLifecycle, LifecycleMethods, wakes_nothing
from actors.protocol import RETIRED, HostReply
from actors.records import to_record, to_snapshot
from actors.restarts import restarted_by_ray
from actors.settings import HostSettings
from persistence.store import RoomStore, StaleMemory, StaleWrite, StoreUnavailable

log = logging.getLogger("raymuc.host")
# How long a save keeps retrying: a replica set elects a new primary within ~10 s
# (electionTimeoutMillis) and the driver's monitor sees it within its heartbeat (10 s);
# well inside the gateway's 30 s host-call timeout.
_PERSIST_PATIENCE = 15.0


class RoomHost(LifecycleMethods):   # deep_hibernate, stop_room, whoami: actors/lifecycle.py
    def __init__(self, settings: HostSettings, name: str = ""):
        self.settings = settings
        self.name = name
        self.rooms: dict[str, Room] = {}
        self.locks: dict[str, asyncio.Lock] = {}
        self.inflight = 0
        self.retired = False
        self.counters = {"recreations": 0, "created": 0, "closed": 0}
        self._store: RoomStore | None = None
        # max_user_conferences, cluster-wide (actors/conferences.py)
        self.conferences = HostConferences(settings.namespace, name, self.rooms)
        # timers (WakeUp), HTTP password checks, the room log: actors/deferred.py
        self.deferred = Deferred(self)
        # hibernation and the supervisor's room directory: actors/lifecycle.py
        self.lifecycle = HostLifecycle(self)
        if restarted_by_ray():
            self.conferences.after_restart()
            self.lifecycle.after_restart()

    @property
    def store(self) -> RoomStore:
        if self._store is None:
            self._store = RoomStore.from_uri(self.settings.mongo_uri, self.settings.database,
                                             cached_rooms=self.settings.room_capacity)
        return self._store

    # the mailbox ---------------------------------------------------------------
    async def handle(self, room_jid: str, cmd) -> HostReply:
        return await self.handle_many(room_jid, (cmd,))

    async def handle_many(self, room_jid: str, cmds) -> HostReply:
        """Stanzas of one room, applied in order under its lock; their effects in order."""
        if self.retired:
            return RETIRED
        self.inflight += 1
        effects: list = []
        try:
            lock = self.locks.setdefault(room_jid, asyncio.Lock())
            async with lock:
                for cmd in cmds:
                    try:
                        self.lifecycle.touch(room_jid)       # wakes a hibernated room
                        effects.extend(await self._handle_locked(room_jid, cmd))
                        self.lifecycle.after(room_jid)
                    except Exception:   # answered here: the call must not fail, or the
                        # effects of the stanzas before it would be lost (never retried)
                        log.exception("room.stanza_failed room=%s command=%s", room_jid,
                                      type(cmd).__name__)
                        effects.extend(refuse(cmd, "internal-server-error",
                                              "The room failed; try again"))
        finally:
            self.inflight -= 1
        if room_jid not in self.rooms and not lock.locked():
            self.locks.pop(room_jid, None)
        return HostReply(tuple(effects), host_empty=not self.rooms)

    async def handle_batch(self, batch: list[tuple[str, list]]) -> list[HostReply]:
        """Several rooms' stanzas in one Ray call (gateway/host_calls.py): the rooms run
        side by side, each in its own order; one reply per room, in the batch's order."""
        return list(await asyncio.gather(*(self.handle_many(j, cmds) for j, cmds in batch)))

    async def _handle_locked(self, room_jid: str, cmd) -> list:
        refused = await self.conferences.admit(room_jid, cmd, self.settings.service_for(room_jid),
                                               self.rooms.get(room_jid))
        if refused:
            return list(refused)
        try:
            return await self._run(room_jid, cmd)
        finally:
            self.conferences.settle(room_jid, cmd)

    async def _run(self, room_jid: str, cmd) -> list:
        env = Env(time.time(), uuid.uuid4().hex)
        room = self.rooms.get(room_jid)
        before = checkpoint(room, cmd)      # a copy, when cmd may change stored state
        try:
            if room is None:
                room, effects = await self._open(room_jid, cmd, env)
                if room is None:
                    return list(effects)
            else:
                effects = room.handle(cmd, env)
            return await self._apply(room, effects)
        except StoreUnavailable as exc:
            log.error("room.storage_unavailable room=%s error=%s", room_jid, exc)
            return self._undo(room_jid, before, isinstance(exc, StaleMemory)) + list(
                refuse(cmd, "service-unavailable", "Room storage is unavailable; try again"))
        except Exception:   # a bug in one room must not take its neighbours down
            log.exception("room.crashed room=%s command=%s", room_jid, type(cmd).__name__)
            return self._undo(room_jid, before, False) + list(
                refuse(cmd, "internal-server-error", "The room failed; try again"))

    def _undo(self, room_jid: str, before, stale: bool) -> list:
        """After a failed command: back to the checkpoint when there is one (nobody saw the
        change, as effects go out only once stored), else out of memory (_drop). A room
        whose memory is behind storage (StaleMemory) always reloads."""
        if before is None or stale:
            return self._drop(room_jid)
        self.rooms[room_jid] = before
        log.warning("room.change_undone room=%s version=%s", room_jid, before.version)
        return []

    def _drop(self, room_jid: str) -> list:
        """The room leaves memory after a failure: its occupants get 332 (lost_state)."""
        room = self.rooms.pop(room_jid, None)
        if room is None:
            return []
        return list(lost_state([(s, o.nick) for o in room.occupants.values() for s in o.sessions]))

    async def _open(self, room_jid: str, cmd, env: Env):
        service = self.settings.service_for(room_jid)
        if service is None:
            return None, refuse(cmd, "item-not-found", "No such MUC service")
        if isinstance(cmd, (c.ServiceAnnouncement, c.Tick)) or wakes_nothing(cmd):
            return None, ()     # announcements and ticks are for online rooms; never wake one
        joining = isinstance(cmd, c.Presence) and cmd.available
        if len(self.rooms) >= self.settings.room_capacity:
            # A room never moves between hosts, so a full host refuses to open one more;
            # room_hosts x rooms_per_actor is the live-room budget (deep hibernation frees slots).
            log.warning("host.full host=%s rooms=%d room=%s", self.name, len(self.rooms), room_jid)
            return None, refuse(cmd, "resource-constraint", "Too many active rooms; try again later")
        record = await asyncio.to_thread(self.store.load, room_jid)
        # access_create (and, for new rooms, max_room_id): actors/core/creation.py
        refusal = service.creation.refusal(room_jid, cmd.sender, record is not None) \
            if joining else None
        if refusal is not None:
            log.info("room.creation_refused room=%s user=%s stored=%s reason=%s", room_jid,
                     cmd.sender, record is not None, refusal.text)
            return None, error_reply(cmd, refusal)
        if record is not None:
            room = Room.restore(service.policy, to_snapshot(record))
            self.rooms[room_jid] = room
            self.counters["recreations"] += 1
            self.lifecycle.restored(room_jid)        # mod_muc_process_recreations_count
            log.info("room.recreated room=%s version=%s", room_jid, record.version)
            return room, room.handle(cmd, env)
        if not joining:
            return None, refuse(cmd, "item-not-found", "No such room")
        room = Room.new(room_jid, service.policy, service.seed, cmd.sender, env)
        self.rooms[room_jid] = room
        self.counters["created"] += 1
        log.info("room.created room=%s creator=%s", room_jid, cmd.sender)
        return room, room.handle_create(cmd, env)

    async def _apply(self, room: Room, effects: list) -> list:
        """Carry out the shell's effects; return what the gateway must send."""
        outbound, logs = [], []
        for eff in effects:
            if isinstance(eff, Deliver):
                outbound.append(eff)
            elif self.deferred.take(room, eff, logs):
                pass   # WakeUp, CheckPassword, LogEvent
            elif isinstance(eff, Persist):
                await self._persist(to_record(eff.snapshot))
            elif isinstance(eff, Forget):
                await asyncio.to_thread(self.store.delete, room.jid)
            elif isinstance(eff, Closed):
                self.rooms.pop(room.jid, None)
                self.counters["closed"] += 1
                log.info("room.closed room=%s reason=%s", room.jid, eff.reason)
        await self.deferred.write_log(room, logs)
        return outbound

    async def _persist(self, record) -> None:
        deadline = time.monotonic() + _PERSIST_PATIENCE
        attempt = 0
        while True:
            try:
                await asyncio.to_thread(self.store.save, record)
                return
            except StaleWrite:
                log.error("room.stale_write room=%s version=%s", record.jid, record.version)
                raise StaleMemory(f"stale write for {record.jid}") from None
            except StoreUnavailable:
                attempt += 1
                pause = min(0.2 * attempt, 1.0)
                if time.monotonic() + pause >= deadline:
                    raise
                await asyncio.sleep(pause)

    # operations ------------------------------------------------------------------
    def stats(self) -> dict:
        return {"name": self.name, "rooms": len(self.rooms),
                "occupants": sum(r.occupant_count() for r in self.rooms.values()),
                **self.counters}

    def room_state(self, room_jid: str) -> dict | None:
        room = self.rooms.get(room_jid)
        if room is None:
            return None
        return {"jid": room.jid, "version": room.version, "locked": room.locked,
                "config": room.config.shown(),      # printed by `raymuc room`
                "affiliations": {j: a.value for j, a in room.affiliations.items()},
                "subject": room.subject,
                "occupants": [{"nick": o.nick, "jid": o.jid, "role": o.role.value,
                               "affiliation": o.affiliation.value} for o in room.occupants.values()],
                "history": len(room.history)}

    def room_jids(self) -> list[str]:
        """The rooms this host runs now (the live room directory for dense placement)."""
        return list(self.rooms)

    async def renew_conferences(self, shard: int | None = None) -> bool:
        """A restarted registry shard asks (actors/relearn.py): renew with it (or every
        shard) now; True once it took it. Idempotent."""
        return await self.conferences.renew_now(shard)

    async def preload(self, room_jid: str) -> bool:
        """Start a stored room without a stanza (load_permanent_rooms_at_startup).
        True when the room is in memory afterwards; idempotent."""
        if self.retired:
            return False
        lock = self.locks.setdefault(room_jid, asyncio.Lock())
        async with lock:
            if room_jid in self.rooms:
                return True
            service = self.settings.service_for(room_jid)
            record = await asyncio.to_thread(self.store.load, room_jid) if service else None
            if record is None:
                return False
            self.rooms[room_jid] = Room.restore(service.policy, to_snapshot(record))
            self.lifecycle.restored(room_jid)
            self.lifecycle.after(room_jid)
            log.info("room.preloaded room=%s version=%s", room_jid, record.version)
            return True

    async def retire(self) -> bool:
        """Exit if this host holds no room and nothing is in flight."""
        if self.rooms or self.inflight:
            return False
        self.retired = True
        await self.deferred.close()
        import ray   # only the shell knows it runs on Ray
        ray.actor.exit_actor()
        return True

