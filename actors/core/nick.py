"""Roomnicks under the PRECIS Nickname profile (RFC 8266).

XEP-0045 (1.35.5) leaves how nick conflicts are determined to the implementation
(§7.2.8) and asks only that nicks be valid resourceparts and never empty or invisible
(§17.1). A nick is shown as its user chose it (it is the resource of the occupant JID
the client addresses and expects back; §7.2.2 would let the service rewrite it only
with status 210) but compared by its NicknameCaseMapped form, so "Owner", "Owner ",
"owner" and fullwidth "ＯWNER" are one nick for uniqueness, reserved nicks, nick
changes and addressing an occupant. A string the profile refuses (controls, bidi and
zero-width format characters, other default ignorables, unassigned code points,
nothing left once spaces are mapped) is no nick: jid-malformed, as §7.2.1 answers a
join without one. (not-acceptable, §7.6, is for nick changes while nicks are locked
down, which RayMUC does not do.)"""
from __future__ import annotations

from functools import lru_cache

from precis_i18n import get_profile

MAX_NICK_BYTES = 1023      # RFC 7622 §3.4: a resourcepart is at most 1023 octets
_NICKNAME = get_profile("NicknameCaseMapped")


@lru_cache(maxsize=4096)    # the profile costs ~80 µs a nick; joins repeat nicks
def nick_key(nick: str) -> str | None:
    """The form nicks are compared by; None when `nick` is not a valid nick."""
    if not nick or len(nick.encode("utf-8", "surrogatepass")) > MAX_NICK_BYTES:
        return None
    try:
        return _NICKNAME.enforce(nick)
    except ValueError:      # UnicodeEncodeError: the profile refuses the string
        return None


def valid_nick(nick: str) -> bool:
    return nick_key(nick) is not None


def same_nick(a: str, b: str) -> bool:
    key = nick_key(a)
    return key is not None and key == nick_key(b)
