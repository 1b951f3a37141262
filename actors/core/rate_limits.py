"""Rate control inside a room: min_message_interval, min_presence_interval,
user_message_shaper, user_presence_shaper and room_shaper, as MongooseIM's
mod_muc_room applies them (route_message, normal_state presence, the room queue).

Per occupant session (full JID, "global for the room": one state per room):
- groupchat messages (subject changes included): a message on time (the interval since
  the session's last message has passed and its message shaper has tokens) goes
  through the room shaper; an early one is held until its turn; while one is held, a
  further message is refused with resource-constraint ("Traffic rate limit is
  exceeded"). Private messages are not shaped (as in MongooseIM).
- presences: one on time is processed at once; an early one is held, and while it
  waits each newer presence replaces it, so only the latest is broadcast.
- the room queue: held stanzas, once due, are processed one by one in order as the
  room shaper allows (MongooseIM's room_queue and process_room_queue).

Where we differ from MongooseIM, on purpose:
- user_presence_shaper is applied to presences (MongooseIM builds it and never
  charges it); a presence over its rate is held like an early one.
- a held stanza sets the session's last message/presence time when it is processed,
  so the interval is kept between stanzas as processed (MongooseIM keeps the time of
  the last on-time one, letting a burst through right after a delayed message).
- a join (an available presence from a session that is not in the room) is never
  held; it starts the interval and is charged to the presence shaper. Held stanzas
  are processed by Ticks, which the host's entry limits (max_user_conferences,
  reserved before a join reaches the room) do not see; and holding a rejoin buys
  nothing, since leaving is held.

The state is transient (lost with the room's process, like MongooseIM's). Held
stanzas are released by Tick commands; the room asks the shell for one with a WakeUp
effect carrying the time of the next due stanza.

Stanza size (what the shapers count): the core sees typed commands, not bytes, so the
size is the UTF-8 length of the forwarded children (payload) and of what the parser
lifted out of them (subject, status), plus the addresses, plus ENVELOPE for tag
names and attributes. It is within a few bytes of the stanza as received (MongooseIM
counts exml:xml_size) without serialising it again."""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from enum import Enum

from . import commands as c
from .effects import WakeUp
from .errors import Refused
from .outbox import Outbox
from .replies import error_reply
from .shaper import TokenBucket
from .state import Env

RATE_EXCEEDED = "Traffic rate limit is exceeded"
ENVELOPE = 80
_ATTR = "rate_control"       # transient attribute on the Room


@dataclass(frozen=True)
class RateLimits:
    """The service's rate options for its rooms (from mod_muc and [shaper.*])."""
    min_message_interval: float = 0.0     # seconds; 0 = off
    min_presence_interval: float = 0.0    # seconds; 0 = off
    room_rate: int | None = None          # room_shaper's max_rate (bytes/s); None = "none"
    user_message_rate: int | None = None
    user_presence_rate: int | None = None

    @property
    def active(self) -> bool:
        return bool(self.min_message_interval or self.min_presence_interval or self.room_rate
                    or self.user_message_rate or self.user_presence_rate)


def stanza_size(cmd) -> int:
    size = ENVELOPE + len(cmd.sender) + len(cmd.nick) + len(cmd.id or "")
    for text in (cmd.payload, getattr(cmd, "subject", None), getattr(cmd, "status", None)):
        if text:
            size += len(text.encode("utf-8", "surrogatepass"))
    return size


class Verdict(Enum):
    NOW = "now"            # process it now
    HELD = "held"          # kept; processed by a later Tick
    REFUSED = "refused"    # resource-constraint


@dataclass
class _Session:
    message_time: float = -math.inf
    presence_time: float = -math.inf
    message_bucket: TokenBucket | None = None
    presence_bucket: TokenBucket | None = None
    message: c.Message | None = None        # held message
    message_due: float | None = None        # when it joins the room queue (None: queued)
    presence: c.Presence | None = None      # latest held presence
    presence_due: float | None = None


class RateControl:
    def __init__(self, limits: RateLimits, now: float):
        self.limits = limits
        self.room_bucket = TokenBucket.full(limits.room_rate, now) if limits.room_rate else None
        self.sessions: dict[str, _Session] = {}
        self.queue: deque[tuple[str, str]] = deque()   # (kind, full JID), kind message|presence
        self.queue_due: float | None = None            # when the queue's head may be processed
        self.requested: float | None = None            # the wake-up already asked of the shell

    def session(self, jid: str, now: float) -> _Session:
        s = self.sessions.get(jid)
        if s is None:
            lim = self.limits
            s = self.sessions[jid] = _Session(
                message_bucket=TokenBucket.full(lim.user_message_rate, now)
                if lim.user_message_rate else None,
                presence_bucket=TokenBucket.full(lim.user_presence_rate, now)
                if lim.user_presence_rate else None)
        return s

    # arrivals ------------------------------------------------------------------------
    def admit_message(self, cmd: c.Message, now: float) -> Verdict:
        size = stanza_size(cmd)
        s = self.session(cmd.sender, now)
        if s.message is not None:
            return Verdict.REFUSED
        bucket, user_delay = _take(s.message_bucket, size, now)
        s.message_bucket = bucket
        if now >= s.message_time + self.limits.min_message_interval and user_delay == 0:
            s.message_time = now
            if not self.queue:
                room_delay = self._pay(size, now)
                if room_delay == 0:
                    return Verdict.NOW
                self.queue_due = now + room_delay
            s.message = cmd
            self.queue.append(("message", cmd.sender))
            return Verdict.HELD
        s.message = cmd
        s.message_due = max(s.message_time + self.limits.min_message_interval, now + user_delay)
        return Verdict.HELD

    def admit_presence(self, cmd: c.Presence, now: float) -> Verdict:
        s = self.session(cmd.sender, now)
        if s.presence is not None:      # one is waiting already: the latest wins
            s.presence = cmd
            return Verdict.HELD
        bucket, delay = _take(s.presence_bucket, stanza_size(cmd), now)
        s.presence_bucket = bucket
        if now >= s.presence_time + self.limits.min_presence_interval and delay == 0:
            s.presence_time = now
            return Verdict.NOW
        s.presence = cmd
        s.presence_due = max(s.presence_time + self.limits.min_presence_interval, now + delay)
        return Verdict.HELD

    def entered(self, cmd: c.Presence, now: float) -> None:
        s = self.session(cmd.sender, now)
        s.presence_bucket = _take(s.presence_bucket, stanza_size(cmd), now)[0]
        s.presence_time = now

    # ticks ----------------------------------------------------------------------------
    def release_due(self, now: float) -> None:
        """Held stanzas whose wait is over join the room queue, earliest first."""
        due = []
        for jid, s in self.sessions.items():
            if s.message_due is not None and s.message_due <= now:
                due.append((s.message_due, "message", jid))
            if s.presence_due is not None and s.presence_due <= now:
                due.append((s.presence_due, "presence", jid))
        for _, kind, jid in sorted(due):
            s = self.sessions[jid]
            setattr(s, f"{kind}_due", None)
            if not self.queue:
                self.queue_due = now + self._pay(self._held_size(kind, jid), now)
            self.queue.append((kind, jid))

    def pop_ready(self, now: float):
        """The queue's head when the room shaper lets it through, else None."""
        while self.queue and self.queue_due is not None and self.queue_due <= now:
            kind, jid = self.queue.popleft()
            s = self.sessions[jid]
            cmd = getattr(s, kind)
            setattr(s, kind, None)
            setattr(s, f"{kind}_time", now)
            self.queue_due = now + self._pay(self._held_size(*self.queue[0]), now) \
                if self.queue else None
            if cmd is not None:
                return cmd
        return None

    def next_due(self) -> float | None:
        times = [t for s in self.sessions.values() for t in (s.message_due, s.presence_due)
                 if t is not None]
        if self.queue and self.queue_due is not None:
            times.append(self.queue_due)
        return min(times) if times else None

    def prune(self, now: float) -> None:
        """Forget sessions that hold nothing and could send again at once."""
        lim = self.limits
        for jid, s in list(self.sessions.items()):
            if s.message is None and s.presence is None \
                    and now >= s.message_time + lim.min_message_interval \
                    and now >= s.presence_time + lim.min_presence_interval \
                    and all(b is None or b.is_full(now)
                            for b in (s.message_bucket, s.presence_bucket)):
                del self.sessions[jid]

    # internals ------------------------------------------------------------------------
    def _pay(self, size: int, now: float) -> float:
        if self.room_bucket is None:
            return 0.0
        self.room_bucket, delay = self.room_bucket.take(size, now)
        return delay

    def _held_size(self, kind: str, jid: str) -> int:
        cmd = getattr(self.sessions[jid], kind)
        return stanza_size(cmd) if cmd is not None else 0


def _take(bucket: TokenBucket | None, size: int, now: float):
    if bucket is None:
        return None, 0.0
    return bucket.take(size, now)


# The room's side: gates in front of the presence and message handlers ---------------

def control(room, now: float) -> RateControl | None:
    limits = getattr(room.policy, "rates", None)
    if limits is None or not limits.active:
        return None
    rc = room.__dict__.get(_ATTR)
    if rc is None:
        rc = RateControl(limits, now)
        setattr(room, _ATTR, rc)
    return rc


def shaped_presence(room, cmd: c.Presence, env: Env, out: Outbox) -> None:
    from .presence import handle_presence
    rc = control(room, env.now)
    if rc is None:
        return handle_presence(room, cmd, env, out)
    if cmd.available and room.occupant_of(cmd.sender) is None:
        rc.entered(cmd, env.now)        # a join is never held, it starts the interval
        return handle_presence(room, cmd, env, out)
    verdict = rc.admit_presence(cmd, env.now)
    ask_wakeup(rc, out)
    if verdict is Verdict.NOW:
        handle_presence(room, cmd, env, out)


def shaped_message(room, cmd: c.Message, env: Env, out: Outbox) -> None:
    from .messages import handle_message
    rc = control(room, env.now)
    if rc is None or cmd.nick or cmd.type != "groupchat" or room.occupant_of(cmd.sender) is None:
        return handle_message(room, cmd, env, out)
    verdict = rc.admit_message(cmd, env.now)
    if verdict is Verdict.REFUSED:
        raise Refused("resource-constraint", RATE_EXCEEDED)
    ask_wakeup(rc, out)
    if verdict is Verdict.NOW:
        handle_message(room, cmd, env, out)


def handle_tick(room, cmd: c.Tick, env: Env, out: Outbox) -> None:
    """Process the held stanzas that are due, then ask for the next Tick."""
    from .messages import handle_message
    from .presence import handle_presence
    rc = room.__dict__.get(_ATTR)
    if rc is None:
        return
    rc.requested = None                  # the shell's timer has fired
    rc.release_due(env.now)
    n = 0
    while not room.closed and (held := rc.pop_ready(env.now)) is not None:
        n += 1
        sub = Env(env.now, f"{env.uid}-{n}")     # one stanza id per processed message
        handler = handle_message if isinstance(held, c.Message) else handle_presence
        try:
            handler(room, held, sub, out)
        except Refused as refusal:
            out.effects.extend(error_reply(held, refusal.error))
    rc.prune(env.now)
    if not room.closed:
        ask_wakeup(rc, out)


def ask_wakeup(rc: RateControl, out: Outbox) -> None:
    at = rc.next_due()
    if at is not None and (rc.requested is None or at < rc.requested):
        rc.requested = at
        out.add(WakeUp(at))
