"""Roomnicks under the PRECIS Nickname profile (RFC 8266).

A nick is shown as its user chose it (it is the resource of the occupant JID the
client addresses and expects back; XEP-0045 §7.2.3 lets a service change it only
with status 210, which no client needs here) but compared by its NicknameCaseMapped
form, so "Owner", "Owner ", "owner" and fullwidth "ＯWNER" are one nick for
uniqueness, reserved nicks, nick changes and addressing an occupant. A string the
profile refuses (controls, bidi and zero-width format characters, other default
ignorables, unassigned code points, nothing left once spaces are mapped) is no nick:
XEP-0045 §7.2 answers a join without a usable nick with jid-malformed. (§7.2.9's
not-acceptable is for a nick other than a locked-down reserved one, which RayMUC
does not enforce.)"""
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
