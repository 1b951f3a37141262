"""Messages to all occupants, subject changes and private messages (§7.4, 7.5, 8.1)."""
from __future__ import annotations

from . import commands as c
from .effects import MessageOut
from .errors import Refused
from .features.registry import hooks
from .outbox import Outbox
from .state import Env


def handle_message(room, cmd: c.Message, env: Env, out: Outbox) -> None:
    if cmd.nick:
        private_message(room, cmd, out)
    elif cmd.type == "groupchat":
        groupchat(room, cmd, env, out)
    else:
        raise Refused("bad-request", "Messages to the room itself must be of type groupchat")


def groupchat(room, cmd: c.Message, env: Env, out: Outbox) -> None:
    occ = room.occupant_of(cmd.sender)
    if occ is None:
        raise Refused("not-acceptable", "Only occupants are allowed to send messages to the room")
    if cmd.subject is not None and cmd.body is None:
        change_subject(room, occ, cmd, out, env)
        return
    for hook in hooks("pre_groupchat"):
        hook(room, occ, cmd)
    msg = MessageOut(occ.nick, "groupchat", cmd.id, cmd.payload, subject=cmd.subject,
                     stanza_id=env.uid, occupant_id=occ.occupant_id)
    out.deliver(room.all_sessions(), msg)
    if cmd.body is not None or cmd.subject is not None:
        room.history.add(msg, env.now)
    room.log("message", occ.nick, text=cmd.body or "", out=out)


def change_subject(room, occ, cmd: c.Message, out: Outbox, env: Env | None = None) -> None:
    for hook in hooks("pre_subject"):
        hook(room, occ)
    room.subject = cmd.subject or ""
    room.subject_author = occ.nick
    if env is not None:     # §7.2.15: the subject sent on entering is stamped with this
        room.extra["subject_at"] = env.now
    room.changed()
    out.deliver(room.all_sessions(), MessageOut(occ.nick, "groupchat", cmd.id, cmd.payload,
                                                subject=room.subject,
                                                stanza_id=env.uid if env else None,
                                                occupant_id=occ.occupant_id))
    room.log("subject", occ.nick, text=room.subject, out=out)


def private_message(room, cmd: c.Message, out: Outbox) -> None:
    occ = room.occupant_of(cmd.sender)
    if occ is None:
        raise Refused("not-acceptable", "Only occupants are allowed to send private messages")
    if cmd.type == "groupchat":
        raise Refused("bad-request", "Private messages can't be of type groupchat")
    target = room.occupant_named(cmd.nick)
    if target is None:
        raise Refused("item-not-found", "No occupant with that nickname")
    for hook in hooks("pre_private_message"):
        hook(room, occ, target)
    out.deliver(target.sessions, MessageOut(occ.nick, cmd.type, cmd.id, cmd.payload,
                                            occupant_id=occ.occupant_id, private=True))
