"""JIDs as small frozen values. Normalisation is the practical subset of RFC 7622:
local part and domain are case-folded, the resource is kept as sent."""
from __future__ import annotations

from dataclasses import dataclass

_FORBIDDEN_LOCAL = set('"&\'/:<>@') | {" ", "\t", "\n", "\r"}


class JidError(ValueError):
    """Raised for a string that is not a valid JID."""


@dataclass(frozen=True, slots=True)
class JID:
    local: str
    domain: str
    resource: str = ""

    @staticmethod
    def parse(text: str) -> "JID":
        if not text or len(text) > 3071:
            raise JidError(f"bad JID length: {text!r}")
        rest, sep, resource = text.partition("/")
        if sep and not resource:
            raise JidError(f"empty resource: {text!r}")
        local, at, domain = rest.rpartition("@")
        if at and not local:
            raise JidError(f"empty local part: {text!r}")
        domain = domain.lower().rstrip(".")
        if not domain or len(domain) > 1023 or any(c in domain for c in " \t@/"):
            raise JidError(f"bad domain: {text!r}")
        local = local.lower()
        if len(local) > 1023 or any(c in _FORBIDDEN_LOCAL for c in local):
            raise JidError(f"bad local part: {text!r}")
        if len(resource) > 1023:
            raise JidError(f"resource too long: {text!r}")
        return JID(local, domain, resource)

    @property
    def bare(self) -> str:
        return f"{self.local}@{self.domain}" if self.local else self.domain

    @property
    def full(self) -> str:
        return f"{self.bare}/{self.resource}" if self.resource else self.bare

    def with_resource(self, resource: str) -> "JID":
        return JID(self.local, self.domain, resource)

    def __str__(self) -> str:
        return self.full


def bare_of(jid: str) -> str:
    """Bare part of an already-normalised JID string."""
    return jid.split("/", 1)[0]
