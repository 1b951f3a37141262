"""Whether stanzas to a room that is not running may start it (issue 15, "unbounded
processes"). With rooms_per_actor = 1 a room start is a new worker process (~57 MiB),
so every admission rule is checked here, before anything is started:

- a join: access_create; for a new room max_room_id, then the per-user creation rate
  (max_room_creations_per_minute); for every join max_user_conferences (both asked of
  the user's conference registry shard, actors/conferences.py, one call); then the
  live-room cap (the supervisor, actors/live_rooms.py). The host checks access_create,
  max_room_id and max_user_conferences again under the room's lock (the registry's
  reservation there is the exact one; this check is what keeps refused joins from
  costing a process).
- disco#info and disco#items of a stored room: answered from storage by the room core
  itself (actors/core/disco.py through Room.handle on the restored room), so a stranger's
  query never starts a process. The answer is the running room's, less its occupants
  (a room not running has none).
- any other stanza: starts a stored room (it may need it: a message, an owner's form),
  within the live-room cap; a room that does not exist is never started by it.
Fails closed: a registry shard or a supervisor that does not answer in time refuses
the join (service-unavailable, wait); storage down starts nothing (the router's
StorageDown)."""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass

from actors.conferences import TOO_MANY, UNCHECKED, get_or_create_registry, shard_of
from actors.core import commands as c
from actors.core.effects import Deliver
from actors.core.errors import XmppError
from actors.core.jid import bare_of
from actors.core.replies import error_reply, refuse
from actors.core.room import Room
from actors.core.state import Env
from actors.lifecycle import wakes_nothing
from actors.records import to_snapshot

log = logging.getLogger("raymuc.admission")

CALL_TIMEOUT = 5.0
LOG_EVERY = 60.0        # a refusal of one kind is logged once per user (or cap) and minute
TOO_FAST = "You are creating rooms too fast; try again in a minute"
FULL = "Too many active rooms; try again later"
FULL_UNCHECKED = "The number of active rooms can't be checked right now; try again shortly"


@dataclass(frozen=True)
class Decision:
    start: bool              # start the room's host and send it the stanzas
    effects: tuple = ()      # otherwise: the answers to the stanzas


def is_join(cmd) -> bool:
    return isinstance(cmd, c.Presence) and cmd.available


def _read_only(cmd) -> bool:
    """Queries a stored room's core answers without its live state."""
    return isinstance(cmd, (c.DiscoInfo, c.DiscoItems)) and not cmd.nick


class Admission:
    def __init__(self, settings, store, locate_registry=get_or_create_registry,
                 find_supervisor=None):
        self.settings = settings
        self.store = store
        self._locate_registry = locate_registry
        self._find_supervisor = find_supervisor or _find_supervisor
        self._registries: dict[int, object] = {}
        self._supervisor = None
        self._logged: dict[tuple[str, str], float] = {}

    async def decide(self, room_jid: str, cmds: list, load) -> Decision:
        """`load()` reads the room's record (None: no such room); it raises when
        storage is down, and is called only when a stanza needs it."""
        service = self.settings.service_for(room_jid)
        if service is None:
            return Decision(False, _answer(cmds, lambda cmd: refuse(
                cmd, "item-not-found", "No such MUC service")))
        denied = {id(cmd): service.creation.refusal(room_jid, cmd.sender, True)
                  for cmd in cmds if is_join(cmd)}
        joins = [cmd for cmd in cmds if is_join(cmd) and denied[id(cmd)] is None]
        others = [cmd for cmd in cmds if not is_join(cmd) and not wakes_nothing(cmd)]
        if not joins and not others:       # e.g. an unavailable presence: start nothing
            return Decision(False, self._answer(cmds, denied, None))
        record = await load()
        if record is None:
            return await self._new_room(room_jid, cmds, joins, denied, service)
        if not joins and all(_read_only(cmd) for cmd in others):
            return Decision(False, self._from_storage(record, service, cmds, denied))
        if joins:
            refusal = await self._user_refusal(room_jid, joins[0], service, new=False)
            if refusal is not None:
                return Decision(False, self._answer(cmds, denied, refusal))
        refusal = await self._live_refusal(room_jid)
        if refusal is not None:
            return Decision(False, self._answer(cmds, denied, refusal))
        return Decision(True)

    async def _new_room(self, room_jid, cmds, joins, denied, service) -> Decision:
        """Only a join creates a room: the first join every rule admits."""
        for cmd in joins:
            denied[id(cmd)] = service.creation.refusal(room_jid, cmd.sender, False)
        creators = [cmd for cmd in joins if denied[id(cmd)] is None]
        if not creators:
            return Decision(False, self._answer(cmds, denied, None))
        refusal = await self._user_refusal(room_jid, creators[0], service, new=True)
        if refusal is None:
            refusal = await self._live_refusal(room_jid)
        if refusal is not None:
            return Decision(False, self._answer(cmds, denied, refusal))
        return Decision(True)

    def _answer(self, cmds, denied: dict, refusal: XmppError | None) -> tuple:
        """Each stanza's answer when nothing starts: its own refusal, else `refusal`,
        else item-not-found (no such room)."""
        def one(cmd):
            error = denied.get(id(cmd)) or refusal
            return error_reply(cmd, error) if error is not None else \
                refuse(cmd, "item-not-found", "No such room")
        return _answer(cmds, one)

    def _from_storage(self, record, service, cmds, denied) -> tuple:
        room = Room.restore(service.policy, to_snapshot(record))
        env = Env(time.time(), uuid.uuid4().hex)
        out = []
        for cmd in cmds:
            if isinstance(cmd, (c.DiscoInfo, c.DiscoItems)):
                out.extend(e for e in room.handle(cmd, env) if isinstance(e, Deliver))
            elif denied.get(id(cmd)) is not None:
                out.extend(error_reply(cmd, denied[id(cmd)]))
        log.debug("admission.from_storage room=%s stanzas=%d", room.jid, len(cmds))
        return tuple(out)

    # the user's shard: max_user_conferences and the creation rate ---------------------
    async def _user_refusal(self, room_jid, cmd, service, new: bool) -> XmppError | None:
        bare = bare_of(cmd.sender)
        if service.policy.is_service_admin(bare):
            return None                     # admitted past every limit (issue 5)
        limit = service.max_user_conferences if cmd.muc else None
        rate = service.max_room_creations_per_minute if new else None
        if limit is None and rate is None:
            return None
        shard = shard_of(bare)
        try:
            handle = self._registries.get(shard)
            if handle is None:
                handle = self._registries[shard] = await asyncio.to_thread(
                    self._locate_registry, self.settings.namespace, shard)
            verdict = await asyncio.wait_for(_awaited(handle.may_start.remote(
                bare, room_jid, limit, rate)), CALL_TIMEOUT)
        except Exception as exc:            # fail closed
            self._registries.pop(shard, None)
            log.warning("admission.unchecked user=%s room=%s shard=%d error=%s", bare,
                        room_jid, shard, type(exc).__name__)
            return XmppError.of("service-unavailable", UNCHECKED, "wait")
        if verdict == "conferences":
            log.info("admission.conferences user=%s room=%s limit=%s", bare, room_jid, limit)
            return XmppError.of("service-unavailable", TOO_MANY, "wait")
        if verdict == "unknown":            # the shard restarted and is relearning counts
            return XmppError.of("service-unavailable", UNCHECKED, "wait")
        if verdict == "rate":
            self._log_once("rate", bare, "admission.creation_rate user=%s per_minute=%s",
                           bare, rate)
            return XmppError.of("resource-constraint", TOO_FAST, "wait")
        return None

    # the supervisor: live rooms -------------------------------------------------------
    async def _live_refusal(self, room_jid: str) -> XmppError | None:
        if not self.settings.live_room_cap:
            return None
        try:
            if self._supervisor is None:
                self._supervisor = await asyncio.to_thread(self._find_supervisor,
                                                           self.settings.namespace)
            if self._supervisor is None:
                raise LookupError("no supervisor")
            admitted = await asyncio.wait_for(_awaited(
                self._supervisor.admit_start.remote(room_jid)), CALL_TIMEOUT)
        except Exception as exc:            # fail closed
            self._supervisor = None
            log.warning("admission.live_unchecked room=%s error=%s", room_jid,
                        type(exc).__name__)
            return XmppError.of("service-unavailable", FULL_UNCHECKED, "wait")
        if not admitted:
            self._log_once("full", "", "admission.live_rooms_full room=%s", room_jid)
            return XmppError.of("resource-constraint", FULL, "wait")
        return None

    def _log_once(self, kind: str, key: str, fmt: str, *args) -> None:
        now = time.monotonic()
        if now - self._logged.get((kind, key), -LOG_EVERY) >= LOG_EVERY:
            if len(self._logged) > 10000:
                self._logged.clear()
            self._logged[(kind, key)] = now
            log.warning(fmt, *args)


def _answer(cmds, one) -> tuple:
    return tuple(eff for cmd in cmds for eff in one(cmd))


def _find_supervisor(namespace: str):
    from actors.supervisor import find_supervisor
    return find_supervisor(namespace)


async def _awaited(ref):
    return await ref
