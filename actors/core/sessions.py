"""Several devices of one user under one nick (allow_multiple_sessions).

An occupant holds one or more sessions (full JIDs); the first is the real JID the
room shows. Everything addressed to the occupant goes to all of its sessions
(groupchat, private messages, presence); a session leaving alone is a detail of
that user: only it gets its unavailable presence (presence.leave). When it was the
one whose JID was shown, those who may see real JIDs get the occupant's presence
again with the next session's JID (RFC 6120 JIDs are per session; bans and IQs
act on the current one)."""
from __future__ import annotations

from .broadcast import audiences, is_broadcast, item_for
from .effects import PresenceOut
from .occupant import Occupant
from .outbox import Outbox


def show_real_jid(room, occ: Occupant, out: Outbox) -> None:
    if not is_broadcast(room, occ):
        return
    see, _ = audiences(room, occ.nick)
    out.deliver(see, PresenceOut(occ.nick, item=item_for(occ, True), payload=occ.payload,
                                 status=occ.status, occupant_id=occ.occupant_id))
