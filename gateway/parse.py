"""Inbound stanzas -> the room core's typed commands. Pure: no I/O.

Input is an ElementTree element as slixmpp hands it over on an XEP-0114 stream:
the stanza is `{jabber:component:accept}presence|message|iq`; its plain children
are in the same namespace (`jabber:client` is accepted too).

What is forwarded as `payload` (serialised children, written later verbatim into
the outgoing stanza) and what is stripped:
- always stripped, since only the room may generate them (XEP-0045 §17.2,
  XEP-0421, XEP-0359, XEP-0203): muc#user <x/>, <occupant-id/>, <stanza-id/>
  whose by= is the room, <delay/> whose from= is the room;
- presence: also the MUC <x/> (read into muc/password/history) and <status/>
  (read into `status`; the renderer writes it from the effect);
- message to the room itself: <subject/> is never in the payload; it travels in
  Message.subject and the renderer writes exactly one <subject/> from
  MessageOut.subject. Private messages (to room/nick) keep <subject/> in the
  payload because the core does not copy their subject into the effect.
  <body/> and <thread/> stay in the payload (and are also read into fields).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from xml.etree.ElementTree import Element

from actors.core import commands as c
from actors.core.errors import XmppError
from actors.core.jid import JID, JidError

from .xml import (
    NS_DATA, NS_DELAY, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_MUC_ADMIN, NS_MUC_OWNER,
    NS_MUC_REQUEST, NS_MUC_USER, NS_OCCUPANT_ID, NS_PING, NS_REGISTER, NS_RSM, NS_SID, NS_STANZAS,
    NS_VCARD, STANZA_NAMESPACES, serialise, split_tag,
)

MESSAGE_TYPES = frozenset({"normal", "chat", "groupchat", "headline"})
IGNORED_PRESENCE_TYPES = frozenset({"subscribe", "subscribed", "unsubscribe", "unsubscribed",
                                    "probe"})
AFFILIATIONS = frozenset({"owner", "admin", "member", "outcast", "none"})
ROLES = frozenset({"moderator", "participant", "visitor", "none"})
FORM_TYPES = frozenset({"form", "submit", "cancel", "result"})


# Results --------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ErrorReply:
    """What to send back for a stanza that could not be parsed."""
    kind: str                   # presence | message | iq
    to: str                     # the offending stanza's 'from', as sent
    from_: str                  # its 'to' (normalised; just the domain if 'to' was malformed)
    id: str | None
    error: XmppError
    by: str | None = None       # the room or service JID that generated the error


@dataclass(frozen=True, slots=True)
class Parsed:
    """Exactly one of command/error is set, or neither (`ignored` says why)."""
    room: str | None = None     # bare room JID; None for the service or unparseable 'to'
    command: object = None
    error: ErrorReply | None = None
    service_level: bool = False
    ignored: str = ""


# Service-level commands (stanzas to the bare service domain) ------------------

@dataclass(frozen=True, slots=True)
class ServiceDiscoInfo:
    sender: str
    id: str
    node: str | None = None


@dataclass(frozen=True, slots=True)
class PageRequest:
    """XEP-0059 paging of a list: at most `max` items after/before an item id, or
    from an index; before == "" asks for the last page."""
    max: int | None = None
    after: str | None = None
    before: str | None = None
    index: int | None = None


@dataclass(frozen=True, slots=True)
class ServiceDiscoItems:
    sender: str
    id: str
    node: str | None = None
    page: PageRequest | None = None


@dataclass(frozen=True, slots=True)
class ServicePing:
    sender: str
    id: str


@dataclass(frozen=True, slots=True)
class ServiceMessage:
    """A message with a body to the service (an admin announcement, if the sender is one)."""
    sender: str
    body: str
    id: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceIq:
    """A get/set the parser does not know (version, time, muc#unique, ...). Unless the
    service implements `namespace`, answer it with service-unavailable."""
    sender: str
    id: str
    type: str
    namespace: str
    payload: str = ""


# Entry point -------------------------------------------------------------------

class _Bad(Exception):
    """A malformed stanza: becomes an ErrorReply."""

    def __init__(self, condition: str, text: str):
        super().__init__(text)
        self.error = XmppError.of(condition, text)


def parse_stanza(elem: Element) -> Parsed:
    """Turn one stanza into a command, an error reply, or nothing (see Parsed)."""
    ns, kind = split_tag(elem.tag if isinstance(elem.tag, str) else "")
    if ns not in STANZA_NAMESPACES or kind not in ("presence", "message", "iq"):
        return Parsed(ignored=f"not a stanza: {elem.tag!r}")
    raw_from, raw_to = elem.get("from"), elem.get("to")
    if not raw_from or not raw_to:
        return Parsed(ignored="stanza without 'from' or 'to'")
    stype, sid = elem.get("type"), elem.get("id")
    # Never answer an error with an error (RFC 6120 §8.3.1), nor an IQ result.
    answerable = stype != "error" and not (kind == "iq" and stype == "result")

    def fail(condition: str, text: str, reply_from: str | None, by: str | None, room=None,
             service=False) -> Parsed:
        if not answerable or reply_from is None:
            return Parsed(room, ignored=f"{condition}: {text}", service_level=service)
        reply = ErrorReply(kind, raw_from, reply_from, sid, XmppError.of(condition, text), by)
        return Parsed(room, error=reply, service_level=service)

    try:
        to = JID.parse(raw_to)
    except JidError:
        # Answer from the domain alone: a reply 'from' outside the component's domain
        # makes the server close the component stream (Prosody: invalid-from).
        domain = _domain_of(raw_to)
        return fail("jid-malformed", "Malformed 'to' address", domain, domain)
    room = to.bare if to.local else None
    service = room is None
    try:
        sender = JID.parse(raw_from).full
    except JidError:
        return fail("jid-malformed", "Malformed 'from' address", to.full, to.bare, room, service)
    st = _Stanza(elem, ns, kind, stype, sid, sender, to.bare, to.resource)
    try:
        if service:
            command = _SERVICE[kind](st)
        else:
            command = _ROOM[kind](st)
    except _Bad as bad:
        return fail(bad.error.condition, bad.error.text, to.full, to.bare, room, service)
    if isinstance(command, str):
        return Parsed(room, ignored=command, service_level=service)
    return Parsed(room, command=command, service_level=service)


@dataclass(frozen=True, slots=True)
class _Stanza:
    elem: Element
    ns: str                     # the stanza's own namespace, inherited by payloads
    kind: str
    type: str | None
    id: str | None
    sender: str                 # normalised full JID
    to: str                     # bare room JID (or the service domain)
    nick: str                   # resource of 'to', '' when absent


# Presence ----------------------------------------------------------------------

def _presence(st: _Stanza):
    if st.type == "error":
        return c.StanzaError(st.sender, "presence", _condition(st.elem), st.nick)
    if st.type in IGNORED_PRESENCE_TYPES:
        return f"presence of type {st.type} to a room"
    if st.type not in (None, "", "unavailable"):
        raise _Bad("bad-request", f"Unknown presence type {st.type!r}")
    muc, password, history, status = False, None, None, None
    payload: list[str] = []
    for child in st.elem:
        cns, name = split_tag(child.tag)
        if cns == NS_MUC and name == "x":
            muc = True
            given = _text(_find(child, NS_MUC, "password"))
            password = given if given is not None else password
            found = _find(child, NS_MUC, "history")
            history = _history(found) if found is not None else None
        elif cns in STANZA_NAMESPACES and name == "status":
            if status is None:
                status = child.text or ""
        elif cns == NS_MUC_USER and name == "x" and password is None:
            # Old clients supply the password in muc#user (§17.2); never forwarded.
            password = _text(_find(child, NS_MUC_USER, "password"))
        elif not _reserved(cns, name, child, st.to):
            payload.append(serialise(child, st.ns))
    return c.Presence(st.sender, st.nick, st.type != "unavailable", muc, password, history,
                      status, "".join(payload), st.id)


def _history(elem: Element) -> c.HistoryRequest:
    since = elem.get("since")
    return c.HistoryRequest(_count(elem, "maxchars"), _count(elem, "maxstanzas"),
                            _count(elem, "seconds"),
                            _datetime(since) if since is not None else None)


_COUNT = re.compile(r"\s*[0-9]{1,18}\s*")     # ASCII digits only; 18 keeps int() cheap


def _count(elem: Element, attr: str) -> int | None:
    value = elem.get(attr)
    if value is None:
        return None
    if _COUNT.fullmatch(value) is None:
        raise _Bad("bad-request", f"history {attr} must be a non-negative integer, got {value!r}")
    return int(value)


_DATETIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)")


def _datetime(value: str) -> float:
    """XEP-0082 DateTime (CCYY-MM-DDThh:mm:ss[.sss]TZD) -> epoch seconds."""
    match = _DATETIME.fullmatch(value.strip())
    if match is None:
        raise _Bad("bad-request", f"Not an XEP-0082 DateTime: {value!r}")
    year, month, day, hour, minute, second, frac, tzd = match.groups()
    try:
        stamp = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                         tzinfo=timezone.utc).timestamp()
    except ValueError:
        raise _Bad("bad-request", f"Not a valid date and time: {value!r}") from None
    if tzd != "Z":
        offset = int(tzd[1:3]) * 3600 + int(tzd[4:6]) * 60
        stamp -= offset if tzd[0] == "+" else -offset
    return stamp + (float(frac) if frac else 0.0)


# Message -------------------------------------------------------------------------

def _message(st: _Stanza):
    if st.type == "error":
        return c.StanzaError(st.sender, "message", _condition(st.elem), st.nick)
    # RFC 6121 §5.2.2: a missing or unknown type means "normal".
    mtype = st.type if st.type in MESSAGE_TYPES else "normal"
    body = subject = thread = None
    user_x = form_x = None
    payload: list[str] = []
    for child in st.elem:
        cns, name = split_tag(child.tag)
        if cns in STANZA_NAMESPACES and name in ("body", "subject", "thread"):
            text = child.text or ""
            if name == "body":
                body = text if body is None else body
            elif name == "thread":
                thread = text if thread is None else thread
            else:
                subject = text if subject is None else subject
                if not st.nick:
                    continue            # rendered from MessageOut.subject (see module doc)
        elif cns == NS_MUC_USER and name == "x":
            user_x = child if user_x is None else user_x
            continue
        elif cns == NS_DATA and name == "x" and form_x is None:
            form_x = child
        elif _reserved(cns, name, child, st.to):
            continue
        payload.append(serialise(child, st.ns))
    if not st.nick:
        if user_x is not None:
            special = _invite_or_decline(st, user_x)
            if special is not None:
                return special
        if form_x is not None:
            special = _voice_form(st, form_x, body)
            if special is not None:
                return special
    return c.Message(st.sender, st.nick, mtype, st.id, body, subject, thread, "".join(payload))


def _invite_or_decline(st: _Stanza, x: Element):
    invites = x.findall(f"{{{NS_MUC_USER}}}invite")
    declines = x.findall(f"{{{NS_MUC_USER}}}decline")
    if invites and declines:
        raise _Bad("bad-request", "A message cannot both invite and decline")
    if invites:
        invitees = tuple((_address(inv.get("to"), "invite"), _text(_find(inv, NS_MUC_USER, "reason")) or "")
                         for inv in invites)
        cont = None
        for inv in invites:
            found = _find(inv, NS_MUC_USER, "continue")
            if found is not None:
                cont = found.get("thread", "")
                break
        password = _text(_find(x, NS_MUC_USER, "password"))
        return c.Invite(st.sender, invitees, password, st.id, cont)
    if declines:
        if len(declines) > 1:
            raise _Bad("bad-request", "Only one decline per message")
        dec = declines[0]
        return c.Decline(st.sender, _address(dec.get("to"), "decline"),
                         _text(_find(dec, NS_MUC_USER, "reason")) or "", st.id)
    return None


def _voice_form(st: _Stanza, x: Element, body: str | None):
    if _form_type_of(x) == NS_MUC_REQUEST:
        form = _form(x)
        if form.get("muc#request_allow") is not None:
            return c.VoiceApproval(st.sender, form, st.id)
        return c.VoiceRequest(st.sender, st.id)
    if x.get("type") == "cancel" and body is None:
        # A moderator skipping a voice approval sends a bare cancel form (XEP-0004).
        return "cancelled data form"
    return None


def _form_type_of(x: Element) -> str | None:
    for fld in x.iterfind(f"{{{NS_DATA}}}field"):
        if fld.get("var") == "FORM_TYPE":
            return _text(_find(fld, NS_DATA, "value"))
    return None


def _form(x: Element) -> c.Form:
    """An XEP-0004 form; raises _Bad (bad-request) when malformed."""
    ftype = x.get("type")
    if ftype not in FORM_TYPES:
        raise _Bad("bad-request", f"Data form type must be one of form, submit, cancel, result; "
                                  f"got {ftype!r}")
    fields: list[tuple[str, tuple[str, ...]]] = []
    seen: set[str] = set()
    for fld in x.iterfind(f"{{{NS_DATA}}}field"):
        var = fld.get("var")
        if var is None:
            if fld.get("type") == "fixed":
                continue
            raise _Bad("bad-request", "Data form field without 'var'")
        if var in seen:
            raise _Bad("bad-request", f"Data form field {var!r} appears twice")
        seen.add(var)
        fields.append((var, tuple(v.text or "" for v in fld.iterfind(f"{{{NS_DATA}}}value"))))
    return c.Form(ftype, tuple(fields))


# IQ --------------------------------------------------------------------------

def _iq(st: _Stanza):
    if st.type in ("result", "error"):
        if not st.nick:
            return f"iq {st.type} to the room itself"
        if not st.id:
            return f"iq {st.type} without id"
        payload = "".join(serialise(ch, st.ns) for ch in st.elem)
        return c.IqResponseFromOccupant(st.sender, st.id, st.type, payload)
    query = _iq_query(st)
    qns, name = split_tag(query.tag)
    if st.nick:
        if qns == NS_PING and name == "ping":
            _require_get(st, "ping")
            return c.Ping(st.sender, st.id, st.nick)
        return c.IqToOccupant(st.sender, st.id, st.nick, st.type, serialise(query, st.ns), qns)
    handler = _ROOM_IQ.get(qns)
    if handler is None:
        if qns == NS_VCARD:
            raise _Bad("service-unavailable", "Rooms have no vCard")
        raise _Bad("service-unavailable", f"Rooms do not implement {qns or name!r}")
    expected = "ping" if qns == NS_PING else "query"
    if name != expected:
        raise _Bad("feature-not-implemented", f"Unknown element {name!r} in {qns!r}")
    return handler(st, query)


def _iq_query(st: _Stanza) -> Element:
    if st.type not in ("get", "set"):
        raise _Bad("bad-request", f"Unknown iq type {st.type!r}")
    if not st.id:
        raise _Bad("bad-request", "An iq needs an id")
    children = [ch for ch in st.elem if isinstance(ch.tag, str)]
    if len(children) != 1:
        raise _Bad("bad-request", f"An iq {st.type} needs exactly one child element, "
                                  f"got {len(children)}")
    return children[0]


def _require_get(st: _Stanza, what: str) -> None:
    if st.type != "get":
        raise _Bad("bad-request", f"{what} takes type get")


def _disco_info(st: _Stanza, q: Element):
    _require_get(st, "disco#info")
    return c.DiscoInfo(st.sender, st.id, node=q.get("node"))


def _disco_items(st: _Stanza, q: Element):
    _require_get(st, "disco#items")
    return c.DiscoItems(st.sender, st.id, node=q.get("node"))


def _ping(st: _Stanza, q: Element):
    _require_get(st, "ping")
    return c.Ping(st.sender, st.id)


def _admin(st: _Stanza, q: Element):
    items = []
    for item in q.iterfind(f"{{{NS_MUC_ADMIN}}}item"):
        aff, role = item.get("affiliation"), item.get("role")
        if aff is not None and aff not in AFFILIATIONS:
            raise _Bad("bad-request", f"Unknown affiliation {aff!r}")
        if role is not None and role not in ROLES:
            raise _Bad("bad-request", f"Unknown role {role!r}")
        jid = item.get("jid")
        items.append(c.AdminItem(aff, role, _address(jid, "item") if jid is not None else None,
                                 item.get("nick"), _text(_find(item, NS_MUC_ADMIN, "reason")) or ""))
    if not items:
        raise _Bad("bad-request", "A muc#admin query needs at least one <item/>")
    cls = c.AdminGet if st.type == "get" else c.AdminSet
    return cls(st.sender, st.id, tuple(items))


def _owner(st: _Stanza, q: Element):
    if st.type == "get":
        return c.OwnerGet(st.sender, st.id)
    destroy = _find(q, NS_MUC_OWNER, "destroy")
    if destroy is not None:
        alternate = destroy.get("jid")
        return c.OwnerSet(st.sender, st.id, destroy=c.DestroyRequest(
            _text(_find(destroy, NS_MUC_OWNER, "reason")) or "",
            _address(alternate, "destroy") if alternate else None,
            _text(_find(destroy, NS_MUC_OWNER, "password"))))
    x = _find(q, NS_DATA, "x")
    if x is None:
        raise _Bad("bad-request", "A muc#owner set needs a data form or <destroy/>")
    return c.OwnerSet(st.sender, st.id, form=_form(x))


def _register(st: _Stanza, q: Element):
    if st.type == "get":
        return c.RegisterGet(st.sender, st.id)
    if _find(q, NS_REGISTER, "remove") is not None:
        return c.RegisterSet(st.sender, st.id, remove=True)
    x = _find(q, NS_DATA, "x")
    if x is None:
        raise _Bad("bad-request", "Registration needs a data form or <remove/>")
    return c.RegisterSet(st.sender, st.id, form=_form(x))


_ROOM_IQ = {
    NS_DISCO_INFO: _disco_info,
    NS_DISCO_ITEMS: _disco_items,
    NS_MUC_ADMIN: _admin,
    NS_MUC_OWNER: _owner,
    NS_REGISTER: _register,
    NS_PING: _ping,
}


# Service level -------------------------------------------------------------------

def _service_presence(st: _Stanza):
    return f"presence of type {st.type or 'available'} to the service"


def _service_message(st: _Stanza):
    if st.type == "error":
        return "message error to the service"
    body = _text(_find_stanza_child(st.elem, "body"))
    if body is None:
        return "message without body to the service"
    return ServiceMessage(st.sender, body, st.id)


def _service_iq(st: _Stanza):
    if st.type in ("result", "error"):
        return f"iq {st.type} to the service"      # the service sends no IQs of its own
    query = _iq_query(st)
    qns, name = split_tag(query.tag)
    if qns == NS_DISCO_INFO and name == "query":
        _require_get(st, "disco#info")
        return ServiceDiscoInfo(st.sender, st.id, query.get("node"))
    if qns == NS_DISCO_ITEMS and name == "query":
        _require_get(st, "disco#items")
        return ServiceDiscoItems(st.sender, st.id, query.get("node"), _page(query))
    if qns == NS_PING and name == "ping":
        _require_get(st, "ping")
        return ServicePing(st.sender, st.id)
    return ServiceIq(st.sender, st.id, st.type, qns, serialise(query, st.ns))


def _page(query: Element) -> PageRequest | None:
    rsm = _find(query, NS_RSM, "set")
    if rsm is None:
        return None
    after, before = _text(_find(rsm, NS_RSM, "after")), _text(_find(rsm, NS_RSM, "before"))
    if after is not None and before is not None:
        raise _Bad("bad-request", "A result set request can't have both <after/> and <before/>")
    if after == "":
        raise _Bad("bad-request", "<after/> needs an item id")
    return PageRequest(_rsm_count(rsm, "max"), after, before, _rsm_count(rsm, "index"))


def _rsm_count(rsm: Element, name: str) -> int | None:
    value = _text(_find(rsm, NS_RSM, name))
    if value is None:
        return None
    if _COUNT.fullmatch(value) is None:
        raise _Bad("bad-request", f"<{name}/> must be a non-negative integer, got {value!r}")
    return int(value)


_ROOM = {"presence": _presence, "message": _message, "iq": _iq}
_SERVICE = {"presence": _service_presence, "message": _service_message, "iq": _service_iq}


# Small helpers -----------------------------------------------------------------

def _find(elem: Element, ns: str, name: str) -> Element | None:
    return elem.find(f"{{{ns}}}{name}")


def _find_stanza_child(elem: Element, name: str) -> Element | None:
    for ns in STANZA_NAMESPACES:
        found = elem.find(f"{{{ns}}}{name}")
        if found is not None:
            return found
    return None


def _text(elem: Element | None) -> str | None:
    return None if elem is None else (elem.text or "")


def _address(value: str | None, where: str) -> str:
    if not value:
        raise _Bad("bad-request", f"<{where}/> needs a 'jid' or 'to' address")
    try:
        return JID.parse(value).full
    except JidError:
        raise _Bad("jid-malformed", f"Malformed address in <{where}/>: {value!r}") from None


def _domain_of(raw: str) -> str | None:
    """The domain of a malformed address, if that part at least is valid."""
    domain = raw.partition("/")[0].rpartition("@")[2]
    try:
        return JID.parse(domain).domain if domain else None
    except JidError:
        return None


def _is(value: str | None, room: str) -> bool:
    if not value:
        return False
    try:
        return JID.parse(value).full == room
    except JidError:
        return False


def _reserved(ns: str, name: str, child: Element, room: str) -> bool:
    """Elements only the room may generate: never forwarded from a client."""
    if ns == NS_MUC_USER and name == "x":
        return True
    if ns == NS_OCCUPANT_ID:
        return True
    if ns == NS_SID and name == "stanza-id":
        return _is(child.get("by"), room)
    if ns == NS_DELAY and name == "delay":
        return _is(child.get("from"), room)
    return False


def _condition(elem: Element) -> str:
    """The defined condition of a stanza's <error/>, 'undefined-condition' if none."""
    error = _find_stanza_child(elem, "error")
    if error is not None:
        for child in error:
            ns, name = split_tag(child.tag) if isinstance(child.tag, str) else ("", "")
            if ns == NS_STANZAS and name != "text":
                return name
    return "undefined-condition"
