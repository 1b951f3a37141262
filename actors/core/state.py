"""Values that cross the core's boundary: the persisted snapshot, the seed of a new
room and the environment (clock and ids) injected into every command."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

# Keys of RoomSnapshot.extra kept per bare JID (affiliations.py; caps.py bounds them)
NICKS = "nicks"                         # bare JID -> reserved nick (§7.10, §9.3)
REASONS = "affiliation_reasons"         # bare JID -> the reason given with its affiliation


@dataclass(frozen=True, slots=True)
class Env:
    now: float          # seconds since the epoch, from the shell's clock
    uid: str            # a fresh unique id for this command


@dataclass(frozen=True)
class RoomSeed:
    """What a new room starts with (default_room)."""
    config: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    affiliations: tuple[tuple[str, str], ...] = ()     # (bare JID, affiliation)
    subject: str = ""
    subject_author: str = ""


@dataclass(frozen=True)
class RoomSnapshot:
    """A room's persistent state at one version."""
    jid: str
    version: int
    config: Mapping[str, object]
    affiliations: Mapping[str, str]
    subject: str = ""
    subject_author: str = ""
    extra: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
