"""One page of the service's room list (XEP-0045 §6.3) from its sources. Pure.

- Storage, read a page at a time (persistence/listing.py): the public persistent rooms
  (every room for a service administrator), in JID order after (or before) a cursor;
  and the hidden rooms the requester owns.
- The live room directory (the supervisor's, actors/directory.py): every running room,
  temporary ones included, with its current title and public flag; rooms still locked
  (not configured yet) don't officially exist and are left out.

A room is listed when it is public, to service administrators, and to its owners
(known for persistent rooms only: the directory does not carry affiliations)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

Item = tuple[str, str, str | None]        # (jid, name, node)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page starts: right after `after`, or right before `before` ("" for the
    end of the list); neither: the start."""
    after: str | None = None
    before: str | None = None

    def holds(self, jid: str) -> bool:
        if self.after is not None:
            return jid > self.after
        if self.before:
            return jid < self.before
        return True


@dataclass(frozen=True, slots=True)
class StoredPage:
    """What storage gave for a cursor: `rooms` in JID order (Listed values), and whether
    it stopped at its limit (then rooms past its far end were not read)."""
    rooms: Sequence
    full: bool


def extra_reads(live: Iterable, cursor: Cursor) -> int:
    """Live rooms in the cursor's range that may hide stored ones (locked or hidden):
    storage is asked for that many more, so a page is still full without them."""
    return sum(1 for info in live if cursor.holds(info.jid) and (info.locked or not info.public))


def page_items(stored: StoredPage, owned: StoredPage, live: Iterable, cursor: Cursor,
               admin: bool, limit: int) -> list[Item]:
    """At most `limit` listed rooms next to the cursor, in JID order. `live` holds
    RoomInfo values; `owned` the requester's hidden stored rooms."""
    rooms: dict[str, str] = {}
    mine = {room.jid for room in owned.rooms}
    for room in (*stored.rooms, *owned.rooms):
        if cursor.holds(room.jid):
            rooms[room.jid] = room.title
    for info in live:
        if not cursor.holds(info.jid):
            continue
        if info.locked or not (info.public or admin or info.jid in mine):
            rooms.pop(info.jid, None)
        else:
            rooms[info.jid] = info.title
    backwards = cursor.before is not None
    jids = sorted(rooms)
    # Past the far end of a full storage read lie rooms that were not read: stop there.
    for page in (stored, owned):
        if page.full and page.rooms:
            edge = page.rooms[0].jid if backwards else page.rooms[-1].jid
            jids = [j for j in jids if (j >= edge if backwards else j <= edge)]
    jids = jids[-limit:] if backwards else jids[:limit]
    return [(jid, rooms[jid] or jid.split("@", 1)[0], None) for jid in (jids if limit else ())]


def temporary_listed(live: Iterable, admin: bool, below: str | None = None) -> int:
    """Listed rooms that storage does not hold (temporary ones), before `below` if given."""
    return sum(1 for info in live
               if not info.persistent and not info.locked and (info.public or admin)
               and (below is None or info.jid < below))
