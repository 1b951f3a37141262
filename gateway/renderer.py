"""The fast path from effects to bytes: one template per Deliver (gateway/render.py),
one concatenation per recipient, and [component] max_stanza_size enforced on every
stanza (gateway/stanza_size.py): a room's admin list is paged to fit (XEP-0059, as the
service's room list), anything else over the limit is dropped."""
from __future__ import annotations

import logging
from dataclasses import replace

from actors.core.effects import AdminListResult, Deliver, ErrorOut, IqResult, ResultSetPage
from actors.core.errors import XmppError

from .paging import UnknownItem, page_of
from .render import admin_item, template
from .stanza_size import envelope_bytes, stanza_bytes
from .xml import ATTR_SPECIAL, escape_attr as _a, escape_text

log = logging.getLogger("raymuc.gateway")


class Renderer:
    """The fast path: one template per Deliver, one concatenation per recipient.
    `renders` counts templates built (for metrics, and to prove the reuse in tests).
    No stanza larger than `limit` bytes is ever returned (gateway/stanza_size.py)."""
    __slots__ = ("renders", "limit", "dropped")

    def __init__(self, limit: int | None = None):
        self.renders = 0
        self.limit = limit
        self.dropped = 0

    def deliver(self, deliver: Deliver, room: str) -> list[str]:
        stanza = deliver.stanza
        if type(stanza) is IqResult and type(stanza.payload) is AdminListResult:
            deliver = Deliver(deliver.to, self._admin_page(stanza, deliver.to, room))
        tpl = template(deliver.stanza, room)
        self.renders += 1
        prefix, suffix, needs = tpl.prefix, tpl.suffix, ATTR_SPECIAL.search
        if self.limit is not None:
            size = stanza_bytes(prefix, suffix, deliver.to, self.limit)
            if size > self.limit:
                return self._oversized(deliver, room, size)
        return [prefix + (to if needs(to) is None else _a(to)) + suffix for to in deliver.to]

    def _oversized(self, deliver: Deliver, room: str, size: int) -> list[str]:
        """Drop a stanza over the limit, once logged; a result becomes an error to the
        one who asked, an error loses the payload it echoed."""
        stanza = deliver.stanza
        self.dropped += 1
        log.warning("gateway.stanza_too_large kind=%s room=%s bytes=%d limit=%d recipients=%d",
                    type(stanza).__name__, room, size, self.limit, len(deliver.to))
        if isinstance(stanza, IqResult):
            text = f"The answer would exceed the service's stanza size limit ({self.limit} bytes)"
            instead = ErrorOut("iq", stanza.id, XmppError.of("resource-constraint", text),
                               stanza.nick)
        elif isinstance(stanza, ErrorOut) and stanza.payload:
            instead = replace(stanza, payload="")
        else:
            return []
        return self.deliver(Deliver(deliver.to, instead), room)

    def stream(self, effects, room: str) -> str:
        """Every stanza of `effects`, in order, as one string: one socket write for a
        whole reply (or batch of replies) costs the XMPP server far less than one per
        recipient."""
        out: list[str] = []
        for eff in effects:
            out.extend(self.deliver(eff, room))
        return "".join(out)

    def _admin_page(self, result: IqResult, to: tuple[str, ...], room: str):
        """The page of an admin list the request asks for, or the whole list when it
        fits; its first page and a <set/> otherwise."""
        listed = result.payload
        items = listed.items
        budget = None
        if self.limit is not None:
            ids = [len(escape_text(_id(item)).encode()) for item in items]
            empty = template(replace(result, payload=AdminListResult((), page=ResultSetPage(
                len(items), "", len(items), ""))), room)
            budget = self.limit - envelope_bytes(empty.prefix, empty.suffix, to) \
                - 2 * max(ids, default=0)
        try:
            page, where = page_of(items, listed.request, max(len(items), 1), budget,
                                  lambda item: len(admin_item(item).encode()), _id)
        except UnknownItem as unknown:
            return ErrorOut("iq", result.id, XmppError.of(
                "item-not-found", f"No {unknown} in the list"), result.nick)
        return replace(result, payload=AdminListResult(page, page=where))


def _id(item) -> str:
    """An admin list item's XEP-0059 id: its JID (affiliation lists, and role lists
    seen by moderators), else its nick."""
    return item.jid or item.nick or ""

