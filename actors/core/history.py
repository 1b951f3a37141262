"""Discussion history kept in memory and its XEP-0045 §7.2.15 filters."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .commands import HistoryRequest
from .effects import MessageOut


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    message: MessageOut
    at: float
    size: int                        # characters of the stanza, for maxchars


class History:
    __slots__ = ("_entries", "limit")

    def __init__(self, limit: int):
        self.limit = limit
        self._entries: deque[HistoryEntry] = deque(maxlen=max(limit, 0) or None)

    def add(self, message: MessageOut, at: float) -> None:
        if self.limit <= 0:
            return
        size = len(message.payload) + len(message.nick or "") + 60
        self._entries.append(HistoryEntry(message, at, size))

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        self._entries.clear()

    def select(self, req: HistoryRequest | None, now: float, max_fetch: int | None = None) \
            -> list[HistoryEntry]:
        entries = list(self._entries)
        if max_fetch is not None:
            entries = entries[-max_fetch:] if max_fetch > 0 else []
        if req is None:
            return entries
        if req.seconds is not None:
            entries = [e for e in entries if e.at >= now - req.seconds]
        if req.since is not None:
            entries = [e for e in entries if e.at > req.since]
        if req.maxstanzas is not None:
            entries = entries[-req.maxstanzas:] if req.maxstanzas > 0 else []
        if req.maxchars is not None:
            kept, total = [], 0
            for e in reversed(entries):
                total += e.size
                if total > req.maxchars:
                    break
                kept.append(e)
            entries = kept[::-1]
        return entries
