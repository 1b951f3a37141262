"""Stanzas to the MUC service itself (no room): disco, ping, and the `access` gate."""
from __future__ import annotations

import asyncio
import logging

from actors.core.effects import Deliver, DiscoInfoResult, ErrorOut, IqResult
from actors.core.errors import XmppError
from actors.core.replies import refuse
from gateway import parse as p
from gateway.service_items import Refusal, ServiceItems

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


class ServiceResponder:
    def __init__(self, store, router, access, settings, renderer):
        self.renderer = renderer
        self.store = store
        self.router = router
        self.rules, self.access_rule, self.admin_rule = access or (None, "all", "none")
        self.settings = settings
        self._tasks: set = set()
        self.items = ServiceItems(store, router.placement.namespace, renderer.limit)

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
            task = asyncio.get_running_loop().create_task(self._items(comp, domain, cmd))
            self._tasks.add(task)           # asyncio keeps tasks weakly
            task.add_done_callback(self._tasks.discard)
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
        answer = await self.items.answer(cmd, domain, self.is_admin(cmd.sender.split("/", 1)[0],
                                                                    domain))
        if isinstance(answer, Refusal):
            self.send(comp, domain, service_refuse(cmd, answer.condition, answer.text))
        else:
            self._reply(comp, domain, cmd, answer)

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

