"""XEP-0059 Result Set Management over an ordered list of disco items. Pure.

Used for the service's room list (XEP-0045 §6.3: a long list MAY be returned in
parts, with a <set/> saying so)."""
from __future__ import annotations

from typing import Sequence

from actors.core.effects import ResultSetPage

from .parse import PageRequest

Item = tuple[str, str, str | None]        # (jid, name, node); the jid is the item id


class UnknownItem(LookupError):
    """<after/> or <before/> names an item that is not in the list (item-not-found)."""


def page_of(items: Sequence[Item], req: PageRequest | None, limit: int) \
        -> tuple[tuple[Item, ...], ResultSetPage | None]:
    """The page of `items` that `req` asks for, never more than `limit` items. Without
    a request the whole list is returned, or its first `limit` items and a <set/>."""
    if req is None:
        if len(items) <= limit:
            return tuple(items), None
        req = PageRequest(max=limit)
    size = limit if req.max is None else min(req.max, limit)
    ids = [jid for jid, _, _ in items]
    if req.before is not None:
        end = len(items) if req.before == "" else _position(ids, req.before)
        start = max(0, end - size)
    else:
        if req.after is not None:
            start = _position(ids, req.after) + 1
        else:
            start = min(req.index or 0, len(items))
        end = min(len(items), start + size)
    chosen = tuple(items[start:end])
    if not chosen:
        return chosen, ResultSetPage(len(items))
    return chosen, ResultSetPage(len(items), chosen[0][0], start, chosen[-1][0])


def _position(ids: list[str], item_id: str) -> int:
    try:
        return ids.index(item_id)
    except ValueError:
        raise UnknownItem(item_id) from None
