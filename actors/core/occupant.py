"""An occupant: one nick in the room, held by one bare JID through one or more sessions."""
from __future__ import annotations

from dataclasses import dataclass, replace

from .roles import Affiliation, Role


@dataclass(frozen=True, slots=True)
class Occupant:
    nick: str
    bare: str
    sessions: tuple[str, ...]       # full JIDs; the first one is shown as the real JID
    role: Role
    affiliation: Affiliation
    occupant_id: str
    payload: str = ""               # children of the last presence, forwarded
    status: str | None = None

    @property
    def jid(self) -> str:
        return self.sessions[0]

    def with_(self, **changes) -> "Occupant":
        return replace(self, **changes)
