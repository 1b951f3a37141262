"""Inbound stanzas -> the room core's typed commands. Pure: no I/O.

Input is an ElementTree element as slixmpp hands it over on an XEP-0114 stream:
the stanza is `{jabber:component:accept}presence|message|iq`; its plain children
are in the same namespace (`jabber:client` is accepted too).

What is forwarded as `payload` (serialised children, written later verbatim into
the outgoing stanza) and what is stripped:
- always stripped, since only the room may generate them (XEP-0045 §17.2,
  XEP-0421, XEP-0359, XEP-0203): muc#user <x/>, <occupant-id/>, <stanza-id/>
  whose by= is the room, <delay/> whose from= is the room;
- message: also every <delay/>, jabber:x:delay and XEP-0033 <addresses/>, so a sender
  can't fake when the room received a message or who sent it;
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

from .parse_common import (
    COUNT, MAX_DEPTH, Bad, Stanza, child_text, domain_of, error_condition, find_child,
    form_type_of, is_message_envelope, is_reserved, parse_address, parse_form, too_deep,
)
from .parse_iq import (
    PageRequest, ServiceDiscoInfo, ServiceDiscoItems, ServiceIq, ServiceMessage, ServicePing,
    room_iq, service_iq, service_message, service_presence,
)
from .xml import (
    NS_DATA, NS_MUC, NS_MUC_REQUEST, NS_MUC_USER, STANZA_NAMESPACES, serialise, split_tag,
)

__all__ = ["ErrorReply", "PageRequest", "Parsed", "ServiceDiscoInfo", "ServiceDiscoItems",
           "ServiceIq", "ServiceMessage", "ServicePing", "parse_stanza"]

MESSAGE_TYPES = frozenset({"normal", "chat", "groupchat", "headline"})
IGNORED_PRESENCE_TYPES = frozenset({"subscribe", "subscribed", "unsubscribe", "unsubscribed",
                                    "probe"})


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


# Entry point -------------------------------------------------------------------

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
        domain = domain_of(raw_to)
        return fail("jid-malformed", "Malformed 'to' address", domain, domain)
    room = to.bare if to.local else None
    service = room is None
    try:
        sender = JID.parse(raw_from).full
    except JidError:
        return fail("jid-malformed", "Malformed 'from' address", to.full, to.bare, room, service)
    if too_deep(elem):
        return fail("policy-violation", f"Elements nested more than {MAX_DEPTH} levels deep",
                    to.full, to.bare, room, service)
    st = Stanza(elem, ns, kind, stype, sid, sender, to.bare, to.resource)
    try:
        if service:
            command = _SERVICE[kind](st)
        else:
            command = _ROOM[kind](st)
    except Bad as bad:
        return fail(bad.error.condition, bad.error.text, to.full, to.bare, room, service)
    if isinstance(command, str):
        return Parsed(room, ignored=command, service_level=service)
    return Parsed(room, command=command, service_level=service)


# Presence ----------------------------------------------------------------------

def _presence(st: Stanza):
    if st.type == "error":
        return c.StanzaError(st.sender, "presence", error_condition(st.elem), st.nick)
    if st.type in IGNORED_PRESENCE_TYPES:
        return f"presence of type {st.type} to a room"
    if st.type not in (None, "", "unavailable"):
        raise Bad("bad-request", f"Unknown presence type {st.type!r}")
    muc, password, history, status = False, None, None, None
    payload: list[str] = []
    for child in st.elem:
        cns, name = split_tag(child.tag)
        if cns == NS_MUC and name == "x":
            muc = True
            given = child_text(find_child(child, NS_MUC, "password"))
            password = given if given is not None else password
            found = find_child(child, NS_MUC, "history")
            history = _history(found) if found is not None else None
        elif cns in STANZA_NAMESPACES and name == "status":
            if status is None:
                status = child.text or ""
        elif cns == NS_MUC_USER and name == "x" and password is None:
            # Old clients supply the password in muc#user (§17.2); never forwarded.
            password = child_text(find_child(child, NS_MUC_USER, "password"))
        elif not is_reserved(cns, name, child, st.to):
            payload.append(serialise(child, st.ns))
    return c.Presence(st.sender, st.nick, st.type != "unavailable", muc, password, history,
                      status, "".join(payload), st.id)


def _history(elem: Element) -> c.HistoryRequest:
    since = elem.get("since")
    return c.HistoryRequest(_count(elem, "maxchars"), _count(elem, "maxstanzas"),
                            _count(elem, "seconds"),
                            _datetime(since) if since is not None else None)




def _count(elem: Element, attr: str) -> int | None:
    value = elem.get(attr)
    if value is None:
        return None
    if COUNT.fullmatch(value) is None:
        raise Bad("bad-request", f"history {attr} must be a non-negative integer, got {value!r}")
    return int(value)


_DATETIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)")


def _datetime(value: str) -> float:
    """XEP-0082 DateTime (CCYY-MM-DDThh:mm:ss[.sss]TZD) -> epoch seconds."""
    match = _DATETIME.fullmatch(value.strip())
    if match is None:
        raise Bad("bad-request", f"Not an XEP-0082 DateTime: {value!r}")
    year, month, day, hour, minute, second, frac, tzd = match.groups()
    try:
        stamp = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                         tzinfo=timezone.utc).timestamp()
    except ValueError:
        raise Bad("bad-request", f"Not a valid date and time: {value!r}") from None
    if tzd != "Z":
        offset = int(tzd[1:3]) * 3600 + int(tzd[4:6]) * 60
        stamp -= offset if tzd[0] == "+" else -offset
    return stamp + (float(frac) if frac else 0.0)


# Message -------------------------------------------------------------------------

def _message(st: Stanza):
    if st.type == "error":
        return c.StanzaError(st.sender, "message", error_condition(st.elem), st.nick)
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
        elif is_reserved(cns, name, child, st.to) or is_message_envelope(cns, name):
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


def _invite_or_decline(st: Stanza, x: Element):
    invites = x.findall(f"{{{NS_MUC_USER}}}invite")
    declines = x.findall(f"{{{NS_MUC_USER}}}decline")
    if invites and declines:
        raise Bad("bad-request", "A message cannot both invite and decline")
    if invites:
        invitees = tuple((parse_address(inv.get("to"), "invite"), child_text(find_child(inv, NS_MUC_USER, "reason")) or "")
                         for inv in invites)
        cont = None
        for inv in invites:
            found = find_child(inv, NS_MUC_USER, "continue")
            if found is not None:
                cont = found.get("thread", "")
                break
        password = child_text(find_child(x, NS_MUC_USER, "password"))
        return c.Invite(st.sender, invitees, password, st.id, cont)
    if declines:
        if len(declines) > 1:
            raise Bad("bad-request", "Only one decline per message")
        dec = declines[0]
        return c.Decline(st.sender, parse_address(dec.get("to"), "decline"),
                         child_text(find_child(dec, NS_MUC_USER, "reason")) or "", st.id)
    return None


def _voice_form(st: Stanza, x: Element, body: str | None):
    if form_type_of(x) == NS_MUC_REQUEST:
        form = parse_form(x)
        if form.get("muc#request_allow") is not None:
            return c.VoiceApproval(st.sender, form, st.id)
        return c.VoiceRequest(st.sender, st.id)
    if x.get("type") == "cancel" and body is None:
        # A moderator skipping a voice approval sends a bare cancel form (XEP-0004).
        return "cancelled data form"
    return None


_ROOM = {"presence": _presence, "message": _message, "iq": room_iq}
_SERVICE = {"presence": service_presence, "message": service_message, "iq": service_iq}


