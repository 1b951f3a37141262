"""The room core's outgoing effects -> XML strings. Pure: no I/O.

A stanza is rendered once into a Template whose only varying part is the
recipient address (`prefix + to + suffix`); gateway/renderer.py's Renderer then
makes one string per recipient by concatenation. Strings are built by hand (no
ElementTree, no slixmpp objects) and carry no xmlns on the top element: they
inherit jabber:component:accept from the component stream (slixmpp's
send_raw() writes them as they are).

Payload strings (from gateway.parse) are inserted verbatim. The elements the
renderer writes from effect fields (status, muc#user <x/>, stanza-id,
occupant-id, delay) are stripped from payloads by the parser, so each appears
once. <subject/> is written from MessageOut.subject: payloads of messages to the
room never carry one (private messages keep theirs in the payload and the core
leaves MessageOut.subject None for them). MessageOut.thread becomes <continue/>
in an invitation, otherwise a <thread/> (set it only when the payload has none).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from actors.core.commands import Form
from actors.core.effects import (
    AdminListResult, DeclineOut, DestroyNotice, DiscoInfoResult, DiscoItemsResult,
    ErrorOut, FormField, FormResult, Invitation, IqOut, IqResult, Item, MessageOut, PresenceOut,
    ResultSetPage,
)
from actors.core.errors import XmppError

from .parse import ErrorReply
from .xml import (
    NS_DATA, NS_DELAY, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC, NS_MUC_ADMIN, NS_MUC_REQUEST,
    NS_MUC_USER, NS_OCCUPANT_ID, NS_RSM, NS_SID, NS_STANZAS, ATTR_SPECIAL, escape_attr as _a,
    escape_text as _t,
)

_USER_X = f"<x xmlns='{NS_MUC_USER}'/>"
_MUC_X = f"<x xmlns='{NS_MUC}'/>"

# XEP-0045 §8.6: what the service's voice approval form shows for each field.
_REQUEST_FIELDS = {
    "FORM_TYPE": ("hidden", ""),
    "muc#role": ("list-single", "Requested role"),
    "muc#jid": ("jid-single", "User ID"),
    "muc#roomnick": ("text-single", "Room Nickname"),
    "muc#request_allow": ("boolean", "Grant voice to this person?"),
}
_REQUEST_INSTRUCTIONS = ("To approve this request for voice, select the \"Grant voice to this "
                         "person?\" checkbox and click OK. To skip this request, click the "
                         "cancel button.")


@dataclass(frozen=True, slots=True)
class Template:
    """A rendered stanza missing only its recipient: prefix + escaped 'to' + suffix."""
    prefix: str
    suffix: str

    def fill(self, to: str) -> str:
        return self.prefix + (to if ATTR_SPECIAL.search(to) is None else _a(to)) + self.suffix


def template(stanza: object, room: str) -> Template:
    """Render `stanza` as sent by `room` (a bare room JID, or the service domain for
    service-level answers). Raises TypeError for a value that is not a stanza effect."""
    build = _BUILDERS.get(type(stanza))
    if build is None:
        raise TypeError(f"cannot render {type(stanza).__name__} as a stanza")
    return build(stanza, room)


def render(stanza: object, to: str, room: str) -> str:
    """The slow path: one stanza to one recipient."""
    return template(stanza, room).fill(to)


def render_error_reply(reply: ErrorReply) -> str:
    """The answer to a stanza gateway.parse could not turn into a command."""
    inner = (_MUC_X if reply.kind == "presence" else "") + _error(reply.error, reply.by)
    return _template(reply.kind, reply.from_, _attrs(type="error", id=reply.id),
                     inner).fill(reply.to)


# Builders ----------------------------------------------------------------------

def _template(name: str, from_: str, attrs: str, inner: str) -> Template:
    prefix = f"<{name} from='{_a(from_)}' to='"
    if inner:
        return Template(prefix, f"'{attrs}>{inner}</{name}>")
    return Template(prefix, f"'{attrs}/>")


def _attrs(**values: str | None) -> str:
    return "".join(f" {k}='{_a(v)}'" for k, v in values.items() if v is not None)


def _from(room: str, nick: str | None) -> str:
    return room if nick is None else f"{room}/{nick}"


def _presence(p: PresenceOut, room: str) -> Template:
    parts = [p.payload]
    if p.status is not None:
        parts.append(f"<status>{_t(p.status)}</status>")
    user = []
    if p.item is not None:
        user.append(admin_item(p.item))
    user.extend(f"<status code='{code}'/>" for code in p.codes)
    if p.destroy is not None:
        user.append(_destroy(p.destroy))
    if user:
        parts.append(f"<x xmlns='{NS_MUC_USER}'>{''.join(user)}</x>")
    if p.occupant_id:
        parts.append(f"<occupant-id xmlns='{NS_OCCUPANT_ID}' id='{_a(p.occupant_id)}'/>")
    return _template("presence", f"{room}/{p.nick}",
                     _attrs(type="unavailable" if p.unavailable else None, id=p.id),
                     "".join(parts))


def admin_item(item: Item) -> str:
    attrs = _attrs(affiliation=item.affiliation or None, jid=item.jid, nick=item.nick,
                   role=item.role or None)
    inner = ""
    if item.actor_nick is not None or item.actor_jid is not None:
        inner += f"<actor{_attrs(jid=item.actor_jid, nick=item.actor_nick)}/>"
    if item.reason:
        inner += f"<reason>{_t(item.reason)}</reason>"
    return f"<item{attrs}>{inner}</item>" if inner else f"<item{attrs}/>"


def _destroy(d: DestroyNotice) -> str:
    inner = ""
    if d.reason:
        inner += f"<reason>{_t(d.reason)}</reason>"
    if d.password is not None:
        inner += f"<password>{_t(d.password)}</password>"
    attrs = _attrs(jid=d.alternate)
    return f"<destroy{attrs}>{inner}</destroy>" if inner else f"<destroy{attrs}/>"


def _message(m: MessageOut, room: str) -> Template:
    parts = [m.payload]
    if m.subject is not None:
        parts.append(f"<subject>{_t(m.subject)}</subject>" if m.subject else "<subject/>")
    if m.body is not None:
        parts.append(f"<body>{_t(m.body)}</body>")
    if m.thread is not None and m.invite_from is None:
        parts.append(f"<thread>{_t(m.thread)}</thread>")
    user = [f"<status code='{code}'/>" for code in m.codes]
    if m.invite_from is not None:
        user.append(_invite(m.invite_from, m.reason, m.thread))
    if m.decline_from is not None:
        user.append(_decline(m.decline_from, m.reason))
    if m.password is not None:
        user.append(f"<password>{_t(m.password)}</password>")
    if user:
        parts.append(f"<x xmlns='{NS_MUC_USER}'>{''.join(user)}</x>")
    elif m.private:
        parts.append(_USER_X)
    if m.form is not None:
        parts.append(_data_form(m.form))
    if m.occupant_id:
        parts.append(f"<occupant-id xmlns='{NS_OCCUPANT_ID}' id='{_a(m.occupant_id)}'/>")
    if m.stanza_id:
        parts.append(f"<stanza-id xmlns='{NS_SID}' id='{_a(m.stanza_id)}' by='{_a(room)}'/>")
    if m.delay is not None:
        parts.append(f"<delay xmlns='{NS_DELAY}' from='{_a(room)}' stamp='{format_stamp(m.delay)}'/>")
    return _template("message", _from(room, m.nick), _attrs(type=m.type or None, id=m.id),
                     "".join(parts))


def _invite(sender: str, reason: str | None, thread: str | None) -> str:
    inner = f"<reason>{_t(reason)}</reason>" if reason else ""
    if thread is not None:
        inner += f"<continue{_attrs(thread=thread or None)}/>"
    return f"<invite from='{_a(sender)}'>{inner}</invite>" if inner \
        else f"<invite from='{_a(sender)}'/>"


def _decline(sender: str, reason: str | None) -> str:
    if reason:
        return f"<decline from='{_a(sender)}'><reason>{_t(reason)}</reason></decline>"
    return f"<decline from='{_a(sender)}'/>"


def _invitation(inv: Invitation, room: str) -> Template:
    user = _invite(inv.sender, inv.reason, inv.continue_thread)
    if inv.password is not None:
        user += f"<password>{_t(inv.password)}</password>"
    return _template("message", room, _attrs(id=inv.id), f"<x xmlns='{NS_MUC_USER}'>{user}</x>")


def _decline_out(dec: DeclineOut, room: str) -> Template:
    return _template("message", room, _attrs(id=dec.id),
                     f"<x xmlns='{NS_MUC_USER}'>{_decline(dec.sender, dec.reason)}</x>")


def _data_form(form: Form) -> str:
    """An XEP-0004 form from (var, values) pairs; FORM_TYPE is always hidden.
    Voice approval forms (muc#request, type form) get XEP-0045 §8.6's labels."""
    voice = form.type == "form" and form.get("FORM_TYPE") == (NS_MUC_REQUEST,)
    parts = []
    if voice:
        parts.append(f"<title>Voice request</title><instructions>{_t(_REQUEST_INSTRUCTIONS)}"
                     "</instructions>")
    for var, values in form.fields:
        ftype, label = _REQUEST_FIELDS.get(var, ("", "")) if voice else ("", "")
        if var == "FORM_TYPE":
            ftype = "hidden"
        parts.append(_field(var, ftype or None, label or None, values, ()))
    return f"<x xmlns='{NS_DATA}' type='{_a(form.type)}'>{''.join(parts)}</x>"


def _field(var: str, ftype: str | None, label: str | None, values: tuple[str, ...],
           options: tuple[tuple[str, str], ...]) -> str:
    inner = "".join(f"<value>{_t(v)}</value>" for v in values)
    inner += "".join(f"<option{_attrs(label=text or None)}><value>{_t(value)}</value></option>"
                     for value, text in options)        # options are (value, label)
    attrs = _attrs(type=ftype, label=label, var=var)
    return f"<field{attrs}>{inner}</field>" if inner else f"<field{attrs}/>"


# IQs ----------------------------------------------------------------------------

def _iq_result(r: IqResult, room: str) -> Template:
    return _template("iq", _from(room, r.nick), _attrs(type="result", id=r.id),
                     _iq_payload(r.payload))


def _iq_payload(payload: object) -> str:
    if payload is None:
        return ""
    if isinstance(payload, str):
        return payload
    build = _PAYLOADS.get(type(payload))
    if build is None:
        raise TypeError(f"cannot render {type(payload).__name__} as an IQ result")
    return build(payload)


def _disco_info(d: DiscoInfoResult) -> str:
    parts = [f"<identity{_attrs(category=cat, type=typ, name=name or None)}/>"
             for cat, typ, name in d.identities]
    parts.extend(f"<feature var='{_a(f)}'/>" for f in d.features)
    parts.extend(_data_form(form) for form in d.forms)
    return f"<query xmlns='{NS_DISCO_INFO}'{_attrs(node=d.node)}>{''.join(parts)}</query>"


def disco_item(item: tuple[str, str, str | None]) -> str:
    jid, name, node = item
    return f"<item{_attrs(jid=jid, name=name or None, node=node)}/>"


def _disco_items(d: DiscoItemsResult) -> str:
    items = "".join(map(disco_item, d.items))
    if d.page is not None:
        items += _rsm_set(d.page)
    if not items:
        return f"<query xmlns='{NS_DISCO_ITEMS}'{_attrs(node=d.node)}/>"
    return f"<query xmlns='{NS_DISCO_ITEMS}'{_attrs(node=d.node)}>{items}</query>"


def _rsm_set(page: ResultSetPage) -> str:
    inner = ""
    if page.first is not None:
        index = _attrs(index=None if page.first_index is None else str(page.first_index))
        inner += f"<first{index}>{_t(page.first)}</first><last>{_t(page.last or '')}</last>"
    return f"<set xmlns='{NS_RSM}'>{inner}<count>{page.count}</count></set>"


def _admin_list(a: AdminListResult) -> str:
    items = "".join(admin_item(item) for item in a.items)
    if a.page is not None:
        items += _rsm_set(a.page)
    if not items:
        return f"<query xmlns='{NS_MUC_ADMIN}'/>"
    return f"<query xmlns='{NS_MUC_ADMIN}'>{items}</query>"


def _form_result(f: FormResult) -> str:
    parts = ["<registered/>"] if f.registered else []
    if f.username is not None:
        parts.append(f"<username>{_t(f.username)}</username>")
    if f.registered and not f.fields:       # XEP-0077: <registered/> alone, no form
        return f"<query xmlns='{_a(f.namespace)}'>{''.join(parts)}</query>"
    form = [f"<title>{_t(f.title)}</title>"] if f.title else []
    if f.instructions:
        form.append(f"<instructions>{_t(f.instructions)}</instructions>")
    if f.form_type and not any(fld.var == "FORM_TYPE" for fld in f.fields):
        form.append(_field("FORM_TYPE", "hidden", None, (f.form_type,), ()))
    form.extend(_form_field(fld) for fld in f.fields)
    parts.append(f"<x xmlns='{NS_DATA}' type='form'>{''.join(form)}</x>")
    return f"<query xmlns='{_a(f.namespace)}'>{''.join(parts)}</query>"


def _form_field(fld: FormField) -> str:
    return _field(fld.var, fld.type or None, fld.label or None, fld.values, fld.options)


def _iq_out(iq: IqOut, room: str) -> Template:
    return _template("iq", _from(room, iq.nick), _attrs(type=iq.type, id=iq.id), iq.payload)


# Errors -------------------------------------------------------------------------

def _error_out(e: ErrorOut, room: str) -> Template:
    if e.kind not in ("presence", "message", "iq"):
        raise ValueError(f"ErrorOut.kind must be presence, message or iq, not {e.kind!r}")
    # XEP-0045 examples echo the MUC <x/> in presence errors (join, nick change).
    inner = (_MUC_X if e.kind == "presence" else "") + e.payload + _error(e.error, room)
    return _template(e.kind, _from(room, e.nick), _attrs(type="error", id=e.id), inner)


def _error(err: XmppError, by: str | None) -> str:
    inner = f"<{err.condition} xmlns='{NS_STANZAS}'/>"
    if err.text:
        inner += f"<text xmlns='{NS_STANZAS}'>{_t(err.text)}</text>"
    return f"<error{_attrs(by=by, type=err.type)}>{inner}</error>"


def format_stamp(epoch: float) -> str:
    """XEP-0082 DateTime in UTC with milliseconds: 2002-10-13T23:58:37.000Z."""
    millis = int(round(epoch * 1000))
    secs, ms = divmod(millis, 1000)
    return datetime.fromtimestamp(secs, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{ms:03d}Z"


_BUILDERS = {
    PresenceOut: _presence,
    MessageOut: _message,
    Invitation: _invitation,
    DeclineOut: _decline_out,
    IqResult: _iq_result,
    IqOut: _iq_out,
    ErrorOut: _error_out,
}
_PAYLOADS = {
    DiscoInfoResult: _disco_info,
    DiscoItemsResult: _disco_items,
    AdminListResult: _admin_list,
    FormResult: _form_result,
}
