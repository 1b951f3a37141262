"""Shared pieces of the pure inbound parser (gateway/parse.py, gateway/parse_iq.py):
the stanza being parsed, the malformed-stanza exception, data forms, and small element
helpers. Pure: no I/O."""
from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from actors.core import commands as c
from actors.core.errors import XmppError
from actors.core.jid import JID, JidError

from .xml import (
    NS_ADDRESS, NS_DATA, NS_DELAY, NS_LEGACY_DELAY, NS_MUC_USER, NS_OCCUPANT_ID, NS_SID,
    NS_STANZAS, STANZA_NAMESPACES, split_tag,
)

FORM_TYPES = frozenset({"form", "submit", "cancel", "result"})
COUNT = re.compile(r"\s*[0-9]{1,18}\s*")     # ASCII digits only; 18 keeps int() cheap
# Elements nested deeper than this (the stanza is level 1) are refused: no XMPP payload
# needs them, and every later walk of a kept payload would pay for them
MAX_DEPTH = 32


class Bad(Exception):
    """A malformed stanza: becomes an ErrorReply."""

    def __init__(self, condition: str, text: str):
        super().__init__(text)
        self.error = XmppError.of(condition, text)


@dataclass(frozen=True, slots=True)
class Stanza:
    elem: Element
    ns: str                     # the stanza's own namespace, inherited by payloads
    kind: str
    type: str | None
    id: str | None
    sender: str                 # normalised full JID
    to: str                     # bare room JID (or the service domain)
    nick: str                   # resource of 'to', '' when absent


# Data forms (XEP-0004) ---------------------------------------------------------

def form_type_of(x: Element) -> str | None:
    for fld in x.iterfind(f"{{{NS_DATA}}}field"):
        if fld.get("var") == "FORM_TYPE":
            return child_text(find_child(fld, NS_DATA, "value"))
    return None


def parse_form(x: Element) -> c.Form:
    """An XEP-0004 form; raises Bad (bad-request) when malformed."""
    ftype = x.get("type")
    if ftype not in FORM_TYPES:
        raise Bad("bad-request", f"Data form type must be one of form, submit, cancel, result; "
                                  f"got {ftype!r}")
    fields: list[tuple[str, tuple[str, ...]]] = []
    seen: set[str] = set()
    for fld in x.iterfind(f"{{{NS_DATA}}}field"):
        var = fld.get("var")
        if var is None:
            if fld.get("type") == "fixed":
                continue
            raise Bad("bad-request", "Data form field without 'var'")
        if var in seen:
            raise Bad("bad-request", f"Data form field {var!r} appears twice")
        seen.add(var)
        fields.append((var, tuple(v.text or "" for v in fld.iterfind(f"{{{NS_DATA}}}value"))))
    return c.Form(ftype, tuple(fields))


# Element helpers ---------------------------------------------------------------

def too_deep(elem: Element, limit: int = MAX_DEPTH) -> bool:
    """Whether any element lies more than `limit` levels down (walked without recursion)."""
    stack = [(elem, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in node)
    return False


def find_child(elem: Element, ns: str, name: str) -> Element | None:
    return elem.find(f"{{{ns}}}{name}")


def stanza_child(elem: Element, name: str) -> Element | None:
    for ns in STANZA_NAMESPACES:
        found = elem.find(f"{{{ns}}}{name}")
        if found is not None:
            return found
    return None


def child_text(elem: Element | None) -> str | None:
    return None if elem is None else (elem.text or "")


def parse_address(value: str | None, where: str) -> str:
    if not value:
        raise Bad("bad-request", f"<{where}/> needs a 'jid' or 'to' address")
    try:
        return JID.parse(value).full
    except JidError:
        raise Bad("jid-malformed", f"Malformed address in <{where}/>: {value!r}") from None


def domain_of(raw: str) -> str | None:
    """The domain of a malformed address, if that part at least is valid."""
    domain = raw.partition("/")[0].rpartition("@")[2]
    try:
        return JID.parse(domain).domain if domain else None
    except JidError:
        return None


def _is_room(value: str | None, room: str) -> bool:
    if not value:
        return False
    try:
        return JID.parse(value).full == room
    except JidError:
        return False


def is_reserved(ns: str, name: str, child: Element, room: str) -> bool:
    """Elements only the room may generate: never forwarded from a client."""
    if ns == NS_MUC_USER and name == "x":
        return True
    if ns == NS_OCCUPANT_ID:
        return True
    if ns == NS_SID and name == "stanza-id":
        return _is_room(child.get("by"), room)
    if ns == NS_DELAY and name == "delay":
        return _is_room(child.get("from"), room)
    return False


def is_message_envelope(ns: str, name: str) -> bool:
    """In a message the room relays, what only the room may say: when it was sent (any
    XEP-0203 <delay/>, whoever it names, and XEP-0091's jabber:x:delay; the room adds its
    own to history) and from or to whom (XEP-0033 <addresses/>: ofrom, replyto, ...; the
    room is the sender of what it relays, never a multicast service)."""
    return ((ns == NS_DELAY and name == "delay") or (ns == NS_LEGACY_DELAY and name == "x")
            or (ns == NS_ADDRESS and name == "addresses"))


def error_condition(elem: Element) -> str:
    """The defined condition of a stanza's <error/>, 'undefined-condition' if none."""
    error = stanza_child(elem, "error")
    if error is not None:
        for child in error:
            ns, name = split_tag(child.tag) if isinstance(child.tag, str) else ("", "")
            if ns == NS_STANZAS and name != "text":
                return name
    return "undefined-condition"
