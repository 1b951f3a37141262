"""Routes typed commands to room hosts on Ray, one ordered pipe per room.

A room's stanzas are applied in the order they arrived here, and never more than one
call per room is in flight. Stanzas that queue behind that call travel together in the
next one (up to MAX_BATCH), and the calls of different rooms on the same host that are
ready in the same loop turn share one Ray call (`HostCalls`). A groupchat message is
one Ray call whatever the number of recipients: the reply carries the fan-out, and the
sink renders a batch's replies and writes them to the socket at once."""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Callable

from actors import placement as pl
from actors.core.replies import refuse
from actors.protocol import HostReply
from gateway.admission import Admission, Decision
from gateway.host_calls import CallTimeout, HostCalls

log = logging.getLogger("raymuc.router")
# How long a room's stanzas wait for its host to come back after a call found it dead or
# restarting. A process crash is back in ~1 s; a lost node is declared dead ~3 s after it
# went (raymuc/rayhealth.py) and its hosts restart elsewhere in ~1 s (docs/sre.md).
RESTART_WAIT = 10.0
MAX_BATCH = 64    # stanzas of one room in one call: bounds a reply's size and a retry's reach
# Stanzas waiting for one room's call in flight; more are refused (resource-constraint),
# so a flood or a stuck room can't make the gateway grow without bound.
MAX_PIPE = 1000
# Stanzas waiting in all pipes together: a flood spread over many rooms is refused
# (resource-constraint) past this, as one room's is past MAX_PIPE.
MAX_WAITING = 10_000
# Rooms whose host is being looked up or started at once (Ray's name lookups and actor
# creations run in threads); a room beyond it is answered resource-constraint.
MAX_OPENING = 1000
# A lookup or start that Ray doesn't finish (a GCS under strain) answers its stanzas
# service-unavailable instead of holding the room's pipe forever.
LOOKUP_TIMEOUT = 20.0

Sink = Callable[[str, tuple], None]     # (room_jid, Deliver effects) -> renders and sends


class RoomRouter:
    def __init__(self, placement: pl.Placement, settings, store, sink: Sink):
        self.placement = placement
        self.settings = settings
        self.store = store
        self.sink = sink
        self.handles: dict[str, object] = {}
        self.pipes: dict[str, deque] = {}
        self.stats = {"calls": 0, "stanzas": 0, "retries": 0, "created": 0, "refused": 0,
                      "busy": 0}
        self.host_calls = HostCalls(self.stats)
        self.full: set[str] = set()     # rooms whose pipe overflowed (logged once each time)
        self.admission = Admission(settings, store)
        self.waiting = 0                # stanzas in all pipes
        self.opening = 0                # rooms whose host is being looked up or started
        self._busy = False              # logged once per burst

    def submit(self, room_jid: str, cmd) -> None:
        if self.waiting >= MAX_WAITING:
            self._refuse_busy(room_jid, cmd, "router.busy waiting=%d", self.waiting)
            return
        self.waiting += 1
        pipe = self.pipes.get(room_jid)
        if pipe is not None:
            if len(pipe) < MAX_PIPE:
                pipe.append(cmd)
            else:
                self._overflow(room_jid, cmd)
            return
        self.pipes[room_jid] = deque([cmd])
        asyncio.get_running_loop().create_task(self._drain(room_jid))

    def _refuse_busy(self, room_jid: str, cmd, event: str, count: int) -> None:
        self._note_busy(event, count)
        self.sink(room_jid, refuse(cmd, "resource-constraint", "The service is busy; try again later"))

    def _note_busy(self, event: str, count: int) -> None:
        self.stats["busy"] += 1
        if not self._busy:
            self._busy = True
            log.warning(event, count)

    def _overflow(self, room_jid: str, cmd) -> None:
        self.waiting -= 1
        self.stats["refused"] += 1
        if room_jid not in self.full:
            self.full.add(room_jid)
            log.warning("router.pipe_full room=%s waiting=%d", room_jid, MAX_PIPE)
        self.sink(room_jid, refuse(cmd, "resource-constraint", "The room is busy; try again later"))

    async def _drain(self, room_jid: str) -> None:
        pipe = self.pipes[room_jid]
        try:
            while pipe:
                batch = [pipe.popleft() for _ in range(min(len(pipe), MAX_BATCH))]
                self.waiting -= len(batch)
                if self.waiting < MAX_WAITING // 2 and self.opening < MAX_OPENING // 2:
                    self._busy = False          # the burst is over: log the next one
                self.full.discard(room_jid)
                try:
                    effects = await self.call_many(room_jid, batch)
                except Exception:
                    log.exception("router.call_failed room=%s stanzas=%d", room_jid, len(batch))
                    effects = _refuse_all(batch, "internal-server-error",
                                          "The room could not be reached")
                if effects:
                    self.sink(room_jid, effects)
        finally:
            del self.pipes[room_jid]

    async def idle(self) -> None:
        """Wait until every pipe is drained (for shutdown and tests)."""
        while self.pipes:
            await asyncio.sleep(0.01)

    async def call(self, room_jid: str, cmd) -> tuple:
        """One stanza to its room; the effects the gateway must send."""
        return await self.call_many(room_jid, [cmd])

    async def call_many(self, room_jid: str, cmds: list) -> tuple:
        """Stanzas of one room, applied in order in one host call; their effects in order."""
        name = self.placement.actor_name(room_jid)
        give_up, attempt = None, 0
        while give_up is None or time.monotonic() < give_up:
            attempt += 1
            try:
                handle = await self._handle(name, room_jid, cmds)
            except StorageDown:      # can't tell whether the room exists: create nothing
                return _refuse_all(cmds, "service-unavailable", "Room storage is unavailable")
            except TooManyOpening:
                return _refuse_all(cmds, "resource-constraint",
                                   "The service is busy; try again later")
            except asyncio.TimeoutError:
                log.warning("router.lookup_timeout room=%s seconds=%.0f", room_jid,
                            LOOKUP_TIMEOUT)
                return _refuse_all(cmds, "service-unavailable",
                                   "The room could not be started in time; try again")
            if isinstance(handle, Decision):     # nothing started: answered here
                return handle.effects
            try:
                reply: HostReply = await self.host_calls.call(name, handle, room_jid, cmds)
            except CallTimeout:     # e.g. a host Ray can't place: answer, don't queue forever
                return _refuse_all(cmds, "service-unavailable",
                                   "The room did not answer in time; try again")
            except Exception as exc:
                if not pl.host_gone(exc):
                    # The host raised: some of these stanzas may be applied, so none is
                    # sent again (a retry would apply them twice); each is answered.
                    log.error("router.host_error name=%s room=%s stanzas=%d error=%r", name,
                              room_jid, len(cmds), exc)
                    return _refuse_all(cmds, "internal-server-error", "The room failed; try again")
                # It died or is restarting: look it up again. Which stanzas the dead
                # process applied can't be known; its occupants and history died with it.
                log.warning("router.host_failed name=%s attempt=%d error=%s", name, attempt,
                            type(exc).__name__)
                give_up = give_up or time.monotonic() + RESTART_WAIT
                self._retry(name)
                await _back_up(handle, give_up)
                continue
            if reply.retired:
                give_up = give_up or time.monotonic() + RESTART_WAIT
                self._retry(name)
                await asyncio.sleep(min(0.05 * attempt, 0.5))
                continue
            if reply.host_empty and not self.placement.dense:
                self.handles.pop(name, None)
                handle.retire.remote()   # frees the worker process; it refuses if busy
            return reply.effects
        return _refuse_all(cmds, "service-unavailable", "The room is not available; try again")

    def _retry(self, name: str) -> None:
        self.handles.pop(name, None)
        self.stats["retries"] += 1

    async def _handle(self, name: str, room_jid: str, cmds: list):
        """The room's host, or a Decision answering the stanzas without one."""
        handle = self.handles.get(name)
        if handle is not None:
            return handle
        if self.opening >= MAX_OPENING:
            self._note_busy("router.busy opening=%d", self.opening)
            raise TooManyOpening()
        self.opening += 1
        try:
            return await asyncio.wait_for(self._open(name, room_jid, cmds), LOOKUP_TIMEOUT)
        finally:
            self.opening -= 1

    async def _open(self, name: str, room_jid: str, cmds: list):
        handle = await asyncio.to_thread(pl.find_host, self.placement, name)
        if handle is None and not self.placement.dense:
            # every admission rule before a process is started: gateway/admission.py
            decision = await self.admission.decide(room_jid, cmds, lambda: self._load(room_jid))
            if not decision.start:
                return decision
        if handle is None:
            handle = await asyncio.to_thread(pl.get_or_create_host, self.placement, name,
                                             self.settings)
            self.stats["created"] += 1
        self.handles[name] = handle
        return handle

    async def _load(self, room_jid: str):
        try:
            return await asyncio.to_thread(self.store.load, room_jid)
        except Exception as exc:
            log.error("router.store_failed room=%s error=%s", room_jid, exc)
            raise StorageDown(str(exc)) from exc

async def _back_up(handle, give_up: float) -> None:
    """Wait until Ray has the host running again (restarted after a crash, or on another
    node after its node was lost), so that the stanzas are sent once it can take them:
    a call into a restarting host fails only after ~2 s, so resending blindly answers
    seconds after it is back (measured). Gone for good, or not back in time: the
    caller looks the host up again."""
    try:
        await asyncio.wait_for(pl.back_up(handle), max(0.0, give_up - time.monotonic()))
    except Exception:       # asyncio.TimeoutError, ActorDiedError, a stand-in host
        await asyncio.sleep(0.05)


def _refuse_all(cmds: list, condition: str, text: str) -> tuple:
    return tuple(eff for cmd in cmds for eff in refuse(cmd, condition, text))


class TooManyOpening(Exception):
    """MAX_OPENING hosts are being looked up already (answered resource-constraint)."""


class StorageDown(Exception):
    """Storage could not say whether a room exists (answered service-unavailable)."""
