"""The muc#admin protocol: role and affiliation lists (get) and changes (set),
XEP-0045 §8 (kick, voice), §9 (ban, membership, moderators) and the
affiliation parts of §10 (owners, admins). Who may do what: privileges.py.

A set is all-or-nothing (§9.2: "SHOULD NOT apply any of the requested changes"):
every item is resolved and checked against the room before any is applied."""
from __future__ import annotations

from dataclasses import dataclass

from . import commands as c
from .affiliations import reason_of, reveal_real_jids, set_affiliation, set_reserved_nick
from .broadcast import broadcast_presence
from .caps import check_room_for
from .effects import AdminListResult, IqResult, Item
from .errors import Refused
from .jid import bare_of
from .nick import valid_nick
from .outbox import Outbox
from .presence import remove_occupant
from .privileges import (Actor, actor_of, check_affiliation_change, check_affiliation_list,
                         check_owners_remain, check_role_change, check_role_list)
from .roles import Affiliation, Role, parse_affiliation, parse_role
from .state import Env


@dataclass(frozen=True, slots=True)
class RoleChange:
    nick: str
    role: Role
    reason: str


@dataclass(frozen=True, slots=True)
class AffiliationChange:
    bare: str
    affiliation: Affiliation
    reason: str
    reserve: str | None = None      # a nick to reserve ('' drops the reservation), §9.3/§9.5


# get ------------------------------------------------------------------------------

def handle_admin_get(room, cmd: c.AdminGet, env: Env, out: Outbox) -> None:
    if len(cmd.items) != 1:
        raise Refused("bad-request", "A list request carries exactly one <item/>")
    role, aff = _role_or_affiliation(cmd.items[0])
    actor = actor_of(room, cmd.sender)
    if role is not None:
        if role is Role.NONE:
            raise Refused("bad-request", "There is no list of occupants without a role")
        check_role_list(actor)
        items = tuple(Item(o.affiliation.value, o.role.value, o.jid, o.nick)
                      for o in sorted(room.occupants.values(), key=lambda o: o.nick)
                      if o.role is role)
    else:
        if aff is Affiliation.NONE:
            raise Refused("bad-request", "There is no list of unaffiliated users")
        check_affiliation_list(room, actor, aff)
        items = tuple(_affiliation_item(room, bare, aff)
                      for bare in sorted(b for b, a in room.affiliations.items() if a is aff))
    out.deliver((cmd.sender,), IqResult(cmd.id, None, AdminListResult(items, cmd.page)))


def _affiliation_item(room, bare: str, aff: Affiliation) -> Item:
    """§17.4 (IQ rule 6): affiliation, bare jid and nick, never a role; outcasts
    have no nick but keep the reason of their ban."""
    nick = None
    if aff is not Affiliation.OUTCAST:
        present = [o.nick for o in room.occupants.values() if o.bare == bare]
        nick = present[0] if present else room.extra.get("nicks", {}).get(bare)
    return Item(aff.value, "", bare, nick, reason=reason_of(room, bare) or None)


# set ------------------------------------------------------------------------------

def handle_admin_set(room, cmd: c.AdminSet, env: Env, out: Outbox) -> None:
    if not cmd.items:
        raise Refused("bad-request", "A muc#admin set needs at least one <item/>")
    actor = actor_of(room, cmd.sender)
    changes = [_plan(room, actor, item) for item in cmd.items]
    _check_batch(room, changes)
    _check_caps(room, changes)
    # §8.2: the requester learns of the success before the remaining occupants do.
    out.deliver((cmd.sender,), IqResult(cmd.id))
    for change in changes:
        if isinstance(change, RoleChange):
            _apply_role(room, actor, change, out)
        else:
            _apply_affiliation(room, actor, change, out)


def _role_or_affiliation(item: c.AdminItem) -> tuple[Role | None, Affiliation | None]:
    if item.role is not None and item.affiliation is not None:
        raise Refused("bad-request", "An item changes either a role or an affiliation, not both")
    if item.role is not None:
        role = parse_role(item.role)
        if role is None:
            raise Refused("bad-request", f"Unknown role {item.role!r}")
        return role, None
    if item.affiliation is not None:
        aff = parse_affiliation(item.affiliation)
        if aff is None:
            raise Refused("bad-request", f"Unknown affiliation {item.affiliation!r}")
        return None, aff
    raise Refused("bad-request", "An item needs a 'role' or an 'affiliation'")


def _plan(room, actor: Actor, item: c.AdminItem) -> RoleChange | AffiliationChange:
    role, aff = _role_or_affiliation(item)
    if role is not None:
        # §17.4 (IQ rule 5): roles are addressed by nick only.
        if not item.nick:
            raise Refused("bad-request", "A role change needs the occupant's 'nick'")
        target = _occupant(room, item.nick)
        check_role_change(actor, target, role)
        return RoleChange(target.nick, role, item.reason)
    reserve = None
    if item.jid:
        bare = bare_of(item.jid)        # §10.3: a full JID stands for its bare JID
        reserve = item.nick
    elif item.nick:
        bare = _occupant(room, item.nick).bare
    else:
        raise Refused("bad-request", "An affiliation change needs a 'jid' (or an occupant's 'nick')")
    check_affiliation_change(actor, bare, room.affiliation_of(bare), aff,
                             room.policy.is_service_admin(bare))
    if reserve and aff.rank < Affiliation.MEMBER.rank:
        reserve = None                  # only members and above hold reserved nicks
    if reserve:
        if not valid_nick(reserve):
            raise Refused("jid-malformed", f"Not a nickname the PRECIS Nickname profile (RFC 8266) "
                                           f"accepts: {reserve!r}")
        holder = room.nick_owner(reserve)
        if holder is not None and holder != bare:
            raise Refused("conflict", f"The nick {reserve!r} is reserved by someone else")
    return AffiliationChange(bare, aff, item.reason, reserve)


def _occupant(room, nick: str):
    occ = room.occupant_named(nick)
    if occ is None:
        raise Refused("item-not-found", f"No occupant with the nick {nick!r}")
    return occ


def _check_batch(room, changes) -> None:
    # One target twice (admin then member, moderator then kicked) would make the batch's
    # order matter and broadcast a state the room never settles in: e.g. a participant
    # briefly a moderator is shown real JIDs of a semi-anonymous room (found by the fuzzer).
    seen: set[str] = set()
    for ch in changes:
        bare = ch.bare if isinstance(ch, AffiliationChange) else room.occupant_named(ch.nick).bare
        if bare in seen:
            raise Refused("bad-request", f"The request changes {bare} more than once")
        seen.add(bare)
    owners = {b for b, a in room.affiliations.items() if a is Affiliation.OWNER}
    after = set(owners)
    for ch in changes:
        if isinstance(ch, AffiliationChange):
            (after.add if ch.affiliation is Affiliation.OWNER else after.discard)(ch.bare)
    check_owners_remain(owners, after)


def _check_caps(room, changes) -> None:
    affs = [ch for ch in changes if isinstance(ch, AffiliationChange)]
    check_room_for(room, {ch.bare: ch.affiliation for ch in affs},
                   {ch.bare: ch.reserve for ch in affs if ch.reserve is not None},
                   {ch.bare: ch.reason if ch.affiliation is not Affiliation.NONE else ""
                    for ch in affs})


def _apply_role(room, actor: Actor, ch: RoleChange, out: Outbox) -> None:
    occ = room.occupant_named(ch.nick)
    if occ is None or occ.role is ch.role:      # gone or unchanged by an earlier item
        return
    if ch.role is Role.NONE:
        # §8.2: unavailable with 307 (110 too for the kicked occupant), actor and reason.
        remove_occupant(room, occ, out, (307,), None, actor.nick, ch.reason)
        room.log("kick", occ.nick, text=ch.reason, out=out)
        return
    moved = occ.with_(role=ch.role)
    room.put_occupant(moved)
    extra = {"reason": ch.reason} if ch.reason else {}
    if actor.nick:
        extra["actor_nick"] = actor.nick
    broadcast_presence(room, moved, out, item_extra=extra)
    reveal_real_jids(room, occ, moved, out)


def _apply_affiliation(room, actor: Actor, ch: AffiliationChange, out: Outbox) -> None:
    if room.affiliation_of(ch.bare) is not ch.affiliation:
        set_affiliation(room, ch.bare, ch.affiliation, actor.nick, ch.reason, out,
                        inviter=actor.bare)
    if ch.reserve is not None:
        set_reserved_nick(room, ch.bare, ch.reserve)
