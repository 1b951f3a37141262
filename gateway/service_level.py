"""Stanzas to the MUC service itself (no room): disco, ping, and the `access` gate."""
from __future__ import annotations

import asyncio
import logging

from actors.core.effects import (
    Deliver, DiscoInfoResult, DiscoItemsResult, ErrorOut, IqResult, ResultSetPage,
)
from actors.core.errors import XmppError
from actors.core.replies import refuse
from actors.records import to_snapshot
from actors.supervisor import find_supervisor
from gateway import parse as p
from gateway.paging import UnknownItem, page_of
from gateway.render import disco_item, render
from gateway.xml import escape_text
from gateway.room_list import Stored, room_list

log = logging.getLogger("raymuc.service_level")

SERVICE_FEATURES = (
    "http://jabber.org/protocol/muc",
    "http://jabber.org/protocol/disco#info",
    "http://jabber.org/protocol/disco#items",
    "urn:xmpp:ping",
    "urn:xmpp:occupant-id:0",
    "urn:xmpp:sid:0",
    "http://jabber.org/protocol/muc#self-ping-optimization",
    "http://jabber.org/protocol/rsm",
)
_MAX_LISTED = 1000
_DIRECTORY_TIMEOUT = 5.0


class ServiceResponder:
    def __init__(self, store, router, access, settings, renderer):
        self.renderer = renderer
        self.store = store
        self.router = router
        self.rules, self.access_rule, self.admin_rule = access or (None, "all", "none")
        self.settings = settings

    def may_use(self, cmd, domain: str | None = None) -> bool:
        """mod_muc `access`, checked for the served host behind the MUC `domain`."""
        sender = getattr(cmd, "sender", None)
        return self.rules is None or sender is None or \
            self.rules.allows(self.access_rule, sender, self._server_host(domain))

    def forbidden(self, cmd) -> tuple:
        # MongooseIM's answer (mod_muc:process_packet)
        return service_refuse(cmd, "forbidden", "Access denied by service policy")

    def is_admin(self, sender: str, domain: str) -> bool:
        return self.rules is not None and \
            self.rules.allows(self.admin_rule, sender, self._server_host(domain))

    def _server_host(self, domain: str | None) -> str | None:
        service = self.settings.services.get(domain) if domain and self.settings else None
        return service.policy.server_host if service is not None else None

    def handle(self, comp, cmd) -> None:
        domain = comp.boundjid.bare
        if not self.may_use(cmd, domain):
            self.send(comp, domain, self.forbidden(cmd))
            return
        if isinstance(cmd, p.ServiceDiscoInfo):
            if cmd.node:
                self.send(comp, domain, service_refuse(cmd, "item-not-found", "No such node"))
                return
            result = DiscoInfoResult((("conference", "text", "Chatrooms"),), SERVICE_FEATURES)
            self._reply(comp, domain, cmd, result)
        elif isinstance(cmd, p.ServiceDiscoItems):
            asyncio.get_running_loop().create_task(self._items(comp, domain, cmd))
        elif isinstance(cmd, p.ServicePing):
            self._reply(comp, domain, cmd, None)
        elif isinstance(cmd, p.ServiceMessage):
            self._announce(comp, domain, cmd)
        elif hasattr(cmd, "id") and hasattr(cmd, "sender"):
            self.send(comp, domain, service_refuse(cmd, "service-unavailable",
                                                   "Not supported by the service"))

    def _announce(self, comp, domain: str, cmd) -> None:
        """access_admin: broadcast to every online room (gateway/announce.py)."""
        if not self.is_admin(cmd.sender, domain):
            self.send(comp, domain, service_refuse(
                cmd, "forbidden", "Only service administrators are allowed to send service messages"))
            return
        from gateway.announce import broadcast
        task = asyncio.get_running_loop().create_task(
            broadcast(self.router, self.router.placement, domain, cmd.sender, cmd.body, cmd.id))
        task.add_done_callback(_log_failure)

    async def _items(self, comp, domain: str, cmd) -> None:
        if cmd.node:
            self.send(comp, domain, service_refuse(cmd, "item-not-found", "No such node"))
            return
        bare = cmd.sender.split("/", 1)[0]
        live = await self._live_rooms(domain)
        try:
            stored = await asyncio.to_thread(self._stored_rooms, domain)
        except Exception:
            log.exception("service.items_failed domain=%s", domain)
            self.send(comp, domain, service_refuse(cmd, "service-unavailable",
                                                   "Room storage is unavailable"))
            return
        items = room_list(live, stored, bare, self.is_admin(bare, domain))
        try:
            page, where = page_of(items, cmd.page, _MAX_LISTED,
                                  self._page_budget(cmd, domain, items),
                                  lambda item: len(disco_item(item).encode()))
        except UnknownItem as unknown:
            self.send(comp, domain, service_refuse(cmd, "item-not-found",
                                                   f"No room {unknown} in the list"))
            return
        self._reply(comp, domain, cmd, DiscoItemsResult(page, page=where))

    def _page_budget(self, cmd, domain: str, items) -> int | None:
        """Bytes a page's items may take: the limit less the answer around them (its
        <set/> names the first and last item, at most the longest JID each)."""
        if self.renderer.limit is None:
            return None
        empty = IqResult(cmd.id, None, DiscoItemsResult((), page=ResultSetPage(
            len(items), "", len(items), "")))
        longest = max((len(escape_text(jid).encode()) for jid, _, _ in items), default=0)
        return self.renderer.limit - len(render(empty, cmd.sender, domain).encode()) - 2 * longest

    async def _live_rooms(self, domain: str) -> tuple:
        """The supervisor's live room directory for `domain`; () when it can't be
        asked (no supervisor running, or a timeout): the stored rooms are still listed."""
        try:
            handle = await asyncio.to_thread(find_supervisor, self.router.placement.namespace)
            if handle is None:
                return ()
            return tuple(await asyncio.wait_for(_awaited(handle.list_rooms.remote(domain)),
                                                _DIRECTORY_TIMEOUT))
        except Exception as exc:
            log.warning("service.directory_unavailable domain=%s error=%s", domain,
                        type(exc).__name__)
            return ()

    def _stored_rooms(self, domain: str) -> list[Stored]:
        rooms = []
        for jid in self.store.list_jids(domain):
            rec = self.store.load(jid)
            if rec is not None:
                snap = to_snapshot(rec)
                rooms.append(Stored(jid, snap.config, snap.affiliations))
        return rooms

    def _reply(self, comp, domain: str, cmd, payload) -> None:
        self.send(comp, domain, (Deliver((cmd.sender,), IqResult(cmd.id, None, payload)),))

    def send(self, comp, domain: str, effects) -> None:
        data = self.renderer.stream(effects, domain)
        if data:
            comp.send_out(data)


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("service.announcement_failed error=%r", task.exception())


_SERVICE_IQS = (p.ServiceDiscoInfo, p.ServiceDiscoItems, p.ServicePing, p.ServiceIq)


def service_refuse(cmd, condition: str, text: str = "") -> tuple:
    """refuse() for room and service-level commands alike: the parser's service IQs
    are not core Iq commands, yet must be answered with an IQ error."""
    if isinstance(cmd, _SERVICE_IQS):
        error = XmppError.of(condition, text)
        return (Deliver((cmd.sender,), ErrorOut("iq", cmd.id, error, None)),)
    return refuse(cmd, condition, text)


async def _awaited(ref):
    return await ref
