"""JIDs as small frozen values, normalised by RFC 7622: the local part by the PRECIS
UsernameCaseMapped profile (width- and case-mapped, NFC, IdentifierClass; bidi and
zero-width controls refused) and without the characters §3.3.1 forbids; the domain
label by label by the same profile after mapping the ideographic and fullwidth full
stops to '.' (the UTS #46-style mapping RFC 7622 §3.2 allows before IDNA), so
"ｒｏｏｍ@Ｃｏｎｆ．example" and "room@conf.example" are one JID. The resource is kept
as sent: it is the user's session, or a nick the core compares itself (nick.py)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from precis_i18n import get_profile

_FORBIDDEN_LOCAL = set('"&\'/:<>@') | {" ", "\t", "\n", "\r"}
_FULL_STOPS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_USERNAME = get_profile("UsernameCaseMapped")


class JidError(ValueError):
    """Raised for a string that is not a valid JID."""


@lru_cache(maxsize=4096)    # the profile costs ~30 µs; every stanza parses two JIDs
def _prep(part: str) -> str | None:
    """UsernameCaseMapped of one local part or domain label; None if refused."""
    if part.isascii() and all("!" <= ch <= "~" for ch in part):
        return part.lower()     # the profile's own result for printable ASCII, at no cost
    try:
        return _USERNAME.enforce(part)
    except ValueError:          # UnicodeEncodeError: the profile refuses it
        return None


def _domain(raw: str) -> str | None:
    labels = raw.translate(_FULL_STOPS).removesuffix(".").split(".")
    prepped = [_prep(label) for label in labels]
    return None if None in prepped else ".".join(prepped)


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
        domain = _domain(domain) if domain and len(domain) <= 1023 else None
        if not domain or any(c in domain for c in " \t@/"):
            raise JidError(f"bad domain: {text!r}")
        if local:
            local = _prep(local) if len(local) <= 1023 else None
            if not local or any(c in _FORBIDDEN_LOCAL for c in local):
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


def canonical_bare(text: str) -> str | None:
    """The normalised bare JID of `text` (stored before normalisation), None if invalid."""
    try:
        return JID.parse(text).bare
    except JidError:
        return None
