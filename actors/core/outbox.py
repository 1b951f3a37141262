"""Collects a command's effects in order."""
from __future__ import annotations

from .effects import Deliver, ErrorOut
from .errors import XmppError


class Outbox:
    __slots__ = ("effects",)

    def __init__(self):
        self.effects: list = []

    def deliver(self, to, stanza) -> None:
        to = tuple(to)
        if to:
            self.effects.append(Deliver(to, stanza))

    def add(self, effect) -> None:
        self.effects.append(effect)

    def error(self, to: str, kind: str, id: str | None, error: XmppError,
              nick: str | None = None, payload: str = "") -> None:
        self.effects.append(Deliver((to,), ErrorOut(kind, id, error, nick or None, payload)))
