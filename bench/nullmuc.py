"""A do-nothing MUC component: the ceiling of the XEP-0114 component path.

It does the least a MUC must do to run the benchmark: keep each room's occupants (join
answered with a self-presence, no presence broadcast), reflect a groupchat to every
occupant (rendered once, addressed per recipient, one socket write), answer IQs with an
empty result. Whatever a real component does costs more than this, so what the XMPP
server reaches with it is the most any component can reach on the same machine.

    python -m bench.nullmuc --port 5347 --domain null.localhost --secret s
Prints "nullmuc ready" once the server accepted the handshake; stops on SIGTERM.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import signal
import sys
from xml.sax.saxutils import quoteattr

from bench.xmppload.scanner import STREAM_OPEN, Stanza, StanzaScanner

MUC_USER = "http://jabber.org/protocol/muc#user"


class NullMuc(asyncio.Protocol):
    def __init__(self, domain: str, secret: str, ready: asyncio.Future, done: asyncio.Future) -> None:
        self.domain, self.secret = domain, secret
        self.ready, self.done = ready, done
        self.scanner = StanzaScanner()
        self.rooms: dict[str, dict[str, str]] = {}     # room -> {occupant full JID: nick}
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(f"<stream:stream xmlns='jabber:component:accept' "
                        f"xmlns:stream='http://etherx.jabber.org/streams' to={quoteattr(self.domain)}>"
                        .encode())

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_result(exc)

    def data_received(self, data: bytes) -> None:
        for st in self.scanner.feed(data):
            name = st.name
            if name == b"message":
                self.message(st)
            elif name == b"presence":
                self.presence(st)
            elif name == b"iq":
                self.iq(st)
            elif name == STREAM_OPEN:
                digest = hashlib.sha1((st.attr("id") or "").encode() + self.secret.encode()).hexdigest()
                self.transport.write(f"<handshake>{digest}</handshake>".encode())
            elif name == b"handshake" and not self.ready.done():
                self.ready.set_result(True)
            elif name == b"stream:error" and not self.ready.done():
                self.ready.set_exception(RuntimeError(st.raw.decode(errors="replace")))

    def message(self, st: Stanza) -> None:
        head = st.head
        if b"groupchat" not in head:
            return
        a = st.attrs()
        occupants = self.rooms.get(a.get("to", ""))
        sender = a.get("from", "")
        if not occupants or sender not in occupants:
            return
        room = a["to"]
        inner = st.raw[st.head_end: len(st.raw) - len(b"</message>")]
        prefix = (f"<message type='groupchat' from={quoteattr(room + '/' + occupants[sender])} "
                  f"id={quoteattr(a.get('id', ''))} to='").encode()
        suffix = b"'>" + inner + b"</message>"
        self.transport.write(b"".join(prefix + jid.encode() + suffix for jid in occupants))

    def presence(self, st: Stanza) -> None:
        a = st.attrs()
        room, _, nick = a.get("to", "").partition("/")
        sender = a.get("from", "")
        if not nick or not sender:
            return
        occupants = self.rooms.setdefault(room, {})
        codes = "<status code='110'/>"
        if a.get("type") == "unavailable":
            occupants.pop(sender, None)
            if not occupants:
                del self.rooms[room]
            kind = " type='unavailable'"
        elif a.get("type") is None:
            if len(occupants) == 0:
                codes += "<status code='201'/>"
            occupants[sender] = nick
            kind = ""
        else:
            return
        self.transport.write(
            f"<presence from={quoteattr(room + '/' + nick)} to={quoteattr(sender)}{kind}>"
            f"<x xmlns='{MUC_USER}'><item affiliation='member' role='participant'/>{codes}</x>"
            "</presence>".encode())

    def iq(self, st: Stanza) -> None:
        a = st.attrs()
        if a.get("type") in ("get", "set"):
            self.transport.write(f"<iq type='result' from={quoteattr(a.get('to', self.domain))} "
                                 f"to={quoteattr(a.get('from', ''))} id={quoteattr(a.get('id', ''))}/>"
                                 .encode())


async def serve(host: str, port: int, domain: str, secret: str) -> int:
    loop = asyncio.get_running_loop()
    ready, done = loop.create_future(), loop.create_future()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    transport, _ = await loop.create_connection(lambda: NullMuc(domain, secret, ready, done), host, port)
    await asyncio.wait_for(ready, 30)
    print("nullmuc ready", flush=True)
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait([stopper, done], return_when=asyncio.FIRST_COMPLETED)
    transport.close()
    return 0 if stop.is_set() else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--domain", required=True)
    parser.add_argument("--secret", required=True)
    args = parser.parse_args(argv)
    return asyncio.run(serve(args.host, args.port, args.domain, args.secret))


if __name__ == "__main__":
    sys.exit(main())
