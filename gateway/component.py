"""The XEP-0114 component: one connection per MUC domain to the XMPP server.

Inbound stanzas go straight from the parsed XML tree to the pure parser (we skip
slixmpp's stanza objects: they cost ~100 µs each and we never need them); outbound
stanzas are rendered strings, one socket write per reply (send_out)."""
from __future__ import annotations

import asyncio
import logging
from typing import Callable
from xml.etree import ElementTree as ET

from slixmpp import ComponentXMPP

log = logging.getLogger("raymuc.component")

# Backpressure: above WRITE_HIGH bytes waiting for the XMPP server, stop reading its
# stanzas (they are what makes output) until the backlog is under WRITE_LOW again; past
# MAX_BACKLOG, drop whole stanzas (as while offline) instead of queueing without bound.
WRITE_HIGH = 1 << 20
WRITE_LOW = 256 << 10
MAX_BACKLOG = 16 << 20

_STANZAS = frozenset(f"{{{ns}}}{name}" for ns in ("jabber:component:accept", "jabber:client")
                     for name in ("presence", "message", "iq"))


class MucComponent(ComponentXMPP):
    """Connects, reconnects with backoff, hands every stanza to `on_stanza`."""

    def __init__(self, domain: str, secret: str, host: str, port: int,
                 on_stanza: Callable[["MucComponent", ET.Element], None],
                 on_online: Callable[["MucComponent"], None] | None = None):
        super().__init__(domain, secret, host, port)
        self.on_stanza = on_stanza
        self.on_online = on_online
        self.stopping = False
        self.online = asyncio.Event()
        self.add_event_handler("session_start", self._online)
        self.add_event_handler("disconnected", self._offline)
        self.add_event_handler("connection_failed", self._failed)
        self._backoff = 0.5
        self.dropped = 0           # stanzas dropped past MAX_BACKLOG
        self._dropping = False     # logged once per backlog episode

    def connection_made(self, transport, send_event: bool = True) -> None:
        super().connection_made(transport, send_event)
        transport.set_write_buffer_limits(WRITE_HIGH, WRITE_LOW)

    def pause_writing(self) -> None:       # asyncio: the backlog passed WRITE_HIGH
        log.warning("gateway.backpressure domain=%s backlog=%d", self.boundjid.bare,
                    self.transport.get_write_buffer_size())
        self.transport.pause_reading()

    def resume_writing(self) -> None:      # asyncio: the backlog is under WRITE_LOW
        log.info("gateway.backpressure_over domain=%s dropped=%d", self.boundjid.bare,
                 self.dropped)
        self._dropping = False
        if self.transport is not None:
            self.transport.resume_reading()

    def _spawn_event(self, xml: ET.Element) -> None:   # slixmpp hook (pinned 1.17)
        if xml.tag in _STANZAS:
            try:
                self.on_stanza(self, xml)
            except Exception:
                log.exception("gateway.stanza_failed domain=%s", self.boundjid.bare)
            return
        super()._spawn_event(xml)

    def send_out(self, data: str) -> None:
        """Write rendered stanzas. While disconnected they are dropped (as a server drops
        stanzas to an unavailable component), never raised into the room's pipe."""
        if self.transport is None:
            log.warning("gateway.dropped_offline domain=%s bytes=%d", self.boundjid.bare, len(data))
            return
        raw = data.encode()
        if self.transport.get_write_buffer_size() + len(raw) > MAX_BACKLOG:
            self.dropped += 1
            if not self._dropping:
                self._dropping = True
                log.warning("gateway.dropped_backlog domain=%s bytes=%d backlog=%d",
                            self.boundjid.bare, len(raw), self.transport.get_write_buffer_size())
            return
        self.transport.write(raw)

    def _online(self, _event) -> None:
        self._backoff = 0.5
        self.online.set()
        log.info("gateway.connected domain=%s", self.boundjid.bare)
        if self.on_online is not None:
            self.on_online(self)

    def _offline(self, reason) -> None:
        self.online.clear()
        if self.stopping:
            return
        delay = self._backoff
        self._backoff = min(self._backoff * 2, 30.0)
        log.warning("gateway.disconnected domain=%s reason=%s retry_in=%.1fs",
                    self.boundjid.bare, reason, delay)
        self.loop.call_later(delay, self._reconnect)

    def _failed(self, reason) -> None:
        log.warning("gateway.connect_failed domain=%s reason=%s", self.boundjid.bare, reason)

    def _reconnect(self) -> None:
        if not self.stopping and self.transport is None:
            self.connect()

    async def stop(self) -> None:
        self.stopping = True
        if self.transport is not None:
            await self.disconnect(wait=1.0)
