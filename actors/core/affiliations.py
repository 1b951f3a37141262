"""One path for every affiliation change: update the list, then the occupants."""
from __future__ import annotations

from .broadcast import broadcast_presence
from .outbox import Outbox
from .roles import Affiliation


def set_affiliation(room, bare: str, aff: Affiliation, actor_nick: str | None,
                    reason: str, out: Outbox) -> None:
    from .presence import remove_occupant
    if aff is Affiliation.NONE:
        room.affiliations.pop(bare, None)
    else:
        room.affiliations[bare] = aff
    room.changed()
    for occ in [o for o in room.occupants.values() if o.bare == bare]:
        if aff is Affiliation.OUTCAST:
            remove_occupant(room, occ, out, (301,), Affiliation.OUTCAST, actor_nick, reason)
            room.log("ban", occ.nick, text=reason, out=out)
        elif room.config.members_only and aff.rank < Affiliation.MEMBER.rank:
            remove_occupant(room, occ, out, (321,), aff, actor_nick, reason)
        else:
            moved = occ.with_(affiliation=aff, role=room.default_role(aff))
            room.put_occupant(moved)
            extra = {"reason": reason} if reason else {}
            if actor_nick:
                extra["actor_nick"] = actor_nick
            broadcast_presence(room, moved, out, item_extra=extra)
