"""Roles and affiliations (XEP-0045 §5) with their ranks."""
from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    MODERATOR = "moderator"
    PARTICIPANT = "participant"
    VISITOR = "visitor"
    NONE = "none"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]

    @property
    def has_voice(self) -> bool:
        return self in (Role.MODERATOR, Role.PARTICIPANT)


class Affiliation(str, Enum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    NONE = "none"
    OUTCAST = "outcast"

    @property
    def rank(self) -> int:
        return _AFF_RANK[self]


_ROLE_RANK = {Role.NONE: 0, Role.VISITOR: 1, Role.PARTICIPANT: 2, Role.MODERATOR: 3}
_AFF_RANK = {Affiliation.OUTCAST: -1, Affiliation.NONE: 0, Affiliation.MEMBER: 1,
             Affiliation.ADMIN: 2, Affiliation.OWNER: 3}


def parse_role(text: str) -> Role | None:
    try:
        return Role(text)
    except ValueError:
        return None


def parse_affiliation(text: str) -> Affiliation | None:
    try:
        return Affiliation(text)
    except ValueError:
        return None
