"""Presence fan-out: one PresenceOut per audience (self, those who may see real
JIDs, the rest), so the gateway renders each variant once."""
from __future__ import annotations

from .effects import Item, PresenceOut
from .features.registry import hooks
from .occupant import Occupant
from .outbox import Outbox
from .roles import Role


def item_for(occ: Occupant, with_jid: bool, **extra) -> Item:
    return Item(occ.affiliation.value, occ.role.value, occ.jid if with_jid else None, **extra)


def audiences(room, exclude: str | None) -> tuple[list[str], list[str]]:
    """Sessions that see real JIDs, and the others (excluding one nick)."""
    see, blind = [], []
    non_anonymous = not room.config.anonymous
    for o in room.occupants.values():
        if o.nick == exclude:
            continue
        (see if non_anonymous or o.role is Role.MODERATOR else blind).extend(o.sessions)
    return see, blind


def broadcast_presence(room, occ: Occupant, out: Outbox, *, codes: tuple[int, ...] = (),
                       self_codes: tuple[int, ...] = (), unavailable: bool = False,
                       status: str | None = None, item_extra: dict | None = None,
                       self_sessions: tuple[str, ...] | None = None, destroy=None,
                       to_others: bool = True, self_id: str | None = None) -> None:
    extra = item_extra or {}
    common = dict(unavailable=unavailable, payload="" if unavailable else occ.payload,
                  status=status if unavailable else occ.status, occupant_id=occ.occupant_id,
                  destroy=destroy)
    if to_others and is_broadcast(room, occ):
        see, blind = audiences(room, occ.nick)
        out.deliver(see, PresenceOut(occ.nick, item=item_for(occ, True, **extra), codes=codes, **common))
        out.deliver(blind, PresenceOut(occ.nick, item=item_for(occ, False, **extra), codes=codes, **common))
    mine = occ.sessions if self_sessions is None else self_sessions
    out.deliver(mine, PresenceOut(occ.nick, item=item_for(occ, True, **extra),
                                  codes=_merge(codes, (110,), self_codes), id=self_id, **common))


def is_broadcast(room, occ: Occupant) -> bool:
    """False when the room keeps this occupant's presence to itself
    (muc#roomconfig_presencebroadcast leaves out its role)."""
    return all(hook(room, occ) for hook in hooks("presence_broadcast"))


def presence_of(room, occ: Occupant, viewer: Occupant | None) -> PresenceOut:
    """How `occ` looks to `viewer` (on join: the existing occupants' presences)."""
    see = (not room.config.anonymous) or (viewer is not None and viewer.role is Role.MODERATOR)
    return PresenceOut(occ.nick, item=item_for(occ, see), payload=occ.payload,
                       status=occ.status, occupant_id=occ.occupant_id)


def _merge(*groups: tuple[int, ...]) -> tuple[int, ...]:
    seen: list[int] = []
    for g in groups:
        for code in g:
            if code not in seen:
                seen.append(code)
    return tuple(sorted(seen))
