"""Discussion history kept in memory and its XEP-0045 §7.2.14 filters.

maxchars counts "the characters of the complete XML stanzas" as the recipient gets
them, so stanza_chars() writes the history message the way gateway/render.py does
(tests/core/test_entering.py holds the two together) and counts its characters."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Callable

from .commands import HistoryRequest
from .effects import MessageOut

NS_USER = "http://jabber.org/protocol/muc#user"


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    message: MessageOut
    at: float


class History:
    __slots__ = ("_entries", "limit")

    def __init__(self, limit: int):
        self.limit = limit
        self._entries: deque[HistoryEntry] = deque(maxlen=max(limit, 0) or None)

    def add(self, message: MessageOut, at: float) -> None:
        if self.limit <= 0:
            return
        self._entries.append(HistoryEntry(message, at))

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def select(self, req: HistoryRequest | None, now: float, max_fetch: int | None = None,
               chars: Callable[[MessageOut], int] | None = None) -> list[MessageOut]:
        """The messages to send on entering, oldest first, stamped with <delay/>: the
        smallest set meeting every criterion of `req` and the room's limit. `chars`
        counts a message's characters as sent (for maxchars)."""
        entries = list(self._entries)
        if max_fetch is not None:
            entries = entries[-max_fetch:] if max_fetch > 0 else []
        if req is not None:
            if req.seconds is not None:
                entries = [e for e in entries if e.at >= now - req.seconds]
            if req.since is not None:
                entries = [e for e in entries if e.at >= req.since]
            if req.maxstanzas is not None:
                entries = entries[-req.maxstanzas:] if req.maxstanzas > 0 else []
        messages = [replace(e.message, delay=e.at) for e in entries]
        if req is not None and req.maxchars is not None:
            count = chars or stanza_chars_anywhere
            kept, total = [], 0
            for msg in reversed(messages):      # the newest complete stanzas that fit
                total += count(msg)
                if total > req.maxchars:
                    break
                kept.append(msg)
            messages = kept[::-1]
        return messages


# Character counting ---------------------------------------------------------

_ATTR = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&apos;", '"': "&quot;",
         "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
_TEXT = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}


def _esc(value: str, table: dict[str, str]) -> str:
    return "".join(table.get(ch, ch) for ch in value)


def _a(value: str) -> str:
    return _esc(value, _ATTR)


def _t(value: str) -> str:
    return _esc(value, _TEXT)


def _stamp(epoch: float) -> str:
    millis = int(round(epoch * 1000))
    secs, ms = divmod(millis, 1000)
    return datetime.fromtimestamp(secs, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{ms:03d}Z"


def stanza_text(m: MessageOut, room: str, to: str) -> str:
    """A history message as written to `to` (the renderer's layout for a groupchat
    message from an occupant or the room)."""
    attrs = "".join(f" {k}='{_a(v)}'" for k, v in (("type", m.type or None), ("id", m.id))
                    if v is not None)
    parts = [m.payload]
    if m.subject is not None:
        parts.append(f"<subject>{_t(m.subject)}</subject>" if m.subject else "<subject/>")
    if m.body is not None:
        parts.append(f"<body>{_t(m.body)}</body>")
    if m.thread is not None and m.invite_from is None:
        parts.append(f"<thread>{_t(m.thread)}</thread>")
    if m.codes:
        status = "".join(f"<status code='{code}'/>" for code in m.codes)
        parts.append(f"<x xmlns='{NS_USER}'>{status}</x>")
    elif m.private:
        parts.append(f"<x xmlns='{NS_USER}'/>")
    if m.occupant_id:
        parts.append(f"<occupant-id xmlns='urn:xmpp:occupant-id:0' id='{_a(m.occupant_id)}'/>")
    if m.stanza_id:
        parts.append(f"<stanza-id xmlns='urn:xmpp:sid:0' id='{_a(m.stanza_id)}' by='{_a(room)}'/>")
    if m.delay is not None:
        parts.append(f"<delay xmlns='urn:xmpp:delay' from='{_a(room)}' stamp='{_stamp(m.delay)}'/>")
    sender = room if m.nick is None else f"{room}/{m.nick}"
    inner = "".join(parts)
    head = f"<message from='{_a(sender)}' to='{_a(to)}'{attrs}"
    return f"{head}>{inner}</message>" if inner else f"{head}/>"


def stanza_chars(m: MessageOut, room: str, to: str) -> int:
    return len(stanza_text(m, room, to))


def stanza_chars_anywhere(m: MessageOut) -> int:
    """Without a recipient (tests, tools): the stanza's characters minus addresses."""
    return len(stanza_text(m, "", ""))
