"""A feature is one module's worth of room behaviour: the config fields it owns,
the disco features it advertises and the hooks it adds (Prosody-style)."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping

from .fields import RoomField

# Hook names and their signatures (room is a core.room.Room):
#   pre_join(room, attempt)                  raise Refused to refuse entry
#   join_role(room, affiliation) -> Role|None first non-None wins
#   pre_nick_change(room, occupant, new)     raise Refused
#   presence_status(room, occupant, status) -> status to broadcast
#   pre_groupchat(room, occupant, message)   raise Refused
#   pre_private_message(room, occupant, to)  raise Refused
#   pre_subject(room, occupant)              raise Refused
#   adjust_config(room, new_config) -> config   bring a submitted value within the service's
#                                            limits (before validate_config)
#   validate_config(room, new_config, sender_bare)  raise Refused
#   config_changed(room, old, new, out) -> tuple of status codes
#   disco_features(config) -> iterable of feature vars
#   roominfo(room) -> iterable of (var, values)   the room's rules, shown to anyone
#   roominfo_details(room) -> iterable of (var, values)   what is in the room (occupants,
#                                            ...): hidden from outsiders of a non-public
#                                            room (disco.may_see_details)
#   presence_broadcast(room, occupant) -> bool   False: only the occupant sees it
HOOK_NAMES = frozenset({
    "pre_join", "join_role", "pre_nick_change", "presence_status", "pre_groupchat",
    "pre_private_message", "pre_subject", "adjust_config", "validate_config", "config_changed",
    "disco_features", "roominfo", "roominfo_details", "presence_broadcast",
})


@dataclass(frozen=True)
class Feature:
    name: str
    fields: tuple[RoomField, ...] = ()
    hooks: Mapping[str, Callable] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self):
        unknown = set(self.hooks) - HOOK_NAMES
        if unknown:
            raise ValueError(f"feature {self.name}: unknown hooks {sorted(unknown)}")


def feature(name: str, *fields: RoomField, **hooks: Callable) -> Feature:
    return Feature(name, tuple(fields), MappingProxyType(dict(hooks)))


def toggle(on: str, off: str, field_name: str) -> Callable:
    """disco_features hook advertising `on` or `off` by a boolean field."""
    def disco(config) -> tuple[str, ...]:
        return (on if getattr(config, field_name) else off,)
    return disco
