"""Who may change whose role or affiliation, and who may read which list
(XEP-0045 §5.1.2 and §5.2.2 privilege tables, §8 moderator, §9 admin and §10 owner
use cases). Each check returns quietly when allowed and raises Refused with the
condition the XEP names otherwise:
  - forbidden: the requester lacks the privilege altogether (§8, §9, §10 intros);
  - not-allowed: the privilege exists but the target is protected by its affiliation;
  - conflict: banning oneself, or leaving the room without an owner."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import Refused
from .jid import bare_of
from .occupant import Occupant
from .roles import Affiliation, Role

OWNER, ADMIN, MEMBER, NONE, OUTCAST = (Affiliation.OWNER, Affiliation.ADMIN, Affiliation.MEMBER,
                                       Affiliation.NONE, Affiliation.OUTCAST)


@dataclass(frozen=True, slots=True)
class Actor:
    """The sender of an admin request as the room sees it."""
    bare: str
    affiliation: Affiliation        # effective: service admins count as owners
    role: Role                      # admins and owners count as moderators even when absent
    nick: str | None                # shown as <actor nick=.../> when the actor is in the room


def actor_of(room, sender: str) -> Actor:
    bare = bare_of(sender)
    aff = room.effective_affiliation(bare)
    mine = room.occupant_of(sender)
    same_user = [o for o in room.occupants.values() if o.bare == bare]
    role = max((o.role for o in same_user), key=lambda r: r.rank, default=Role.NONE)
    if aff.rank >= ADMIN.rank:
        role = Role.MODERATOR
    nick = mine.nick if mine is not None else (same_user[0].nick if same_user else None)
    return Actor(bare, aff, role, nick)


def _is_admin(aff: Affiliation) -> bool:
    return aff.rank >= ADMIN.rank


# Roles (§5.1.2 table, §8.2-8.5, §9.6-9.8) -----------------------------------------

def check_role_change(actor: Actor, target: Occupant, new: Role) -> None:
    if actor.role is not Role.MODERATOR:
        raise Refused("forbidden", "Only moderators may change roles")
    if new is target.role:
        return
    if new is Role.NONE:
        _check_kick(actor, target)
    elif new is Role.MODERATOR:
        if not _is_admin(actor.affiliation):
            raise Refused("forbidden", "Only admins and owners may grant moderator status")
    elif target.role is Role.MODERATOR:
        if not _is_admin(actor.affiliation):
            raise Refused("forbidden", "Only admins and owners may revoke moderator status")
        if _is_admin(target.affiliation):
            raise Refused("not-allowed", "Moderator status cannot be revoked from an admin or owner")
    elif new is Role.VISITOR:
        # §8.4: never from an admin or owner, nor from an affiliation at or above the actor's.
        if _is_admin(target.affiliation) or target.affiliation.rank >= actor.affiliation.rank:
            raise Refused("not-allowed",
                          "Voice cannot be revoked from someone with this affiliation")


def _check_kick(actor: Actor, target: Occupant) -> None:
    # §8.2: "a user cannot be kicked by a moderator with a lower affiliation";
    # §5.1.2: only admins and owners kick moderators.
    if target.affiliation.rank > actor.affiliation.rank:
        raise Refused("not-allowed", "You cannot kick someone with a higher affiliation")
    if target.role is Role.MODERATOR and not _is_admin(actor.affiliation):
        raise Refused("not-allowed", "Only admins and owners may kick a moderator")


# Affiliations (§5.2.2 table, §9.1-9.5, §10.3-10.8) -----------------------------------

def check_affiliation_change(actor: Actor, target: str, current: Affiliation, new: Affiliation,
                             target_is_service_admin: bool) -> None:
    if not _is_admin(actor.affiliation):
        raise Refused("forbidden", "Only admins and owners may change affiliations")
    if new is OUTCAST and target == actor.bare:
        raise Refused("conflict", "You cannot ban yourself")
    if new is current:
        return
    if target_is_service_admin and new is not OWNER:
        raise Refused("not-allowed", "A service administrator's affiliation cannot be lowered")
    if actor.affiliation is OWNER:
        return
    # An admin edits the member and ban lists only (§9); owners are out of reach (§9.1).
    if current is OWNER:
        raise Refused("not-allowed", "Admins cannot change an owner's affiliation")
    if current is ADMIN or new in (ADMIN, OWNER):
        raise Refused("forbidden", "Only owners may edit the admin and owner lists")


def check_owners_remain(before: set[str], after: set[str]) -> None:
    """§10.5/10.6: the last owner cannot step down."""
    if before and not after:
        raise Refused("conflict", "A room must keep at least one owner")


# Lists (§8.5, §9.2, §9.5, §9.8, §10.5, §10.8) ------------------------------------------

def check_role_list(actor: Actor) -> None:
    # Role lists carry full JIDs: moderators only, whatever the room's anonymity.
    if actor.role is not Role.MODERATOR:
        raise Refused("forbidden", "Only moderators may retrieve role lists")


def check_affiliation_list(room, actor: Actor, aff: Affiliation) -> None:
    if aff is OUTCAST:
        allowed = _is_admin(actor.affiliation)
    elif aff is MEMBER:
        allowed = may_get_member_list(room, actor)
    else:
        # §10.5/10.8: owners; "in non-anonymous rooms, the service MAY process the request".
        allowed = actor.affiliation is OWNER or (not room.config.anonymous
                                                 and may_get_member_list(room, actor))
    if not allowed:
        raise Refused("forbidden", f"You may not retrieve the {aff.value} list")


def may_get_member_list(room, actor: Actor) -> bool:
    """Admins and owners; the roles muc#roomconfig_getmemberlist names; and in
    non-anonymous rooms members, and occupants of members-only rooms (§9.5 note).
    Semi-anonymous rooms keep the list from mere members (§5.2.1 footnote)."""
    if _is_admin(actor.affiliation):
        return True
    if actor.role is not Role.NONE and actor.role.value in room.config.maygetmemberlist:
        return True
    if not room.config.anonymous:
        return actor.affiliation is MEMBER or (room.config.members_only
                                               and actor.role is not Role.NONE)
    return False
