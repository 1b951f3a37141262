"""Stanzas to the MUC service itself (no room): disco, ping, and the `access` gate."""
from __future__ import annotations

import asyncio
import logging

from actors.core.effects import Deliver, DiscoInfoResult, DiscoItemsResult, IqResult
from actors.core.replies import refuse
from actors.records import to_snapshot
from gateway import parse as p

log = logging.getLogger("raymuc.service_level")

SERVICE_FEATURES = (
    "http://jabber.org/protocol/muc",
    "http://jabber.org/protocol/disco#info",
    "http://jabber.org/protocol/disco#items",
    "urn:xmpp:ping",
    "urn:xmpp:occupant-id:0",
    "urn:xmpp:sid:0",
    "http://jabber.org/protocol/muc#self-ping-optimization",
)
_MAX_LISTED = 1000


class ServiceResponder:
    def __init__(self, store, router, access, settings, renderer):
        self.renderer = renderer
        self.store = store
        self.router = router
        self.rules, self.access_rule, self.admin_rule = access or (None, "all", "none")
        self.settings = settings

    def may_use(self, cmd) -> bool:
        sender = getattr(cmd, "sender", None)
        return self.rules is None or sender is None or self.rules.allows(self.access_rule, sender)

    def forbidden(self, cmd) -> tuple:
        return refuse(cmd, "forbidden", "You are not allowed to use this service")

    def handle(self, comp, cmd) -> None:
        domain = comp.boundjid.bare
        if not self.may_use(cmd):
            self._send(comp, domain, self.forbidden(cmd))
            return
        if isinstance(cmd, p.ServiceDiscoInfo):
            if cmd.node:
                self._send(comp, domain, refuse(cmd, "item-not-found", "No such node"))
                return
            result = DiscoInfoResult((("conference", "text", "Chatrooms"),), SERVICE_FEATURES)
            self._reply(comp, domain, cmd, result)
        elif isinstance(cmd, p.ServiceDiscoItems):
            asyncio.get_running_loop().create_task(self._items(comp, domain, cmd))
        elif isinstance(cmd, p.ServicePing):
            self._reply(comp, domain, cmd, None)
        elif isinstance(cmd, p.ServiceMessage):
            pass   # admin announcements: delivered by the announcement feature
        elif hasattr(cmd, "id") and hasattr(cmd, "sender"):
            self._send(comp, domain, refuse(cmd, "service-unavailable", "Not supported by the service"))

    async def _items(self, comp, domain: str, cmd) -> None:
        if cmd.node:
            self._send(comp, domain, refuse(cmd, "item-not-found", "No such node"))
            return
        try:
            items = await asyncio.to_thread(self._listed_rooms, domain, cmd.sender)
        except Exception:
            log.exception("service.items_failed domain=%s", domain)
            self._send(comp, domain, refuse(cmd, "service-unavailable", "Room storage is unavailable"))
            return
        self._reply(comp, domain, cmd, DiscoItemsResult(tuple(items)))

    def _listed_rooms(self, domain: str, sender: str) -> list:
        """§6.3: the public rooms; a hidden room only to service administrators and to
        its own owners (who may want to find it again). Rooms are read from storage:
        the persistent ones, which are all unlocked (a room is stored once configured)."""
        bare = sender.split("/", 1)[0]
        admin = self.rules is not None and self.rules.allows(self.admin_rule, bare)
        rooms = []
        for jid in self.store.list_jids(domain):
            rec = self.store.load(jid)
            if rec is None:
                continue
            snap = to_snapshot(rec)
            if admin or snap.config.get("public", True) or snap.affiliations.get(bare) == "owner":
                rooms.append((jid, snap.config.get("title") or jid.split("@")[0], None))
            if len(rooms) >= _MAX_LISTED:
                break
        return rooms

    def _reply(self, comp, domain: str, cmd, payload) -> None:
        self._send(comp, domain, (Deliver((cmd.sender,), IqResult(cmd.id, None, payload)),))

    def _send(self, comp, domain: str, effects) -> None:
        for eff in effects:
            for raw in self.renderer.deliver(eff, domain):
                comp.send_raw(raw)

