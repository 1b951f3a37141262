"""The largest stanza the service sends ([component] max_stanza_size). An XMPP server
closes a component stream that sends a stanza over its own limit, which cuts the whole
MUC domain, so nothing over ours may leave. Pure: no I/O.

Two checks:
- On the way in (`oversized`, before the room sees the stanza): what a stanza
  makes the room relay (its payload, status, subject, reasons) plus the most a room
  adds around it (ENVELOPE) must fit. A stanza that could not is refused with
  not-acceptable and never reaches the room, so nothing oversized enters its history
  (which replays every message to each new occupant).
- On the way out (`stanza_bytes`, in the Renderer): the exact UTF-8 size of a rendered
  stanza's largest copy, from its template and its longest recipient, without building
  a string per recipient. What the first check cannot see (a long room list, an
  occupant list of long nicks) is caught there."""
from __future__ import annotations

import dataclasses

from actors.core import commands as c

from .xml import ATTR_SPECIAL, NS_STANZAS, escape_attr, escape_text

# What a room adds around relayed content, at most: the sender (room JID, and a nick of
# up to 1023 bytes that escaping may make 6 times longer), the recipient, the occupant's
# and a kicking moderator's real JIDs (full JIDs of up to 3071 bytes, their resource
# escaped), stanza-id, occupant-id, delay, item and status codes: 46 KB for the worst
# kick notice (tests/gateway/test_stanza_size.py renders the worst cases).
ENVELOPE = 48 * 1024
# [component] max_stanza_size's default (raymuc/config/schema.py says why)
DEFAULT_MAX_STANZA = 256 * 1024
_VERBATIM = "payload"                  # serialised XML, written as it is
_INSIDE_PAYLOAD = ("body", "thread")   # read from the payload, not written again
_IN_ENVELOPE = ("sender", "type")      # the real JID and a keyword: ENVELOPE counts them


def oversized(cmd, limit: int) -> bool:
    """Whether what `cmd` makes its room relay, with the room's envelope, could exceed
    `limit` bytes."""
    budget = limit - ENVELOPE
    if _relayed(cmd, _upper) <= budget:     # the common case: no encoding at all
        return False
    return _relayed(cmd, _exact) > budget


def shrunk(cmd, limit: int):
    """What an oversized command may still do: an unavailable presence leaves without
    its extras (a leave must happen); an occupant's answer to a forwarded IQ reaches
    the asker as a not-acceptable error (it is never answered otherwise); None for the
    rest, which are refused."""
    if isinstance(cmd, c.Presence) and not cmd.available:
        return dataclasses.replace(cmd, payload="", status=None)
    if isinstance(cmd, c.IqResponseFromOccupant):
        return dataclasses.replace(cmd, type="error", payload=(
            f"<error type='modify'><not-acceptable xmlns='{NS_STANZAS}'/>"
            f"<text xmlns='{NS_STANZAS}'>{escape_text(refusal_text(limit))}</text></error>"))
    return None


def refusal_text(limit: int) -> str:
    return f"The stanza is too large to relay (at most {limit - ENVELOPE} bytes of content)"


def stanza_bytes(prefix: str, suffix: str, to: tuple[str, ...], limit: int) -> int:
    """The UTF-8 size of the largest copy of a template (prefix + to + suffix), or 0
    when it is surely within `limit` (a character is at most 4 bytes, 6 escaped)."""
    longest = max(map(len, to), default=0)
    if (len(prefix) + len(suffix)) * 4 + longest * 6 <= limit:
        return 0
    return envelope_bytes(prefix, suffix, to)


def envelope_bytes(prefix: str, suffix: str, to: tuple[str, ...]) -> int:
    """The exact UTF-8 size of a template's largest copy."""
    fixed = len(prefix.encode()) + len(suffix.encode())
    return fixed + max((len((t if ATTR_SPECIAL.search(t) is None else escape_attr(t)).encode())
                        for t in to), default=0)


def _relayed(cmd, measure) -> int:
    """The most one stanza the room relays for `cmd` can carry of it. Items of a tuple
    (admin items, invitees) are relayed one per stanza: the largest counts."""
    has_payload = isinstance(getattr(cmd, _VERBATIM, None), str)
    size = 0
    for name in _names(cmd):
        if name in _IN_ENVELOPE or (has_payload and name in _INSIDE_PAYLOAD):
            continue
        value = getattr(cmd, name)
        if isinstance(value, tuple):
            size += max((_whole(v, measure) for v in value), default=0)
        else:
            size += _whole(value, measure, name == _VERBATIM)
    return size


def _whole(value, measure, verbatim: bool = False) -> int:
    if isinstance(value, str):
        return len(value.encode()) if verbatim and measure is _exact else measure(value)
    if isinstance(value, tuple):
        return sum(_whole(v, measure) for v in value)
    if dataclasses.is_dataclass(value):
        return sum(_whole(getattr(value, n), measure) for n in _names(value))
    return 0


def _names(value) -> tuple[str, ...]:
    names = _FIELDS.get(type(value))
    if names is None:
        names = _FIELDS[type(value)] = tuple(f.name for f in dataclasses.fields(value)) \
            if dataclasses.is_dataclass(value) else ()
    return names


def _upper(text: str) -> int:
    return len(text) * 6          # UTF-8: at most 4 bytes a character; escaped: 6


def _exact(text: str) -> int:
    return len(escape_text(text).encode())


_FIELDS: dict[type, tuple[str, ...]] = {}
