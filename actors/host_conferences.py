"""max_user_conferences, a room host's side (the registry and the fault contract:
actors/conferences.py): reserve (user, room) with the user's shard before admitting a
user new to the room, release once the user is gone (settle, after every command that
may change who is inside), and renew every RENEW_EVERY seconds, or at once when a
restarted shard asks (renew_now)."""
from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Callable

from actors.conferences import (
    REGISTRY_SHARDS, RENEW_EVERY, RESERVE_TIMEOUT, TOO_MANY, UNCHECKED, Holder,
    get_or_create_registry, shard_of,
)
from actors.core import commands as c
from actors.core.errors import XmppError
from actors.core.jid import bare_of
from actors.core.replies import error_reply

log = logging.getLogger("raymuc.conferences")

# Commands after which a room's occupants are unchanged (unless the room closed).
_NO_OCCUPANCY_CHANGE = (c.Message, c.DiscoInfo, c.DiscoItems, c.Ping, c.AdminGet, c.OwnerGet,
                        c.RegisterGet, c.IqToOccupant, c.IqResponseFromOccupant,
                        c.VoiceRequest, c.Invite, c.Decline, c.ServiceAnnouncement)



class HostConferences:
    """A room host's side: reserve before a join, release when a user is gone."""

    def __init__(self, namespace: str, host_name: str, rooms: dict,
                 locate: Callable[[str, int], object] = get_or_create_registry):
        self.namespace = namespace
        self.holder: Holder = (host_name or "room-host", uuid.uuid4().hex)
        self.rooms = rooms                          # the host's live rooms (read only)
        self.tracked: dict[str, set[str]] = {}      # room JID -> bare JIDs reserved
        self._locate = locate
        self._shards: dict[int, object] = {}        # shard -> registry handle
        self._renewer: asyncio.Task | None = None
        self._dropping: list = []                   # drop_predecessors calls in flight

    def after_restart(self) -> None:
        """Called by a host Ray restarted after a crash: its occupants are gone, so
        its predecessor's reservations go now (the first command waits for it)."""
        for shard in range(REGISTRY_SHARDS):
            try:
                self._dropping.append(self._handle(shard).drop_predecessors.remote(
                    self.holder[0], self.holder[1]))
            except Exception as exc:
                log.warning("conferences.unavailable op=drop_predecessors shard=%d error=%s",
                            shard, exc)
        log.info("conferences.drop_predecessors host=%s", self.holder[0])

    async def admit(self, room_jid: str, cmd, service, room) -> tuple:
        """() to go ahead, else the error reply refusing this join."""
        if self._dropping:
            refs, self._dropping = self._dropping, []
            try:       # so nothing this host answers can overtake the drop
                await asyncio.wait_for(asyncio.gather(*map(_awaitable, refs)), RESERVE_TIMEOUT)
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
        admitted = await self._reserve(bare, room_jid, limit)
        if not admitted:
            log.info("conferences.refused user=%s room=%s limit=%d checked=%s", bare, room_jid,
                     limit, admitted is not None)
            # MongooseIM's answer when the limit is reached (mod_muc_room limit_reached);
            # the same, with its own text, when the count can't be checked in time
            text = TOO_MANY if admitted is not None else UNCHECKED
            return error_reply(cmd, XmppError.of("service-unavailable", text, "wait"))
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
    def _handle(self, shard: int):
        handle = self._shards.get(shard)
        if handle is None:
            handle = self._shards[shard] = self._locate(self.namespace, shard)
        return handle

    async def _reserve(self, bare: str, room_jid: str, limit: int) -> bool | None:
        """Whether the user's shard counted the room; None when it could not say in time."""
        shard = shard_of(bare)
        try:
            ref = self._handle(shard).reserve.remote(self.holder, bare, room_jid, limit)
            return await asyncio.wait_for(_awaitable(ref), RESERVE_TIMEOUT)
        except Exception as exc:   # fail closed: see the fault contract
            log.warning("conferences.unavailable op=reserve user=%s room=%s shard=%d error=%s "
                        "admitted=false", bare, room_jid, shard, type(exc).__name__)
            self._shards.pop(shard, None)
            return None

    def _release(self, bare: str, room_jid: str) -> None:
        shard = shard_of(bare)
        try:
            self._handle(shard).release.remote(self.holder, bare, room_jid)
        except Exception as exc:   # the next renewal carries the truth
            log.warning("conferences.unavailable op=release user=%s error=%s", bare, exc)
            self._shards.pop(shard, None)

    def _ensure_renewer(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.get_running_loop().create_task(self._renew_loop())

    async def _renew_loop(self) -> None:
        while self.tracked:
            await asyncio.sleep(RENEW_EVERY)
            await self.renew_now()

    async def renew_now(self, shard: int | None = None) -> bool:
        """Tell every shard (or one) what this host holds; True when all took it."""
        for room_jid in list(self.tracked):
            self.settle(room_jid, None)          # heal paths that bypassed settle
        shards = range(REGISTRY_SHARDS) if shard is None else (shard,)
        by_shard: dict[int, list] = {s: [] for s in shards}
        for bare, room in self.entries():
            if shard_of(bare) in by_shard:
                by_shard[shard_of(bare)].append((bare, room))
        # every shard, even one this host now holds nothing on: renew replaces
        return all(await asyncio.gather(*(self._renew(shard, entries)
                                          for shard, entries in by_shard.items())))

    async def _renew(self, shard: int, entries: list) -> bool:
        try:
            await asyncio.wait_for(_awaitable(self._handle(shard).renew.remote(
                self.holder, entries)), RESERVE_TIMEOUT)
            return True
        except Exception as exc:
            log.warning("conferences.unavailable op=renew shard=%d error=%s", shard,
                        type(exc).__name__)
            self._shards.pop(shard, None)
            return False


async def _awaitable(ref):
    return await ref
