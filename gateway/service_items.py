"""The service's disco#items: the room list, one page at a time (XEP-0059).

Storage is read a page at a time by index (persistence/listing.py), never whole, on the
listing's own bounded executor with a brief shared cache (gateway/listing_reads.py); the
live directory adds temporary rooms and the current state of running ones
(gateway/room_list.py). A page holds at most DEFAULT_PAGE rooms unless <max/> asks for up
to MAX_PAGE, and never more bytes than the stanza size limit leaves for them."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from actors.core.effects import DiscoItemsResult, IqResult, ResultSetPage
from actors.core.commands import PageRequest
from actors.supervisor import find_supervisor
from gateway.listing_reads import ListingReads, Saturated
from gateway.paging import page_of
from gateway.render import disco_item, render
from gateway.room_list import Cursor, StoredPage, extra_reads, page_items, temporary_listed
from gateway.xml import escape_text
from persistence.listing import MAX_OWNED_HIDDEN, RoomListing

log = logging.getLogger("raymuc.service_items")

DEFAULT_PAGE = 100      # ~10 KB of typical items: far below any stanza limit
MAX_PAGE = 1000
_DIRECTORY_TIMEOUT = 5.0


class NotListed(Exception):
    """<after/> or <before/> names a room the list does not show (item-not-found)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    condition: str
    text: str


class ServiceItems:
    def __init__(self, store, namespace: str, limit: int | None,
                 reads: ListingReads | None = None, directory=None):
        self.listing = RoomListing(store)
        self.namespace = namespace
        self.limit = limit
        self.reads = reads or ListingReads()
        # domain -> the live rooms (RoomInfo); the supervisor's directory unless given
        self.directory = directory or self._ask_directory

    async def answer(self, cmd, domain: str, admin: bool) -> DiscoItemsResult | Refusal:
        req = cmd.page
        if req is not None and req.index:
            # pages are read by JID from storage; a position would need every room before it
            return Refusal("feature-not-implemented", "Paging by <index/> is not supported; "
                                                      "use <after/> or <before/>")
        size = DEFAULT_PAGE if req is None or req.max is None else min(req.max, MAX_PAGE)
        cursor = Cursor() if req is None else Cursor(req.after, req.before)
        bare = cmd.sender.split("/", 1)[0]
        live = await self._live(domain)
        try:
            return await self._page(cmd, domain, admin, bare, live, cursor, size)
        except Saturated:
            log.info("service.items_refused domain=%s reason=saturated", domain)
            return Refusal("resource-constraint", "Too many room list requests; try again shortly")
        except NotListed as unknown:
            return Refusal("item-not-found", f"No room {unknown} in the list")
        except Exception as exc:
            log.warning("service.items_failed domain=%s error=%s", domain, type(exc).__name__)
            return Refusal("service-unavailable", "Room storage is unavailable")

    async def _page(self, cmd, domain, admin, bare, live, cursor: Cursor, size: int):
        listing, reads = self.listing, self.reads
        owned = StoredPage((), False)
        if not admin:
            rooms = await reads.read(domain, ("owned", bare),
                                     lambda: listing.owned_hidden(domain, bare))
            owned = StoredPage(rooms, len(rooms) >= MAX_OWNED_HIDDEN)
        anchor = cursor.after or cursor.before
        if anchor and not await self._listed(domain, anchor, admin, owned, live):
            raise NotListed(anchor)
        fetch = size + extra_reads(live, cursor) + 1     # one more: do rooms follow?
        rooms = await reads.read(domain, ("page", admin, cursor, fetch),
                                 lambda: listing.page(domain, admin, fetch, cursor.after,
                                                      cursor.before))
        stored_count = await reads.read(domain, ("count", admin),
                                        lambda: listing.count(domain, admin))
        unlisted = await self._unlisted(domain, admin, owned, live)
        count = stored_count + len(owned.rooms) + temporary_listed(live, admin) - len(unlisted)
        candidates = page_items(StoredPage(rooms, len(rooms) >= fetch), owned, live, cursor,
                                admin, size + 1)
        more = len(candidates) > size
        backwards = cursor.before is not None
        candidates = candidates[-size:] if backwards else candidates[:size]
        items, _ = page_of(candidates, PageRequest(max=size, before="" if backwards else None),
                           max(size, 1), self._budget(cmd, domain, candidates, count),
                           lambda item: len(disco_item(item).encode()))
        if cmd.page is None and not more and len(items) == len(candidates):
            return DiscoItemsResult(items)                      # the whole list fits
        if not items:
            return DiscoItemsResult((), page=ResultSetPage(count))
        if cursor.before == "":
            index = count - len(items)
        elif cursor.after is None and cursor.before is None:
            index = 0
        else:
            index = await self._position(domain, admin, items[0][0], owned, live) - \
                sum(1 for jid in unlisted if jid < items[0][0])
        return DiscoItemsResult(items, page=ResultSetPage(count, items[0][0], index,
                                                          items[-1][0]))

    async def _listed(self, domain, jid, admin, owned: StoredPage, live) -> bool:
        """Whether the list shows `jid` to this requester (an <after/> or <before/> id)."""
        if any(room.jid == jid for room in owned.rooms):
            return True
        for info in live:
            if info.jid == jid:
                return not info.locked and (info.public or admin)
        stored = await self.reads.read(domain, ("stored", (jid,)),
                                       lambda: self.listing.stored(domain, [jid]))
        return jid in stored and (admin or stored[jid].public)

    async def _unlisted(self, domain, admin, owned: StoredPage, live) -> set[str]:
        """Stored rooms the stored count includes that the list leaves out: running
        persistent rooms now locked or hidden (a point lookup of those few)."""
        mine = {room.jid for room in owned.rooms}
        jids = tuple(sorted(info.jid for info in live if info.persistent and (
            info.locked or not (info.public or admin or info.jid in mine))))
        if not jids:
            return set()
        stored = await self.reads.read(domain, ("stored", jids),
                                       lambda: self.listing.stored(domain, list(jids)))
        return {jid for jid, room in stored.items() if admin or room.public or jid in mine}

    async def _position(self, domain, admin, jid, owned: StoredPage, live) -> int:
        below = await self.reads.read(domain, ("below", admin, jid),
                                      lambda: self.listing.count(domain, admin, below=jid))
        return below + sum(1 for room in owned.rooms if room.jid < jid) + \
            temporary_listed(live, admin, below=jid)

    def _budget(self, cmd, domain: str, items, count: int) -> int | None:
        """Bytes a page's items may take: the limit less the answer around them (its
        <set/> names the first and last item, at most the longest JID each)."""
        if self.limit is None:
            return None
        empty = IqResult(cmd.id, None, DiscoItemsResult((), page=ResultSetPage(
            count, "", count, "")))
        longest = max((len(escape_text(jid).encode()) for jid, _, _ in items), default=0)
        return self.limit - len(render(empty, cmd.sender, domain).encode()) - 2 * longest

    async def _live(self, domain: str) -> tuple:
        """The supervisor's live rooms of `domain`, one call shared by concurrent
        requests; () when it can't be asked (stored rooms are still listed)."""
        try:
            return await self.reads.shared(domain, "live", lambda: self.directory(domain))
        except Exception as exc:
            log.warning("service.directory_unavailable domain=%s error=%s", domain,
                        type(exc).__name__)
            return ()

    async def _ask_directory(self, domain: str) -> tuple:
        handle = await asyncio.to_thread(find_supervisor, self.namespace)
        if handle is None:
            return ()
        return tuple(await asyncio.wait_for(_awaited(handle.list_rooms.remote(domain)),
                                            _DIRECTORY_TIMEOUT))


async def _awaited(ref):
    return await ref
