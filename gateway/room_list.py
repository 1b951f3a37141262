"""The service's room list (XEP-0045 §6.3) from its two sources. Pure.

- The live room directory (the supervisor's, actors/directory.py): every running
  room, temporary ones included, with its current title and public flag; rooms
  still locked (not configured yet) don't officially exist and are left out.
- Storage: every persistent room, running or not (deep-hibernated, not woken
  since a restart), with its affiliations.

A room is listed when it is public, to service administrators, and to its owners
(known for persistent rooms only: the directory does not carry affiliations)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

Item = tuple[str, str, str | None]        # (jid, name, node)


@dataclass(frozen=True, slots=True)
class Stored:
    jid: str
    config: Mapping[str, object]
    affiliations: Mapping[str, str]


def room_list(live: Iterable, stored: Iterable[Stored], requester_bare: str,
              admin: bool) -> list[Item]:
    """Sorted by JID (the item ids of XEP-0059 paging). `live` holds RoomInfo values."""
    rooms: dict[str, tuple[str, bool, bool]] = {}       # jid -> (title, public, owner)
    for rec in stored:
        owner = rec.affiliations.get(requester_bare) == "owner"
        rooms[rec.jid] = (str(rec.config.get("title") or ""), bool(rec.config.get("public", True)),
                          owner)
    for info in live:
        if info.locked:
            rooms.pop(info.jid, None)
            continue
        owner = rooms.get(info.jid, ("", False, False))[2]
        rooms[info.jid] = (info.title, info.public, owner)
    return sorted((jid, title or jid.split("@", 1)[0], None)
                  for jid, (title, public, owner) in rooms.items() if public or admin or owner)
