"""Mediated invitations and declines (XEP-0045 §7.8.2).

Who may invite: moderators always; participants and visitors when the room allows
user invites (allow_user_invites, muc#roomconfig_allowinvites, as in MongooseIM).
In a members-only room an invitation is only useful if it admits the invitee, so
it also takes the privilege to add members (§7.8.2 note: "SHOULD be restricted to
room admins ... SHOULD return a forbidden error"): admins and owners, or anyone the
owner let invite with allow_user_invites. There the unaffiliated invitees become
members (persisted with the room).

The room sends the invitation from its bare JID with <invite from=inviter's full
JID/> and the room password, keeping the inviter's message id. It remembers who
invited whom (transient, bounded) so a decline goes back to the inviter's full JID
(§7.8.2 example) and the room relays declines only for invitations it sent: it
never relays messages to arbitrary addresses for strangers.

One message invites at most MAX_INVITES_PER_MESSAGE people (each invitation is a
stanza the room sends), and one user at most INVITES_PER_MINUTE a minute in a room."""
from __future__ import annotations

import math
from dataclasses import dataclass

from . import commands as c
from .affiliations import set_affiliation
from .caps import check_room_for
from .effects import DeclineOut, Invitation
from .errors import Refused
from .jid import bare_of
from .outbox import Outbox
from .recent import RecentEvents, Window
from .roles import Affiliation, Role
from .state import Env

_ATTR = "invitations"               # transient attribute on the Room
MAX_REMEMBERED = 1000               # outstanding invitations remembered per room
REMEMBER_FOR = 7 * 24 * 3600.0      # seconds a decline may take
MAX_INVITES_PER_MESSAGE = 10
INVITES_PER_MINUTE = 30
_RATE_ATTR = "invitations_sent"     # transient attribute on the Room: RecentEvents by inviter
_RATE = Window(INVITES_PER_MINUTE, 60.0, max_keys=MAX_REMEMBERED)


@dataclass(frozen=True, slots=True)
class Sent:
    inviter: str                    # full JID
    at: float


def handle_invite(room, cmd: c.Invite, env: Env, out: Outbox) -> None:
    occ = room.occupant_of(cmd.sender)
    if occ is None:
        raise Refused("not-acceptable", "Only occupants are allowed to send invitations")
    if len(cmd.invitees) > MAX_INVITES_PER_MESSAGE:
        raise Refused("policy-violation", f"At most {MAX_INVITES_PER_MESSAGE} invitations "
                                          "per message")
    aff = room.effective_affiliation(occ.bare)
    if room.config.members_only:
        if aff.rank < Affiliation.ADMIN.rank and not room.config.allow_user_invites:
            raise Refused("forbidden", "Only admins and owners may invite others to this "
                                       "members-only room")
    elif occ.role is not Role.MODERATOR and not room.config.allow_user_invites:
        raise Refused("forbidden", "Only moderators may invite others to this room")
    for invitee, _ in cmd.invitees:
        # Rooms take no invitations: one sent to a room would come back here as an
        # invitation "from" the room (a loop); occupant-JID invitations aren't supported.
        if invitee.split("/", 1)[0].rpartition("@")[2] == room.policy.service:
            raise Refused("bad-request", "Invite people by their own JID, not a room's")
    if room.config.members_only:
        check_room_for(room, {bare_of(i): Affiliation.MEMBER for i, _ in cmd.invitees
                              if room.affiliation_of(bare_of(i)) is Affiliation.NONE})
    _charge(room, occ.bare, len(cmd.invitees), env.now)
    password = room.config.password if room.config.password_protected else None
    for invitee, reason in cmd.invitees:
        bare = bare_of(invitee)
        if room.config.members_only and room.affiliation_of(bare) is Affiliation.NONE:
            set_affiliation(room, bare, Affiliation.MEMBER, occ.nick, "", out)
        out.deliver((invitee,), Invitation(cmd.sender, reason, password or None,
                                           cmd.continue_thread, cmd.id))
        _remember(room, bare, cmd.sender, env.now)


def _charge(room, inviter: str, count: int, now: float) -> None:
    sent = room.__dict__.setdefault(_RATE_ATTR, RecentEvents(_RATE))
    if count > sent.left(inviter, now):
        raise Refused("resource-constraint", f"At most {INVITES_PER_MINUTE} invitations a "
                      f"minute; try again in {math.ceil(sent.retry_in(inviter, now))} s")
    sent.add(inviter, now, count)


def handle_decline(room, cmd: c.Decline, env: Env, out: Outbox) -> None:
    """The invitee declines: tell the inviter, from the room, who declined and why."""
    decliner = bare_of(cmd.sender)
    book = _sent(room, env.now)
    sent = book.get(decliner, [])
    inviter = next((s.inviter for s in reversed(sent)
                    if bare_of(s.inviter) == bare_of(cmd.to)), None)
    if inviter is None:
        raise Refused("item-not-found", "This room sent you no invitation from that user")
    rest = [s for s in sent if s.inviter != inviter]
    if rest:
        book[decliner] = rest
    else:
        del book[decliner]
    out.deliver((inviter,), DeclineOut(decliner, cmd.reason, cmd.id))


def _sent(room, now: float) -> dict[str, list[Sent]]:
    book = room.__dict__.setdefault(_ATTR, {})
    for bare in [b for b, sent in book.items() if sent[-1].at < now - REMEMBER_FOR]:
        del book[bare]
    return book


def _remember(room, invitee: str, inviter: str, now: float) -> None:
    book = _sent(room, now)
    sent = book.pop(invitee, [])    # re-inserted last: the dict keeps age order
    sent = [s for s in sent if s.inviter != inviter] + [Sent(inviter, now)]
    book[invitee] = sent[-10:]
    while len(book) > MAX_REMEMBERED:
        del book[next(iter(book))]
