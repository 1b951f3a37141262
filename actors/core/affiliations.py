"""One path for every affiliation change (muc#admin items, the owner form's
owner/admin lists): update the list, then the occupants it concerns.

Reasons given with an affiliation are kept (the ban list shows them, §9.2) in
room.extra["affiliation_reasons"]; a ban also drops the outcast's reserved nick
(room.extra["nicks"], §9.1)."""
from __future__ import annotations

from .broadcast import broadcast_presence, is_broadcast, presence_of
from .effects import Invitation
from .occupant import Occupant
from .outbox import Outbox
from .roles import Affiliation, Role
from .state import NICKS, REASONS


def set_affiliation(room, bare: str, aff: Affiliation, actor_nick: str | None,
                    reason: str, out: Outbox, *, inviter: str | None = None) -> None:
    """`inviter` (a bare JID) makes a new member of a members-only room who is not
    in it get an invitation from the room (§9.3 SHOULD)."""
    from .presence import remove_occupant
    old = room.affiliation_of(bare)
    if aff is Affiliation.NONE:
        room.affiliations.pop(bare, None)
    else:
        room.affiliations[bare] = aff
    _keep_reason(room, bare, aff, reason)
    if aff is Affiliation.OUTCAST:
        set_reserved_nick(room, bare, None)
    room.changed()
    effective = room.effective_affiliation(bare)
    present = [o for o in room.occupants.values() if o.bare == bare]
    for occ in present:
        if effective is Affiliation.OUTCAST:
            remove_occupant(room, occ, out, (301,), Affiliation.OUTCAST, actor_nick, reason)
            room.log("ban", occ.nick, text=reason, out=out)
        elif room.config.members_only and effective.rank < Affiliation.MEMBER.rank:
            # §9.4: only the removal (321) is sent, not a de-affiliation presence first.
            remove_occupant(room, occ, out, (321,), effective, actor_nick, reason)
        else:
            moved = occ.with_(affiliation=effective, role=role_after(room, occ, effective))
            if moved == occ:
                continue
            room.put_occupant(moved)
            extra = {"reason": reason} if reason else {}
            if actor_nick:
                extra["actor_nick"] = actor_nick
            broadcast_presence(room, moved, out, item_extra=extra)
            reveal_real_jids(room, occ, moved, out)
    if (inviter and not present and aff is Affiliation.MEMBER and old is Affiliation.NONE
            and room.config.members_only):
        password = room.config.password if room.config.password_protected else None
        out.deliver((bare,), Invitation(inviter, reason, password or None))


def reveal_real_jids(room, before: Occupant, after: Occupant, out: Outbox) -> None:
    """A new moderator of a semi-anonymous room may now see real JIDs (§8 list item 1):
    send it the other occupants' presences again, this time with their JIDs."""
    if not room.config.anonymous or before.role is Role.MODERATOR \
            or after.role is not Role.MODERATOR:
        return
    for other in room.occupants.values():
        if other.nick != after.nick and is_broadcast(room, other):
            out.deliver(after.sessions, presence_of(room, other, after))


def role_after(room, occ: Occupant, new: Affiliation) -> Role:
    """§5.1.2 note: the role an affiliation brings is stable (admins and owners are
    moderators, members at least participants); one lost with the admin or owner
    affiliation falls back to the room's default, other roles stay."""
    default = room.default_role(new)
    if occ.affiliation.rank >= Affiliation.ADMIN.rank:
        return default
    return max(occ.role, default, key=lambda r: r.rank)


def reason_of(room, bare: str) -> str:
    return room.extra.get(REASONS, {}).get(bare, "")


def _keep_reason(room, bare: str, aff: Affiliation, reason: str) -> None:
    # Copy, never mutate: a snapshot already handed to the shell may share the dict.
    reasons = dict(room.extra.get(REASONS, {}))
    if reason and aff is not Affiliation.NONE:
        reasons[bare] = reason
    else:
        reasons.pop(bare, None)
    room.extra[REASONS] = reasons


def set_reserved_nick(room, bare: str, nick: str | None) -> None:
    """Reserve `nick` for `bare` in this room, or drop its reservation (None or '')."""
    room.reserve_nick(bare, nick)
