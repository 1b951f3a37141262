"""Entering, presence updates, nick changes and leaving (XEP-0045 §7.1-7.3, 7.6, 7.14)."""
from __future__ import annotations

from dataclasses import dataclass

from . import commands as c
from .broadcast import broadcast_presence, presence_of
from .effects import MessageOut
from .errors import Refused
from .features.registry import hooks
from .jid import bare_of
from .occupant import Occupant
from .outbox import Outbox
from .roles import Affiliation, Role
from .state import Env


@dataclass(frozen=True, slots=True)
class JoinAttempt:
    sender: str
    bare: str
    nick: str
    password: str | None
    affiliation: Affiliation
    service_admin: bool
    external_auth: bool = False     # the password was already checked by an HTTP service


def valid_nick(nick: str) -> bool:
    return bool(nick) and bool(nick.strip()) and len(nick) <= 1023


def handle_presence(room, cmd: c.Presence, env: Env, out: Outbox) -> None:
    occ = room.occupant_of(cmd.sender)
    if not cmd.available:
        if occ is not None:
            leave(room, occ, cmd.sender, cmd.status, out)
        return
    if occ is None:
        join(room, cmd, env, out)
    elif cmd.nick != occ.nick:
        change_nick(room, occ, cmd, out)
    elif cmd.muc:
        resync(room, occ, cmd, env, out)
    else:
        update(room, occ, cmd, out)


def join(room, cmd: c.Presence, env: Env, out: Outbox, external_auth: bool = False,
         created: bool = False) -> None:
    if not valid_nick(cmd.nick):
        raise Refused("jid-malformed", "A nickname is required to enter the room")
    bare = bare_of(cmd.sender)
    admin = room.policy.is_service_admin(bare)
    aff = Affiliation.OWNER if admin else room.affiliation_of(bare)
    if room.locked and aff is not Affiliation.OWNER:
        raise Refused("item-not-found", "This room is locked until its owner configures it")
    if aff is Affiliation.OUTCAST:
        raise Refused("forbidden", "You have been banned from this room")
    holder = room.occupants.get(cmd.nick)
    if holder is not None and not (holder.bare == bare and room.config.allow_multiple_sessions):
        raise Refused("conflict", "That nickname is already in use by another occupant")
    owner_of_nick = room.nick_owner(cmd.nick)
    if owner_of_nick is not None and owner_of_nick != bare:
        raise Refused("conflict", "That nickname is registered by another person")
    attempt = JoinAttempt(cmd.sender, bare, cmd.nick, cmd.password, aff, admin, external_auth)
    if holder is None:
        for hook in hooks("pre_join"):
            hook(room, attempt)
    if holder is not None:
        _add_session(room, holder, cmd, env, out)
        return
    occ = Occupant(cmd.nick, bare, (cmd.sender,), room.default_role(aff), aff,
                   room.occupant_id(bare), cmd.payload, _status(room, None, cmd.status))
    occ = occ.with_(status=_status(room, occ, cmd.status))
    for other in room.occupants.values():
        out.deliver((cmd.sender,), presence_of(room, other, occ))
    room.put_occupant(occ)
    self_codes = _entry_codes(room, created)
    broadcast_presence(room, occ, out, self_codes=self_codes)
    send_history_and_subject(room, (cmd.sender,), cmd.history, env, out)
    room.log("join", occ.nick, jid=occ.jid, out=out)


def _entry_codes(room, created: bool) -> tuple[int, ...]:
    codes = []
    if not room.config.anonymous:
        codes.append(100)
    if room.config.logging:
        codes.append(170)
    if created:
        codes.append(201)
    return tuple(codes)


def _add_session(room, occ: Occupant, cmd: c.Presence, env: Env, out: Outbox) -> None:
    occ = occ.with_(sessions=occ.sessions + (cmd.sender,))
    room.put_occupant(occ)
    for other in room.occupants.values():
        if other.nick != occ.nick:
            out.deliver((cmd.sender,), presence_of(room, other, occ))
    broadcast_presence(room, occ, out, self_codes=_entry_codes(room, False),
                       self_sessions=(cmd.sender,), to_others=False)
    send_history_and_subject(room, (cmd.sender,), cmd.history, env, out)


def send_history_and_subject(room, to: tuple[str, ...], req: c.HistoryRequest | None,
                             env: Env, out: Outbox) -> None:
    for entry in room.history.select(req, env.now, room.config_max_history()):
        out.deliver(to, _with_delay(entry.message, entry.at))
    out.deliver(to, MessageOut(room.subject_author or None, subject=room.subject))


def _with_delay(msg: MessageOut, at: float) -> MessageOut:
    from dataclasses import replace
    return replace(msg, delay=at)


def resync(room, occ: Occupant, cmd: c.Presence, env: Env, out: Outbox) -> None:
    """§17.3: a join from a session that is already in: send it the room state again."""
    for other in room.occupants.values():
        if other.nick != occ.nick:
            out.deliver((cmd.sender,), presence_of(room, other, occ))
    occ = occ.with_(payload=cmd.payload, status=_status(room, occ, cmd.status))
    room.put_occupant(occ)
    broadcast_presence(room, occ, out, self_codes=_entry_codes(room, False),
                       self_sessions=(cmd.sender,), to_others=False)
    send_history_and_subject(room, (cmd.sender,), cmd.history, env, out)


def update(room, occ: Occupant, cmd: c.Presence, out: Outbox) -> None:
    occ = occ.with_(payload=cmd.payload, status=_status(room, occ, cmd.status))
    room.put_occupant(occ)
    broadcast_presence(room, occ, out)


def _status(room, occ: Occupant | None, status: str | None) -> str | None:
    if occ is None:
        return status
    for hook in hooks("presence_status"):
        status = hook(room, occ, status)
    return status


def change_nick(room, occ: Occupant, cmd: c.Presence, out: Outbox) -> None:
    new = cmd.nick
    if not valid_nick(new):
        raise Refused("jid-malformed", "A nickname is required")
    holder = room.occupants.get(new)
    if holder is not None:
        raise Refused("conflict", "That nickname is already in use by another occupant")
    registered = room.nick_owner(new)
    if registered is not None and registered != occ.bare:
        raise Refused("conflict", "That nickname is registered by another person")
    for hook in hooks("pre_nick_change"):
        hook(room, occ, new)
    broadcast_presence(room, occ, out, unavailable=True, codes=(303,),
                       item_extra={"nick": new})
    room.drop_occupant(occ)
    moved = occ.with_(nick=new, payload=cmd.payload or occ.payload,
                      status=_status(room, occ, cmd.status))
    room.put_occupant(moved)
    broadcast_presence(room, moved, out)
    room.log("nick", occ.nick, text=new, out=out)


def leave(room, occ: Occupant, session: str, status: str | None, out: Outbox) -> None:
    if len(occ.sessions) > 1:
        rest = tuple(s for s in occ.sessions if s != session)
        room.sessions.pop(session, None)
        gone = occ.with_(role=Role.NONE)
        broadcast_presence(room, gone, out, unavailable=True, status=status,
                           self_sessions=(session,), to_others=False)
        room.put_occupant(occ.with_(sessions=rest))
        return
    room.drop_occupant(occ)
    broadcast_presence(room, occ.with_(role=Role.NONE), out, unavailable=True,
                       status=_status(room, occ, status))
    room.log("leave", occ.nick, jid=occ.jid, out=out)


def remove_occupant(room, occ: Occupant, out: Outbox, codes: tuple[int, ...],
                    affiliation: Affiliation | None = None, actor_nick: str | None = None,
                    reason: str | None = None) -> None:
    """Take an occupant out (kick, ban, members-only, shutdown) and tell everyone."""
    room.drop_occupant(occ)
    gone = occ.with_(role=Role.NONE, affiliation=affiliation or occ.affiliation)
    extra = {}
    if actor_nick:
        extra["actor_nick"] = actor_nick
    if reason:
        extra["reason"] = reason
    broadcast_presence(room, gone, out, unavailable=True, codes=codes, item_extra=extra)
