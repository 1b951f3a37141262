"""IQs to an occupant's JID (XEP-0045 §6.6, §17.4 rule 3) and their answers.

An occupant's query to room/nick is forwarded to the target occupant's primary
session, from the sender's occupant JID, so neither learns the other's real JID.
vCard and pubsub gets go to the target's bare JID instead (avatars, XEP-0153 and
XEP-0084 over MUC; the user's server answers them). allow_query_users off refuses
with not-allowed (MongooseIM's wording); self-pings never reach here (disco.py
answers them). A non-occupant gets not-acceptable (XEP-0410), or bad-request for a
disco query (§6.6 MUST).

The room rewrites the id (a fresh unguessable one) and keeps the original in
room.pending_iqs; only the entity it forwarded to can answer it, and the answer
goes back to the requester with the original id, from the nick it addressed.
Pending entries are transient and bounded (an unanswered query expires)."""
from __future__ import annotations

from dataclasses import dataclass

from . import commands as c
from .effects import IqOut
from .errors import Refused
from .jid import bare_of
from .outbox import Outbox
from .probe import answers_probe
from .state import Env

NS_DISCO = ("http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items")
TO_BARE_JID = frozenset({"vcard-temp", "urn:ietf:params:xml:ns:vcard-4.0",
                         "http://jabber.org/protocol/pubsub"})
PENDING_TTL = 300.0         # seconds an answer may take
MAX_PENDING = 1000


@dataclass(frozen=True, slots=True)
class PendingIq:
    requester: str          # full JID that asked
    id: str                 # its id
    target: str             # the JID the room forwarded to (full, or bare for vCards)
    nick: str               # the occupant JID the requester addressed
    at: float


def handle_iq_to_occupant(room, cmd: c.IqToOccupant, env: Env, out: Outbox) -> None:
    sender = room.occupant_of(cmd.sender)
    if sender is None:
        if cmd.namespace in NS_DISCO:
            raise Refused("bad-request", "Only occupants may query occupants")
        raise Refused("not-acceptable", "Only occupants are allowed to send queries to the "
                                        "conference", type="cancel")     # as XEP-0410's
    target = room.occupant_named(cmd.nick)
    if target is None:
        raise Refused("item-not-found", "Recipient is not in the conference room")
    if not room.config.allow_query_users:
        raise Refused("not-allowed", "Queries to the conference members are not allowed in "
                                     "this room")
    to = target.bare if cmd.type == "get" and cmd.namespace in TO_BARE_JID else target.jid
    forward(room, cmd.sender, cmd.id, cmd.type, sender.nick, target.nick, to, cmd.payload,
            env, out)


def forward(room, requester: str, iq_id: str, iq_type: str, from_nick: str, to_nick: str,
            to: str, payload: str, env: Env, out: Outbox) -> None:
    pending = _pending(room, env.now)
    pending[env.uid] = PendingIq(requester, iq_id, to, to_nick, env.now)
    while len(pending) > MAX_PENDING:
        del pending[next(iter(pending))]
    out.deliver((to,), IqOut(env.uid, iq_type, from_nick, payload))


def handle_iq_response(room, cmd: c.IqResponseFromOccupant, env: Env, out: Outbox) -> None:
    if answers_probe(room, cmd, env, out):
        return
    pending = _pending(room, env.now)
    asked = pending.get(cmd.id)
    # Only the account the room forwarded to (its client, or its server answering for
    # it) may answer; anything else is no answer to this room's query: drop it.
    if asked is None or bare_of(cmd.sender) != bare_of(asked.target):
        return
    del pending[cmd.id]
    out.deliver((asked.requester,), IqOut(asked.id, cmd.type, asked.nick, cmd.payload))


def _pending(room, now: float) -> dict[str, PendingIq]:
    pending = room.pending_iqs
    while pending:
        oldest = next(iter(pending))
        if pending[oldest].at >= now - PENDING_TTL:
            break
        del pending[oldest]
    return pending
