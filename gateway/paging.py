"""XEP-0059 Result Set Management over an ordered list of disco items. Pure.

Used for the service's room list (XEP-0045 §6.3: a long list MAY be returned in
parts, with a <set/> saying so)."""
from __future__ import annotations

from typing import Callable, Iterable, Sequence

from actors.core.effects import ResultSetPage

from .parse import PageRequest

Item = tuple[str, str, str | None]        # (jid, name, node); the jid is the item id


class UnknownItem(LookupError):
    """<after/> or <before/> names an item that is not in the list (item-not-found)."""


def page_of(items: Sequence[Item], req: PageRequest | None, limit: int,
            budget: int | None = None, size: Callable[[Item], int] = lambda _: 0,
            key: Callable[[Item], str] = lambda item: item[0]) \
        -> tuple[tuple[Item, ...], ResultSetPage | None]:
    """The page of `items` (named by `key`) that `req` asks for: never more than `limit`
    items, nor items whose `size` adds up to more than `budget` (but at least one, so
    paging always moves on). Without a request the whole list is returned when it fits,
    or its first page and a <set/>."""
    sizes = [size(item) for item in items] if budget is not None else None
    if req is None:
        if len(items) <= limit and (sizes is None or sum(sizes) <= budget):
            return tuple(items), None
        req = PageRequest(max=limit)
    count = limit if req.max is None else min(req.max, limit)
    ids = [key(item) for item in items]
    if req.before is not None:
        end = len(items) if req.before == "" else _position(ids, req.before)
        start = end - _fitting(reversed(sizes[:end]) if sizes else (), end, count, budget)
    else:
        if req.after is not None:
            start = _position(ids, req.after) + 1
        else:
            start = min(req.index or 0, len(items))
        end = start + _fitting(sizes[start:] if sizes else (), len(items) - start, count, budget)
    chosen = tuple(items[start:end])
    if not chosen:
        return chosen, ResultSetPage(len(items))
    return chosen, ResultSetPage(len(items), key(chosen[0]), start, key(chosen[-1]))


def _fitting(sizes: Iterable[int], available: int, count: int, budget: int | None) -> int:
    """How many of the next `available` items fit in `count` and in `budget`."""
    count = min(count, available)
    if budget is None:
        return count
    taken = total = 0
    for item_size in sizes:
        if taken == count or (taken and total + item_size > budget):
            break
        taken, total = taken + 1, total + item_size
    return taken


def _position(ids: list[str], item_id: str) -> int:
    try:
        return ids.index(item_id)
    except ValueError:
        raise UnknownItem(item_id) from None
