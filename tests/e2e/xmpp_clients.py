"""Real slixmpp clients and components for end-to-end tests, with an inbox of received stanzas.

Every connection records each incoming <message/>, <presence/> and <iq/> (before slixmpp's own
handlers see it) so a test can `await x.wait_for_stanza(predicate)`: the oldest recorded stanza
matching the predicate is returned and removed; non-matching stanzas stay for later waits.

Connections talk plain TCP to the loopback Prosody from raymuc.prosody (no TLS there):
clients authenticate with SASL PLAIN, which slixmpp only allows unencrypted when told to.
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from slixmpp import ClientXMPP, ComponentXMPP
from slixmpp.stanza import Iq, Message, Presence
from slixmpp.xmlstream import StanzaBase

CONNECT_TIMEOUT = 15.0
STANZA_TIMEOUT = 10.0
DISCONNECT_TIMEOUT = 5.0

StanzaPredicate = Callable[[StanzaBase], bool]


class XmppConnectError(RuntimeError):
    """A test client or component could not connect or authenticate."""


class StanzaInbox:
    """Received stanzas, in arrival order, awaited by predicate."""

    def __init__(self) -> None:
        self._stanzas: list[StanzaBase] = []
        self._arrived = asyncio.Event()

    def record(self, stanza: StanzaBase) -> StanzaBase:
        """slixmpp 'in' filter: remember routable stanzas, pass everything through unchanged."""
        if isinstance(stanza, (Message, Presence, Iq)):
            self._stanzas.append(stanza)
            self._arrived.set()
        return stanza

    async def wait_for(self, predicate: StanzaPredicate, timeout: float = STANZA_TIMEOUT) -> StanzaBase:
        """Remove and return the oldest stanza matching `predicate`; TimeoutError with what was seen."""
        async def take() -> StanzaBase:
            while True:
                for index, stanza in enumerate(self._stanzas):
                    if predicate(stanza):
                        return self._stanzas.pop(index)
                self._arrived.clear()
                await self._arrived.wait()

        try:
            return await asyncio.wait_for(take(), timeout)
        except TimeoutError:
            seen = "\n".join(str(s) for s in self._stanzas[-10:]) or "(nothing)"
            raise TimeoutError(f"no matching stanza within {timeout}s; last unmatched stanzas:\n{seen}") from None

    def drain(self) -> list[StanzaBase]:
        """Forget and return everything recorded so far (e.g. after joining a room)."""
        stanzas, self._stanzas = self._stanzas, []
        return stanzas


class InboxClient(ClientXMPP):
    """ClientXMPP with an inbox; configured for SASL PLAIN over plain TCP."""

    def __init__(self, jid: str, password: str) -> None:
        super().__init__(jid, password)
        # The harness Prosody offers no TLS: never try direct TLS or STARTTLS, just plain TCP.
        self.enable_direct_tls = False
        self.enable_starttls = False
        self.enable_plaintext = True
        # slixmpp refuses PLAIN on an unencrypted stream unless explicitly allowed.
        self.plugin["feature_mechanisms"].unencrypted_plain = True
        self.inbox = StanzaInbox()
        self.add_filter("in", self.inbox.record)

    async def wait_for_stanza(
        self, predicate: StanzaPredicate = lambda _: True, timeout: float = STANZA_TIMEOUT
    ) -> StanzaBase:
        return await self.inbox.wait_for(predicate, timeout)


class InboxComponent(ComponentXMPP):
    """ComponentXMPP (XEP-0114) with an inbox."""

    def __init__(self, jid: str, secret: str) -> None:
        super().__init__(jid, secret)
        self.enable_direct_tls = False
        self.inbox = StanzaInbox()
        self.add_filter("in", self.inbox.record)

    async def wait_for_stanza(
        self, predicate: StanzaPredicate = lambda _: True, timeout: float = STANZA_TIMEOUT
    ) -> StanzaBase:
        return await self.inbox.wait_for(predicate, timeout)


async def _open(xmpp: InboxClient | InboxComponent, host: str, port: int, timeout: float) -> None:
    """Connect and wait for session_start, failing fast on auth or stream errors."""
    outcome: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def fail(reason: str) -> Callable[[object], None]:
        def handler(event: object) -> None:
            if not outcome.done():
                outcome.set_exception(XmppConnectError(f"{xmpp.boundjid} {reason}: {event}"))
        return handler

    def started(_: object) -> None:
        if not outcome.done():
            outcome.set_result(None)

    xmpp.add_event_handler("session_start", started)
    xmpp.add_event_handler("failed_all_auth", fail("authentication failed"))
    xmpp.add_event_handler("stream_error", fail("got a stream error"))
    xmpp.add_event_handler("connection_failed", fail(f"could not connect to {host}:{port}"))
    xmpp.connect(host, port)
    try:
        await asyncio.wait_for(outcome, timeout)
        # Login chatter (bind results, handshake) is not what tests wait for.
        xmpp.inbox.drain()
    except BaseException as error:
        # slixmpp would otherwise keep retrying the connection in the background.
        xmpp.cancel_connection_attempt()
        xmpp.abort()
        if isinstance(error, TimeoutError):
            raise XmppConnectError(f"{xmpp.boundjid} not connected to {host}:{port} within {timeout}s") from None
        raise


async def _close(xmpp: ClientXMPP | ComponentXMPP) -> None:
    try:
        await asyncio.wait_for(xmpp.disconnect(wait=1.0), DISCONNECT_TIMEOUT)
    except TimeoutError:
        xmpp.abort()


@asynccontextmanager
async def connected_client(
    jid: str, password: str, host: str, port: int, *,
    send_presence: bool = True, timeout: float = CONNECT_TIMEOUT,
) -> AsyncIterator[InboxClient]:
    """A logged-in InboxClient (with initial presence unless told not to), disconnected on exit."""
    client = InboxClient(jid, password)
    await _open(client, host, port, timeout)
    try:
        if send_presence:
            client.send_presence()
        yield client
    finally:
        await _close(client)


@asynccontextmanager
async def connected_component(
    jid: str, secret: str, host: str, port: int, *, timeout: float = CONNECT_TIMEOUT,
) -> AsyncIterator[InboxComponent]:
    """An InboxComponent that completed the XEP-0114 handshake, disconnected on exit."""
    component = InboxComponent(jid, secret)
    await _open(component, host, port, timeout)
    try:
        yield component
    finally:
        await _close(component)
