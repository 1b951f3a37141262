"""The gateway: components per MUC domain, the pure parser and renderer, the router.

Fault contract: the gateway holds no room state. If it dies, rooms keep running in
Ray; a restarted gateway reconnects (the XMPP server kicks the old connection) and
finds the rooms again by name. Stanzas in flight when it died are lost, as with any
XMPP component restart."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from xml.etree import ElementTree as ET

from actors.core.commands import OwnerSet, ProbeOccupants
from gateway.announce import online_rooms
from gateway.component import MucComponent
from gateway.parse import parse_stanza
from gateway.render import render_error_reply
from gateway.renderer import Renderer
from gateway.router import RoomRouter
from gateway.service_level import ServiceResponder, service_refuse
from gateway.stanza_size import DEFAULT_MAX_STANZA, oversized, refusal_text, shrunk

log = logging.getLogger("raymuc.gateway")


class Gateway:
    def __init__(self, domains, component_host: str, component_port: int, secret: str,
                 placement, settings, store, access=None, max_stanza: int = DEFAULT_MAX_STANZA):
        self.max_stanza = max_stanza
        self.renderer = Renderer(max_stanza)
        self.workers = None      # gateway/workers.py WorkerFeeds when [ray] gateway_workers > 0
        self.components: dict[str, MucComponent] = {}
        self._probing: set = set()      # probe tasks, kept until done (asyncio holds weakly)
        self.router = RoomRouter(placement, settings, store, self.send_effects)
        self.service = ServiceResponder(store, self.router, access, settings, self.renderer)
        for domain in domains:
            self.components[domain] = MucComponent(domain, secret, component_host,
                                                   component_port, self._on_stanza,
                                                   self._on_online)

    async def start(self, timeout: float | None = 30.0) -> None:
        for comp in self.components.values():
            comp.connect()
        if timeout is not None:
            await asyncio.wait_for(asyncio.gather(*(c.online.wait() for c in self.components.values())),
                                   timeout)

    async def stop(self) -> None:
        if self.workers is not None:
            await self.workers.drain()
        try:
            await asyncio.wait_for(self.router.idle(), 5)
        except asyncio.TimeoutError:
            log.warning("gateway.stop_with_pending pipes=%d", len(self.router.pipes))
        await asyncio.gather(*(c.stop() for c in self.components.values()), return_exceptions=True)

    def _on_stanza(self, comp: MucComponent, xml: ET.Element) -> None:
        parsed = parse_stanza(xml)
        if parsed.error is not None:
            comp.send_out(render_error_reply(parsed.error))
            return
        cmd = parsed.command
        if cmd is None:
            return
        if oversized(cmd, self.max_stanza):     # the room never sees it: see stanza_size.py
            cmd = shrunk(cmd, self.max_stanza)
            if cmd is None:
                self._refuse_too_large(comp, parsed)
                return
            parsed = replace(parsed, command=cmd)
        if parsed.service_level:
            self.service.handle(comp, parsed.command)
            return
        if not self.service.may_use(parsed.command, parsed.room.partition("@")[2]):
            self.send_effects(parsed.room, self.service.forbidden(parsed.command))
            return
        if isinstance(cmd, OwnerSet):   # may change or remove a listed room
            self.service.items.reads.touch(parsed.room.partition("@")[2])
        (self.workers or self.router).submit(parsed.room, parsed.command)

    def _on_online(self, comp: MucComponent) -> None:
        """Connected, first or again: stanzas were lost while this domain had no link
        (an XMPP server restart ends every client session; a gateway restart loses what
        was in flight), so every live room asks its occupants who is still there
        (actors/core/probe.py). The first connection of a new service finds no rooms."""
        task = asyncio.ensure_future(self._probe_rooms(comp.boundjid.bare))
        self._probing.add(task)
        task.add_done_callback(self._probing.discard)

    async def _probe_rooms(self, domain: str) -> None:
        try:
            rooms = await online_rooms(self.router.placement, domain)
        except Exception as exc:        # the rooms' own bounces still remove ghosts later
            log.warning("gateway.probe_failed domain=%s error=%r", domain, exc)
            return
        probe = ProbeOccupants()
        for room in rooms:
            (self.workers or self.router).submit(room, probe)
        log.info("gateway.probe_occupants domain=%s rooms=%d", domain, len(rooms))

    def _refuse_too_large(self, comp: MucComponent, parsed) -> None:
        cmd, domain = parsed.command, comp.boundjid.bare
        log.info("gateway.too_large_refused kind=%s to=%s sender=%s", type(cmd).__name__,
                 parsed.room or domain, getattr(cmd, "sender", ""))
        refusal = service_refuse(cmd, "not-acceptable", refusal_text(self.max_stanza))
        if parsed.room is None:
            self.service.send(comp, domain, refusal)
        else:
            self.send_effects(parsed.room, refusal)

    def write(self, batch: list[tuple[str, str]]) -> None:
        """Stanzas a gateway worker rendered: (room JID, data), in order; one socket write
        per run of the same MUC domain."""
        run_domain, run = None, []
        for room_jid, data in batch:
            domain = room_jid.partition("@")[2]
            if domain != run_domain and run:
                self._write(run_domain, run)
                run = []
            run_domain = domain
            run.append(data)
        if run:
            self._write(run_domain, run)

    def _write(self, domain: str, parts: list[str]) -> None:
        comp = self.components.get(domain)
        if comp is not None:
            comp.send_out("".join(parts))

    def send_effects(self, room_jid: str, effects) -> None:
        comp = self.components.get(room_jid.partition("@")[2])
        if comp is None:
            return
        data = self.renderer.stream(effects, room_jid)
        if data:
            comp.send_out(data)
