"""What a room host does outside a stanza's call, for the room effects that ask for it:

- WakeUp(at): one timer per room (the earliest asked for); when it fires the room
  gets a Tick under its lock (rate_limits.py: held messages and presences fall due).
- CheckPassword(presence): the external HTTP check (http_auth.py) runs as a task,
  outside the room's lock and outside the gateway's pipe for the room, so the room
  keeps serving others; then the join is submitted again as AuthorizedJoin (under
  the lock, against the room as it is by then) or refused.
- LogEvent: written to the room's log file (room_log.py) off the event loop.

Stanzas these produce go to the gateway actor's `emit` (the push channel). Ordering:
within a room, everything is applied one command at a time in the room's lock, and a
host's pushes reach the gateway one after another in the order they were made; a
pushed batch can still reach the gateway a few milliseconds before the reply to a
command the room handled just before it (two channels).

Fault contract: timers and checks in flight are lost with the host's process, as the
held stanzas are (transient state, as in MongooseIM); a client whose join was being
checked sees no answer and joins again. A host with a check in flight does not
retire (it counts in `inflight`); a room's own host that such work leaves empty
retires itself, since no reply told the gateway."""
from __future__ import annotations

import asyncio
import logging
import time
import weakref
from typing import Awaitable, Callable

from actors.core import commands as c
from actors.core.effects import CheckPassword, Closed, Deliver, LogEvent, WakeUp
from actors.core.replies import refuse
from actors.http_auth import HttpAuthClient
from actors.room_log import RoomInfo, RoomLog, existence

log = logging.getLogger("raymuc.deferred")

Push = Callable[[str, tuple], Awaitable[None]]
# A push the gateway doesn't take in PUSH_TIMEOUT (stuck, restarting) is lost and logged
# rather than holding every later push of this host; past MAX_PUSHES waiting, new
# pushes are dropped (logged once per burst), as stanzas to an offline component are.
PUSH_TIMEOUT = 10.0
MAX_PUSHES = 1000
# Closed reasons that end a room for good (the log says "destroyed"); a room that never
# existed (its creation refused or awaiting its creator's password check) says nothing
_GONE = {"destroyed": "destroyed", "empty": "destroyed"}
_NEVER_EXISTED = {"creation refused", "awaiting external authentication",
                  "groupchat 1.0 presence"}


class Deferred:
    def __init__(self, host, push: Push | None = None):
        self.host = host                       # actors.host.RoomHost
        self.push = push or self._push_to_gateway
        self.timers: dict[str, tuple[float, asyncio.TimerHandle]] = {}
        self.tasks: set[asyncio.Task] = set()
        s = host.settings
        self.auth = HttpAuthClient(s.http_auth) if getattr(s, "http_auth", None) else None
        self.room_log = RoomLog(s.room_log) if getattr(s, "room_log", None) else None
        self._gateway = None
        self._push_order = asyncio.Lock()
        self.pushing = 0                       # pushes in flight or waiting for the lock
        self.dropped = 0
        self._dropping = False                 # logged once per burst
        self._origin = weakref.WeakKeyDictionary()     # room -> "created" | "started" here
        self._logged: weakref.WeakSet = weakref.WeakSet()      # rooms that logged here

    def take(self, room, eff, logs: list) -> bool:
        """Handle a shell effect this module owns; False if it is not one of them."""
        if isinstance(eff, WakeUp):
            self.wake(room.jid, eff.at)
        elif isinstance(eff, CheckPassword):
            self.check(room.jid, eff.presence)
        elif isinstance(eff, LogEvent):
            logs.append(eff)
        elif isinstance(eff, Closed):
            if room.config.logging and eff.reason not in _NEVER_EXISTED:
                logs.append(existence(_GONE.get(eff.reason, "stopped")))
            return False                       # the host forgets the room too
        else:
            return False
        return True

    # timers ---------------------------------------------------------------------------
    def wake(self, room_jid: str, at: float) -> None:
        current = self.timers.get(room_jid)
        if current is not None and current[0] <= at:
            return
        if current is not None:
            current[1].cancel()
        delay = max(0.0, at - time.time())
        handle = asyncio.get_running_loop().call_later(delay, self._fire, room_jid)
        self.timers[room_jid] = (at, handle)

    def _fire(self, room_jid: str) -> None:
        self.timers.pop(room_jid, None)
        self._spawn(self._tick(room_jid))

    async def _tick(self, room_jid: str) -> None:
        if room_jid not in self.host.rooms:
            return                             # closed meanwhile: nothing is held any more
        reply = await self.host.handle(room_jid, c.Tick())
        await self.push(room_jid, reply.effects)
        self._retire_if_idle(room_jid)         # e.g. a held leave emptied the room

    # external authentication ------------------------------------------------------------
    def check(self, room_jid: str, presence: c.Presence) -> None:
        self.host.inflight += 1                # keeps the host from retiring meanwhile
        self._spawn(self._check(room_jid, presence))

    async def _check(self, room_jid: str, presence: c.Presence) -> None:
        try:
            if self.auth is None:              # http_auth set in the policy, pool missing
                verdict_effects = refuse(presence, "service-unavailable",
                                         "No password check service is configured")
                await self.push(room_jid, verdict_effects)
                return
            verdict = await self.auth.check(presence.sender, room_jid, presence.password or "")
            if verdict.allowed:
                effects = (await self.host.handle(room_jid, c.AuthorizedJoin.of(presence))).effects
            else:
                effects = refuse(presence, verdict.condition, verdict.text)
            await self.push(room_jid, effects)
        except Exception:
            log.exception("http_auth.failed room=%s user=%s", room_jid, presence.sender)
        finally:
            self.host.inflight -= 1
        self._retire_if_idle(room_jid)         # e.g. a refused creation: no room here

    def _retire_if_idle(self, room_jid: str) -> None:
        """A host of this one room (the actor is named by it) left empty by work done
        outside a stanza's call: no reply told the router, so it asks itself to retire,
        as the router would (retire() checks again that nothing is in flight)."""
        h = self.host
        if h.name != room_jid or h.rooms or h.inflight or h.retired:
            return
        try:
            import ray
            ray.get_runtime_context().current_actor.retire.remote()
        except Exception:       # not running as a Ray actor (tests)
            pass

    # room log -------------------------------------------------------------------------
    async def write_log(self, room, events: list[LogEvent]) -> None:
        """Called after every command of a room (its first one tells how it came to be)."""
        if self.room_log is None:
            return
        origin = self._origin.setdefault(room, "started" if room.persisted else "created")
        if not events:
            return
        if room not in self._logged:           # its first line since this process has it
            self._logged.add(room)
            events = [existence(origin), *events]
        info = RoomInfo(room.jid, room.config.title, room.subject, room.subject_author)
        try:
            await asyncio.to_thread(self.room_log.write, info, events, time.time())
        except Exception:      # the log must never break the room (file errors are handled)
            log.exception("room_log.failed room=%s", room.jid)

    async def close(self) -> None:
        for _, handle in self.timers.values():
            handle.cancel()
        self.timers.clear()
        if self.auth is not None:
            await self.auth.close()

    # the push channel -----------------------------------------------------------------
    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _push_to_gateway(self, room_jid: str, effects) -> None:
        effects = tuple(e for e in effects if isinstance(e, Deliver))
        if not effects:
            return
        if self.pushing >= MAX_PUSHES:
            self.dropped += len(effects)
            if not self._dropping:
                self._dropping = True
                log.error("push.dropped room=%s stanzas=%d waiting=%d", room_jid, len(effects),
                          self.pushing)
            return
        if self.pushing < MAX_PUSHES // 2:
            self._dropping = False
        self.pushing += 1
        try:
            async with self._push_order:    # one push at a time: they arrive in order
                await asyncio.wait_for(self._push_once(room_jid, effects), PUSH_TIMEOUT)
        except asyncio.TimeoutError:
            self.dropped += len(effects)
            log.error("push.timeout room=%s stanzas=%d seconds=%.0f", room_jid, len(effects),
                      PUSH_TIMEOUT)
        finally:
            self.pushing -= 1

    async def _push_once(self, room_jid: str, effects: tuple) -> None:
        from actors.placement import find_gateway   # only the shell knows it runs on Ray
        for attempt in range(2):
            if self._gateway is None:
                self._gateway = await asyncio.to_thread(find_gateway,
                                                        self.host.settings.namespace)
            if self._gateway is None:
                break
            try:
                await self._gateway.emit.remote(room_jid, effects)
                return
            except Exception as exc:          # restarted or gone: look it up again
                log.warning("push.failed room=%s attempt=%d error=%s", room_jid,
                            attempt + 1, type(exc).__name__)
                self._gateway = None
        self.dropped += len(effects)
        log.error("push.lost room=%s stanzas=%d (no gateway)", room_jid, len(effects))
