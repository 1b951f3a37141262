"""Routes typed commands to room hosts on Ray, one ordered pipe per room.

A room's stanzas are sent one after another (mailbox order is the order they
arrived here); different rooms proceed concurrently. A groupchat message is one Ray
call whatever the number of recipients: the reply carries the fan-out."""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Awaitable, Callable

from actors import placement as pl
from actors.core import commands as c
from actors.core.replies import refuse
from actors.lifecycle import wakes_nothing
from actors.protocol import HostReply

log = logging.getLogger("raymuc.router")
_MAX_TRIES = 5

Sink = Callable[[str, tuple], None]     # (room_jid, Deliver effects) -> renders and sends


class RoomRouter:
    def __init__(self, placement: pl.Placement, settings, store, sink: Sink):
        self.placement = placement
        self.settings = settings
        self.store = store
        self.sink = sink
        self.handles: dict[str, object] = {}
        self.pipes: dict[str, deque] = {}
        self.stats = {"calls": 0, "retries": 0, "created": 0}

    def submit(self, room_jid: str, cmd) -> None:
        pipe = self.pipes.get(room_jid)
        if pipe is not None:
            pipe.append(cmd)
            return
        self.pipes[room_jid] = deque([cmd])
        asyncio.get_running_loop().create_task(self._drain(room_jid))

    async def _drain(self, room_jid: str) -> None:
        pipe = self.pipes[room_jid]
        try:
            while pipe:
                cmd = pipe.popleft()
                try:
                    effects = await self.call(room_jid, cmd)
                except Exception:
                    log.exception("router.call_failed room=%s", room_jid)
                    effects = refuse(cmd, "internal-server-error", "The room could not be reached")
                if effects:
                    self.sink(room_jid, effects)
        finally:
            del self.pipes[room_jid]

    async def idle(self) -> None:
        """Wait until every pipe is drained (for shutdown and tests)."""
        while self.pipes:
            await asyncio.sleep(0.01)

    async def call(self, room_jid: str, cmd) -> tuple:
        name = self.placement.actor_name(room_jid)
        for attempt in range(_MAX_TRIES):
            try:
                handle = await self._handle(name, room_jid, cmd)
            except StorageDown:      # can't tell whether the room exists: create nothing
                return refuse(cmd, "service-unavailable", "Room storage is unavailable")
            if handle is None:
                return refuse(cmd, "item-not-found", "No such room")
            try:
                self.stats["calls"] += 1
                reply: HostReply = await handle.handle.remote(room_jid, cmd)
            except Exception as exc:   # the actor died or restarted: look it up again
                log.warning("router.host_failed name=%s error=%s", name, type(exc).__name__)
                self.handles.pop(name, None)
                self.stats["retries"] += 1
                await asyncio.sleep(0.05 * (attempt + 1))
                continue
            if reply.retired:
                self.handles.pop(name, None)
                self.stats["retries"] += 1
                await asyncio.sleep(0.05 * (attempt + 1))
                continue
            if reply.host_empty and not self.placement.dense:
                self.handles.pop(name, None)
                handle.retire.remote()   # frees the worker process; it refuses if busy
            return reply.effects
        return refuse(cmd, "service-unavailable", "The room is not available; try again")

    async def _handle(self, name: str, room_jid: str, cmd):
        handle = self.handles.get(name)
        if handle is not None:
            return handle
        handle = await asyncio.to_thread(pl.find_host, self.placement, name)
        if handle is None and (self.placement.dense or await self._may_create(room_jid, cmd)):
            handle = await asyncio.to_thread(pl.get_or_create_host, self.placement, name,
                                             self.settings)
            self.stats["created"] += 1
        if handle is not None:
            self.handles[name] = handle
        return handle

    async def _may_create(self, room_jid: str, cmd) -> bool:
        """A host is started for a join, or for any stanza to a stored room."""
        if isinstance(cmd, c.Presence) and cmd.available:
            return True
        if wakes_nothing(cmd):
            return False     # e.g. an unavailable presence: nothing to answer, start nothing
        try:
            return await asyncio.to_thread(self.store.load, room_jid) is not None
        except Exception as exc:
            log.error("router.store_failed room=%s error=%s", room_jid, exc)
            raise StorageDown(str(exc)) from exc


class StorageDown(Exception):
    """Storage could not say whether a room exists (answered service-unavailable)."""

