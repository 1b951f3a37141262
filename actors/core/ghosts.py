"""Ghost occupants (XEP-0045 §18.1.2 "Ghost Users"; §11.1 and status code 333).

An error that comes back from an occupant's session for a stanza the room sent it
means the session is gone: the room treats it as that session leaving, and when it
was the occupant's last session everyone gets its unavailable presence with status
333 ("removed by the service because of an error"), never 307.
- a presence error: always (both Prosody and MongooseIM do so);
- a message error (a bounced groupchat or private message): for the delivery
  errors of §18.1.2 plus what servers return for a vanished resource (RFC 6121
  §8.5.3.2.1: service-unavailable) or a broken route. Other conditions (a client
  refusing one message, say not-acceptable) leave the occupant in.
Errors from non-occupants are dropped: errors are never answered."""
from __future__ import annotations

from . import commands as c
from .broadcast import broadcast_presence
from .outbox import Outbox
from .presence import leave
from .roles import Role
from .state import Env

GONE_CONDITIONS = frozenset({
    "gone", "item-not-found", "recipient-unavailable", "redirect", "remote-server-not-found",
    "remote-server-timeout", "service-unavailable", "internal-server-error", "jid-malformed",
})


def handle_stanza_error(room, cmd: c.StanzaError, env: Env, out: Outbox) -> None:
    occ = room.occupant_of(cmd.sender)
    if occ is None:
        return
    if cmd.kind == "message" and cmd.condition not in GONE_CONDITIONS:
        return
    if cmd.kind not in ("presence", "message"):
        return
    text = f"Removed from the room: delivery failed ({cmd.condition.replace('-', ' ')})"
    if len(occ.sessions) > 1:       # another device keeps the nick: only this one goes
        leave(room, occ, cmd.sender, text, out)
        return
    if room.locked and len(room.occupants) == 1:
        from .owner import destroy          # §10.1.3: the unconfigured room goes with it
        destroy(room, c.DestroyRequest(reason="The room was never configured"), out)
        return
    room.drop_occupant(occ)
    broadcast_presence(room, occ.with_(role=Role.NONE), out, unavailable=True, codes=(333,),
                       status=text)
    room.log("leave", occ.nick, text=text, jid=occ.jid, out=out)
