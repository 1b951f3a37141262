"""Entering, presence updates, nick changes and leaving (XEP-0045 §7.1-7.3, 7.6, 7.14)."""
from __future__ import annotations

from dataclasses import dataclass

from . import commands as c
from .broadcast import broadcast_presence, is_broadcast, presence_of
from .effects import Item, MessageOut, PresenceOut
from .errors import Refused
from .external_auth import NeedsExternalAuth, defer_join
from .features.registry import hooks
from .history import stanza_chars
from .jid import bare_of
from .nick import same_nick, valid_nick
from .occupant import Occupant
from .outbox import Outbox
from .roles import Affiliation, Role
from .sessions import show_real_jid
from .state import Env

NOT_IN_ROOM = "You are not in the room."
_REMOVALS_LOGGED = {321: "affiliation change", 322: "the room is now members-only",
                    332: "system shutdown"}    # mod_muc_log's wording for these removals


@dataclass(frozen=True, slots=True)
class JoinAttempt:
    sender: str
    bare: str
    nick: str
    password: str | None
    affiliation: Affiliation
    service_admin: bool
    external_auth: bool = False     # the password was already checked by an HTTP service
    created: bool = False           # this join creates the room (its creator)
    extra_session: bool = False     # another session of an occupant's bare JID, same nick
    now: float = 0.0                # Env.now of the attempt (for rate limits)


def handle_presence(room, cmd: c.Presence, env: Env, out: Outbox) -> None:
    occ = room.occupant_of(cmd.sender)
    if not cmd.available:
        # §17.3 rule 5: an unavailable presence from a non-occupant is silently ignored
        if occ is not None:
            if room.locked and len(room.occupants) == 1 and len(occ.sessions) == 1:
                _abandon_locked_room(room, out)
            else:
                leave(room, occ, cmd.sender, cmd.status, out)
        return
    if occ is None:
        join(room, cmd, env, out)
    elif cmd.nick != occ.nick and not (len(occ.sessions) > 1 and same_nick(cmd.nick, occ.nick)):
        # Another session may have joined under another spelling of the nick: its
        # presence is not a rename of everyone's occupant
        change_nick(room, occ, cmd, out)
    elif cmd.muc:
        resync(room, occ, cmd, env, out)
    else:
        update(room, occ, cmd, out)


def _abandon_locked_room(room, out: Outbox) -> None:
    """§10.1.3: the owner left before configuring the room: destroy it."""
    from .owner import destroy
    destroy(room, c.DestroyRequest(reason="The room was never configured"), out)


def join(room, cmd: c.Presence, env: Env, out: Outbox, external_auth: bool = False,
         created: bool = False) -> None:
    external_auth = external_auth or isinstance(cmd, c.AuthorizedJoin)
    try:
        _enter(room, cmd, env, out, external_auth, created)
    except NeedsExternalAuth:       # http_auth_pool: the shell asks, the room goes on
        defer_join(room, cmd, out, created)
    except Refused:
        if created:     # the room never existed: don't keep an empty locked room
            room.close("creation refused", out)
        raise


def _enter(room, cmd: c.Presence, env: Env, out: Outbox, external_auth: bool,
           created: bool) -> None:
    if not valid_nick(cmd.nick):
        raise Refused("jid-malformed", "A nickname is required to enter the room: one the "
                                       "PRECIS Nickname profile (RFC 8266) accepts")
    if not cmd.muc:
        _not_an_occupant(cmd, out)
        if created:
            room.close("groupchat 1.0 presence", out)
        return
    bare = bare_of(cmd.sender)
    admin = room.policy.is_service_admin(bare)
    aff = Affiliation.OWNER if admin else room.affiliation_of(bare)
    if room.locked and aff is not Affiliation.OWNER:
        raise Refused("item-not-found", "This room is locked until its owner configures it")
    if aff is Affiliation.OUTCAST:
        raise Refused("forbidden", "You have been banned from this room")
    holder = room.occupant_named(cmd.nick)
    if holder is not None and not (holder.bare == bare and room.config.allow_multiple_sessions):
        raise Refused("conflict", "That nickname is already in use by another occupant")
    owner_of_nick = room.nick_owner(cmd.nick)
    if owner_of_nick is not None and owner_of_nick != bare:
        raise Refused("conflict", "That nickname is registered by another person")
    attempt = JoinAttempt(cmd.sender, bare, cmd.nick, cmd.password, aff, admin, external_auth,
                          created, extra_session=holder is not None, now=env.now)
    for hook in hooks("pre_join"):      # a new session passes them too (e.g. the password)
        hook(room, attempt)
    if holder is not None:
        _add_session(room, holder, cmd, env, out)
        return
    occ = Occupant(cmd.nick, bare, (cmd.sender,), room.default_role(aff), aff,
                   room.occupant_id(bare), cmd.payload, cmd.status)
    occ = occ.with_(status=_status(room, occ, cmd.status))
    # §7.1 order: others' presence, self-presence, history, subject
    send_roster(room, occ, (cmd.sender,), out)
    room.put_occupant(occ)
    broadcast_presence(room, occ, out, self_codes=_entry_codes(room, created), self_id=cmd.id)
    send_history_and_subject(room, (cmd.sender,), cmd.history, env, out)
    room.log("join", occ.nick, jid=occ.jid, out=out)


def _not_an_occupant(cmd: c.Presence, out: Outbox) -> None:
    """§7.2.18: an available presence without the MUC <x/> from a non-occupant may be
    a groupchat 1.0 join or a desynchronised client: kick it explicitly (110, 307,
    333) rather than half-join it."""
    out.deliver((cmd.sender,), PresenceOut(
        cmd.nick, unavailable=True, item=Item("none", "none", reason=NOT_IN_ROOM),
        codes=(110, 307, 333)))


def send_roster(room, viewer: Occupant, to: tuple[str, ...], out: Outbox) -> None:
    """The presence of every other occupant the room broadcasts, as `viewer` sees it."""
    for other in room.occupants.values():
        if other.nick != viewer.nick and is_broadcast(room, other):
            out.deliver(to, presence_of(room, other, viewer))


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
    send_roster(room, occ, (cmd.sender,), out)
    broadcast_presence(room, occ, out, self_codes=_entry_codes(room, False),
                       self_sessions=(cmd.sender,), to_others=False, self_id=cmd.id)
    send_history_and_subject(room, (cmd.sender,), cmd.history, env, out)


def send_history_and_subject(room, to: tuple[str, ...], req: c.HistoryRequest | None,
                             env: Env, out: Outbox) -> None:
    """§7.2.13-7.2.15: history (as `req` and the room's muc#maxhistoryfetch allow,
    maxchars counted on the stanzas as sent to to[0]), then the subject, always,
    stamped with the time it was set (none for a subject never set in the room)."""
    def chars(msg: MessageOut) -> int:
        return stanza_chars(msg, room.jid, to[0])
    for msg in room.history.select(req, env.now, room.config_max_history(), chars):
        out.deliver(to, msg)
    out.deliver(to, MessageOut(room.subject_author or None, subject=room.subject,
                               delay=room.extra.get("subject_at")))


def resync(room, occ: Occupant, cmd: c.Presence, env: Env, out: Outbox) -> None:
    """§7.2.1 / §17.3 rule 3: a join from a session that is already in: send it exactly
    what a join sends; others hear of it only if the presence changed."""
    send_roster(room, occ, (cmd.sender,), out)
    updated = occ.with_(payload=cmd.payload, status=_status(room, occ, cmd.status))
    room.put_occupant(updated)
    changed = (updated.payload, updated.status) != (occ.payload, occ.status)
    broadcast_presence(room, updated, out, self_codes=_entry_codes(room, False),
                       self_sessions=(cmd.sender,), to_others=changed, self_id=cmd.id)
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
        raise Refused("jid-malformed", "Not a nickname the PRECIS Nickname profile (RFC 8266) "
                                       "accepts")
    holder = room.occupant_named(new)
    if holder is not None and holder.nick != occ.nick:     # a new spelling of one's own is fine
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
        staying = occ.with_(sessions=rest)
        room.put_occupant(staying)
        if session == occ.jid:      # the real JID shown was this session's: show the next
            show_real_jid(room, staying, out)
        return
    room.drop_occupant(occ)
    broadcast_presence(room, occ.with_(role=Role.NONE), out, unavailable=True,
                       status=_status(room, occ, status))
    room.log("leave", occ.nick, text=status or "", jid=occ.jid, out=out)


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
    for code in codes:      # kicks (307) and bans (301) are logged by their callers
        if code in _REMOVALS_LOGGED:
            room.log("kick", occ.nick, text=_REMOVALS_LOGGED[code], jid=occ.jid, out=out)
