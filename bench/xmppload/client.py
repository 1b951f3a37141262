"""A lean raw-socket XMPP client for load generation (asyncio Protocol, no DOM).

What it does: the c2s stream over plain TCP, optional in-band registration (XEP-0077),
SASL PLAIN, resource binding, session (when not optional), MUC join/leave, owner form
submit, groupchat send, ping. Incoming stanzas are split by `StanzaScanner`; a groupchat
carrying a benchmark marker goes straight to `on_marker(seq, send_ns, recv_ns)`, all
receipts of one read sharing one clock reading. Only presences and IQs somebody waits
for have their attributes parsed.

slixmpp spends ~100 µs of CPU per stanza; this spends a few µs, so one process can
keep several thousand deliveries a second without becoming the bottleneck.
"""
from __future__ import annotations

import asyncio
import base64
import itertools
import time
from typing import Callable
from xml.sax.saxutils import escape, quoteattr

from bench.xmppload.marker import read_marker
from bench.xmppload.scanner import STREAM_CLOSE, STREAM_OPEN, ScanError, Stanza, StanzaScanner

NS_MUC = "http://jabber.org/protocol/muc"
NS_OWNER = "http://jabber.org/protocol/muc#owner"
NS_ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig"
MarkerSink = Callable[[int, int, int], None]
_ids = itertools.count(1)


class XmppError(RuntimeError):
    """The server refused a step (auth, bind, register) or the connection broke."""


class LeanClient(asyncio.Protocol):
    def __init__(self, user: str, password: str, domain: str, resource: str = "bench") -> None:
        self.user, self.password, self.domain, self.resource = user, password, domain, resource
        self.jid = f"{user}@{domain}/{resource}"
        self.on_marker: MarkerSink | None = None
        self.transport: asyncio.Transport | None = None
        self._scanner = StanzaScanner()
        self._waiters: dict[tuple, asyncio.Future] = {}
        self._closed: asyncio.Future | None = None
        self.counts = {"message": 0, "presence": 0, "iq": 0, "message_error": 0, "other": 0}

    # --- asyncio.Protocol ----------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            stanzas = self._scanner.feed(data)
        except ScanError as exc:
            self._fail(XmppError(f"{self.jid}: bad XML from server: {exc}"))
            return
        now = time.monotonic_ns()
        sink = self.on_marker
        for st in stanzas:
            name = st.name
            if name == b"message":
                self.counts["message"] += 1
                if sink is not None:
                    marker = read_marker(st.raw, st.head_end)
                    if marker is not None:
                        sink(marker[0], marker[1], now)
                        continue
                if b"type='error'" in st.head or b'type="error"' in st.head:
                    self.counts["message_error"] += 1
            elif name == b"presence":
                self.counts["presence"] += 1
                if self._waiters:
                    self._resolve(("p", st.attr("from")), st)
            elif name == b"iq":
                self.counts["iq"] += 1
                self._on_iq(st)
            else:
                self.counts["other"] += 1
                self._on_stream_level(st)

    def connection_lost(self, exc) -> None:
        self._fail(XmppError(f"{self.jid}: connection lost ({exc or 'closed by server'})"))
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)

    # --- plumbing ------------------------------------------------------------------------
    def send(self, data: str | bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            raise XmppError(f"{self.jid}: not connected")
        self.transport.write(data.encode() if isinstance(data, str) else data)

    def _expect(self, key: tuple) -> asyncio.Future:
        fut = asyncio.get_running_loop().create_future()
        self._waiters[key] = fut
        return fut

    async def _wait(self, key: tuple, fut: asyncio.Future, timeout: float) -> Stanza:
        try:
            return await asyncio.wait_for(fut, timeout)
        except asyncio.TimeoutError:
            raise XmppError(f"{self.jid}: no answer for {key} within {timeout}s") from None
        finally:
            if self._waiters.get(key) is fut:
                del self._waiters[key]

    def _resolve(self, key: tuple, st: Stanza) -> bool:
        fut = self._waiters.pop(key, None)
        if fut is None or fut.done():
            return False
        fut.set_result(st)
        return True

    def _fail(self, exc: Exception) -> None:
        waiters, self._waiters = self._waiters, {}
        for fut in waiters.values():
            if not fut.done():
                fut.set_exception(exc)

    def _on_iq(self, st: Stanza) -> None:
        attrs = st.attrs()
        kind = attrs.get("type")
        if kind in ("result", "error"):
            self._resolve(("iq", attrs.get("id")), st)
        elif kind in ("get", "set"):     # pings and anything else addressed to us
            to = quoteattr(attrs.get("from", self.domain))
            iq_id = quoteattr(attrs.get("id", ""))
            if b"urn:xmpp:ping" in st.raw:
                self.send(f"<iq type='result' to={to} id={iq_id}/>")
            else:
                self.send(f"<iq type='error' to={to} id={iq_id}><error type='cancel'>"
                          "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                          "</error></iq>")

    def _on_stream_level(self, st: Stanza) -> None:
        name = st.name
        if name == b"stream:features":
            self._resolve(("features",), st)
        elif name in (b"success", b"failure"):
            self._resolve(("sasl",), st)
        elif name == b"stream:error" or name == STREAM_CLOSE:
            self._fail(XmppError(f"{self.jid}: stream closed by server: {st.raw[:300]!r}"))
            if self.transport is not None:
                self.transport.close()
        elif name == STREAM_OPEN:
            pass

    # --- session -------------------------------------------------------------------------
    async def connect(self, host: str, port: int, *, register: bool = False, timeout: float = 30.0) -> None:
        """TCP connect, [register], PLAIN auth, bind, session. Raises XmppError on refusal."""
        loop = asyncio.get_running_loop()
        self._closed = loop.create_future()
        await asyncio.wait_for(loop.create_connection(lambda: self, host, port), timeout)
        features = await self._open_stream(timeout)
        if register:
            await self.register(timeout)
        if b"PLAIN" not in features.raw:
            raise XmppError(f"{self.jid}: server offers no SASL PLAIN: {features.raw[:300]!r}")
        token = base64.b64encode(f"\0{self.user}\0{self.password}".encode()).decode()
        fut = self._expect(("sasl",))
        self.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{token}</auth>")
        answer = await self._wait(("sasl",), fut, timeout)
        if answer.name != b"success":
            raise XmppError(f"{self.jid}: authentication failed: {answer.raw[:300]!r}")
        self._scanner.reset()
        features = await self._open_stream(timeout)
        bound = await self.iq("set", None, "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                              f"<resource>{escape(self.resource)}</resource></bind>", timeout)
        jid = bound.child_text(b"jid")
        if bound.attr("type") != "result" or not jid:
            raise XmppError(f"{self.jid}: bind failed: {bound.raw[:300]!r}")
        self.jid = jid
        if b"xmpp-session" in features.raw and b"<optional" not in features.raw:
            await self.iq("set", None, "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>", timeout)

    async def _open_stream(self, timeout: float) -> Stanza:
        fut = self._expect(("features",))
        self.send(f"<?xml version='1.0'?><stream:stream to={quoteattr(self.domain)} version='1.0' "
                  "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")
        return await self._wait(("features",), fut, timeout)

    async def register(self, timeout: float = 30.0) -> None:
        """In-band registration; an existing account (conflict) is fine."""
        answer = await self.iq("set", None, "<query xmlns='jabber:iq:register'>"
                               f"<username>{escape(self.user)}</username>"
                               f"<password>{escape(self.password)}</password></query>", timeout)
        if answer.attr("type") != "result" and b"<conflict" not in answer.raw:
            raise XmppError(f"{self.jid}: registration failed: {answer.raw[:300]!r}")

    async def iq(self, kind: str, to: str | None, payload: str, timeout: float = 30.0) -> Stanza:
        iq_id = f"q{next(_ids)}"
        key = ("iq", iq_id)
        fut = self._expect(key)
        to_attr = f" to={quoteattr(to)}" if to else ""
        self.send(f"<iq type='{kind}' id='{iq_id}'{to_attr}>{payload}</iq>")
        return await self._wait(key, fut, timeout)

    async def ping(self, to: str | None = None, timeout: float = 30.0) -> float:
        """Round trip of an XEP-0199 ping, in seconds."""
        began = time.perf_counter()
        await self.iq("get", to or self.domain, "<ping xmlns='urn:xmpp:ping'/>", timeout)
        return time.perf_counter() - began

    async def close(self, timeout: float = 5.0) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        try:
            self.transport.write(b"</stream:stream>")
        except Exception:
            pass
        self.transport.close()
        if self._closed is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._closed), timeout)
            except asyncio.TimeoutError:
                self.transport.abort()

    # --- MUC -----------------------------------------------------------------------------
    async def join(self, room: str, nick: str, *, history: int = 0, timeout: float = 60.0) -> Stanza:
        """Enter a room; returns the self-presence (or the error presence: check `type`)."""
        full = f"{room}/{nick}"
        key = ("p", full)
        fut = self._expect(key)
        self.send(f"<presence to={quoteattr(full)}><x xmlns='{NS_MUC}'>"
                  f"<history maxstanzas='{history}'/></x></presence>")
        return await self._wait(key, fut, timeout)

    async def leave(self, room: str, nick: str, timeout: float = 30.0) -> Stanza:
        full = f"{room}/{nick}"
        key = ("p", full)
        fut = self._expect(key)
        self.send(f"<presence to={quoteattr(full)} type='unavailable'/>")
        return await self._wait(key, fut, timeout)

    async def configure(self, room: str, fields: dict[str, str] | None = None, timeout: float = 60.0) -> Stanza:
        """Submit the owner form: {} accepts the defaults (instant room, XEP-0045 §10.1.2)."""
        body = ""
        if fields:
            body = f"<field var='FORM_TYPE'><value>{NS_ROOMCONFIG}</value></field>" + "".join(
                f"<field var={quoteattr(var)}><value>{escape(value)}</value></field>"
                for var, value in fields.items())
        answer = await self.iq("set", room, f"<query xmlns='{NS_OWNER}'>"
                               f"<x xmlns='jabber:x:data' type='submit'>{body}</x></query>", timeout)
        if answer.attr("type") != "result":
            raise XmppError(f"{self.jid}: room config of {room} refused: {answer.raw[:300]!r}")
        return answer

    def groupchat(self, room: str, body: str, msg_id: str) -> None:
        self.send(f"<message to='{room}' type='groupchat' id='{msg_id}'><body>{body}</body></message>")


def is_error(st: Stanza) -> bool:
    return b"type='error'" in st.head or b'type="error"' in st.head


def status_codes(st: Stanza) -> set[int]:
    """MUC status codes in a presence (e.g. 110 self, 201 new room)."""
    codes, pos = set(), 0
    while True:
        pos = st.raw.find(b"<status code=", pos)
        if pos < 0:
            return codes
        quote = st.raw[pos + 13: pos + 14]
        end = st.raw.find(quote, pos + 14)
        try:
            codes.add(int(st.raw[pos + 14: end]))
        except ValueError:
            pass
        pos = end
