"""Incremental splitter of an XMPP stream into top-level stanzas, by byte scanning (pure).

A benchmark client receives thousands of stanzas a second and only needs a few facts
from each (its name, a couple of attributes, the marker in a groupchat body), so it
never builds a DOM: `StanzaScanner.feed()` finds where each top-level element ends
(`</name>` after the start tag, or `/>`) and hands back the raw bytes. The cost is a
few `bytes.find` calls per stanza.

It relies on what XMPP servers actually send: no CDATA sections or comments inside
stanzas, and `<`/`>` escaped in attribute values (Prosody, ejabberd and our null
component all escape them). An element nested inside one of the same name (a
forwarded <message> in a <message>) is handled by a slower depth-counting scan.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

STREAM_OPEN = b"stream:stream"
STREAM_CLOSE = b"/stream:stream"      # name given to the closing tag of the stream

_ATTR = re.compile(rb"""([\w:.-]+)\s*=\s*(?:'([^']*)'|"([^"]*)")""")
_NAME_END = re.compile(rb"[\s/>]")
_ENTITIES = ((b"&lt;", b"<"), (b"&gt;", b">"), (b"&quot;", b'"'), (b"&apos;", b"'"))


class ScanError(ValueError):
    """The peer sent something that is not a well-formed XMPP stream."""


@dataclass(frozen=True, slots=True)
class Stanza:
    """A top-level element: `name` (e.g. b"message"), its bytes, and where its start tag ends."""

    name: bytes
    raw: bytes
    head_end: int          # index just past the '>' of the start tag

    @property
    def head(self) -> bytes:
        return self.raw[: self.head_end]

    def attrs(self) -> dict[str, str]:
        """Attributes of the start tag (entities decoded)."""
        return {m.group(1).decode(): unescape(m.group(2) if m.group(2) is not None else m.group(3))
                for m in _ATTR.finditer(self.head, len(self.name) + 1)}

    def attr(self, key: str) -> str | None:
        return self.attrs().get(key)

    def child_text(self, tag: bytes) -> str | None:
        """Text of the first <tag>...</tag> (tag without attributes) inside the stanza."""
        start = self.raw.find(b"<" + tag + b">", self.head_end)
        if start < 0:
            return None
        start += len(tag) + 2
        end = self.raw.find(b"</" + tag + b">", start)
        return None if end < 0 else unescape(self.raw[start:end])

    def has(self, needle: bytes) -> bool:
        return needle in self.raw


def unescape(value: bytes) -> str:
    if b"&" in value:
        for entity, char in _ENTITIES:
            value = value.replace(entity, char)
        value = value.replace(b"&amp;", b"&")
    return value.decode("utf-8", "replace")


class StanzaScanner:
    """Feed bytes as they arrive; get back the complete top-level elements.

    The stream header (<stream:stream ...>) comes back as a Stanza named b"stream:stream"
    (without children), the stream's end as b"/stream:stream". XML declarations and
    whitespace keepalives between stanzas are skipped.
    """

    def __init__(self, max_buffer: int = 16 * 1024 * 1024) -> None:
        self._buf = b""
        self.max_buffer = max_buffer

    def reset(self) -> None:
        """Forget everything (after a stream restart, e.g. SASL success)."""
        self._buf = b""

    def feed(self, data: bytes) -> list[Stanza]:
        buf = self._buf + data if self._buf else data
        out: list[Stanza] = []
        pos = 0
        size = len(buf)
        find = buf.find
        while True:
            lt = find(b"<", pos)
            if lt < 0:
                pos = size            # only whitespace left
                break
            gt = find(b">", lt)
            if gt < 0:
                pos = lt
                break
            second = buf[lt + 1: lt + 2]
            if second == b"?" or second == b"!":
                pos = gt + 1           # XML declaration (or a comment outside stanzas)
                continue
            if second == b"/":
                out.append(Stanza(buf[lt + 1: gt].strip(), buf[lt: gt + 1], gt + 1 - lt))
                pos = gt + 1
                continue
            m = _NAME_END.search(buf, lt + 1, gt + 1)
            name = buf[lt + 1: m.start()] if m else buf[lt + 1: gt]
            if not name:
                raise ScanError(f"empty element name at byte {lt}: {buf[lt:gt + 1][:80]!r}")
            if buf[gt - 1] == 0x2F or name == STREAM_OPEN:    # '/>' or the stream header
                out.append(Stanza(name, buf[lt: gt + 1], gt + 1 - lt))
                pos = gt + 1
                continue
            end = _element_end(buf, name, gt + 1)
            if end < 0:
                pos = lt
                break
            out.append(Stanza(name, buf[lt:end], gt + 1 - lt))
            pos = end
        self._buf = buf[pos:] if pos < size else b""
        if len(self._buf) > self.max_buffer:
            raise ScanError(f"unfinished stanza larger than {self.max_buffer} bytes")
        return out


def _element_end(buf: bytes, name: bytes, start: int) -> int:
    """Index just past the element whose start tag ended at `start`, or -1 if incomplete."""
    close = b"</" + name + b">"
    end = buf.find(close, start)
    if end < 0:
        return -1
    nested = buf.find(b"<" + name, start, end)
    if nested < 0 or not _is_name_end(buf, nested + 1 + len(name)):
        return end + len(close)
    return _depth_scan(buf, start)


def _is_name_end(buf: bytes, i: int) -> bool:
    return i < len(buf) and buf[i: i + 1] in (b" ", b">", b"/", b"\t", b"\n", b"\r")


def _depth_scan(buf: bytes, pos: int) -> int:
    """Slow path: count nesting tag by tag from inside an open element."""
    depth = 1
    while depth:
        lt = buf.find(b"<", pos)
        if lt < 0:
            return -1
        gt = buf.find(b">", lt)
        if gt < 0:
            return -1
        if buf[lt + 1] == 0x2F:
            depth -= 1
        elif buf[lt + 1] not in (0x3F, 0x21) and buf[gt - 1] != 0x2F:
            depth += 1
        pos = gt + 1
    return pos
