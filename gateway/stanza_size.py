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

from .xml import ATTR_SPECIAL, escape_attr, escape_text

# What a room adds around relayed content, at most: the sender (room JID, and a nick of
# up to 1023 bytes that escaping may make 6 times longer), the recipient, the occupant's
# and a kicking moderator's real JIDs (full JIDs of up to 3071 bytes, their resource
# escaped), stanza-id, occupant-id, delay, item and status codes: < 40 KiB
# (tests/gateway/test_stanza_size.py renders the worst cases).
ENVELOPE = 48 * 1024
# [component] max_stanza_size's default (raymuc/config/schema.py says why)
DEFAULT_MAX_STANZA = 256 * 1024
_VERBATIM = "payload"              # serialised XML, written as it is
_INSIDE_PAYLOAD = ("body", "thread")   # read from the payload, not written again
_IN_ENVELOPE = ("sender", "type")      # the real JID and a keyword: ENVELOPE counts them


def oversized(cmd, limit: int) -> bool:
    """Whether what `cmd` makes its room relay, with the room's envelope, could exceed
    `limit` bytes."""
    budget = limit - ENVELOPE
    if _chars(cmd) * 6 <= budget:       # the common case: no encoding at all
        return False
    return _relayed_bytes(cmd) > budget


def shrunk(cmd):
    """What an oversized command may still do: an unavailable presence leaves without
    its extras (a leave must happen); None for the rest, which are refused."""
    if isinstance(cmd, c.Presence) and not cmd.available:
        return dataclasses.replace(cmd, payload="", status=None)
    return None


def refusal_text(limit: int) -> str:
    return f"The stanza is too large to relay (at most {limit - ENVELOPE} bytes of content)"


def stanza_bytes(prefix: str, suffix: str, to: tuple[str, ...], limit: int) -> int:
    """The UTF-8 size of the largest copy of a template (prefix + to + suffix), or 0
    when it is surely within `limit` (a character is at most 4 bytes, 6 escaped)."""
    longest = max(map(len, to), default=0)
    if (len(prefix) + len(suffix)) * 4 + longest * 6 <= limit:
        return 0
    fixed = len(prefix.encode()) + len(suffix.encode())
    return fixed + max((len((t if ATTR_SPECIAL.search(t) is None else escape_attr(t)).encode())
                        for t in to), default=0)


def _strings(cmd):
    """(field name, text) of every string a command carries, nested ones included."""
    names = _FIELDS.get(type(cmd))
    if names is None:
        names = _FIELDS[type(cmd)] = tuple(f.name for f in dataclasses.fields(cmd)) \
            if dataclasses.is_dataclass(cmd) else ()
    for name in names:
        if name in _IN_ENVELOPE:
            continue
        value = getattr(cmd, name)
        if isinstance(value, str):
            yield name, value
        elif isinstance(value, tuple) or dataclasses.is_dataclass(value):
            yield from ((name, v) for v in _flatten(value))


def _flatten(value):
    """Strings inside tuples and typed parts (admin items with their reasons, ...)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        for v in value:
            yield from _flatten(v)
    elif dataclasses.is_dataclass(value):
        yield from (text for _, text in _strings(value))


def _chars(cmd) -> int:
    return sum(len(text) for _, text in _strings(cmd))


def _relayed_bytes(cmd) -> int:
    has_payload = isinstance(getattr(cmd, _VERBATIM, None), str)
    size = 0
    for name, text in _strings(cmd):
        if name == _VERBATIM:
            size += len(text.encode())
        elif not (has_payload and name in _INSIDE_PAYLOAD):
            size += len(escape_text(text).encode())
    return size


_FIELDS: dict[type, tuple[str, ...]] = {}
