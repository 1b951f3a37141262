"""IQs to a room, and every stanza to the bare service domain -> typed commands.
Pure: no I/O (see gateway/parse.py for the entry point)."""
from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from actors.core import commands as c
from actors.core.commands import PageRequest
from actors.core.probe import ID_PREFIX as PROBE_ID

from .parse_common import (
    COUNT, Bad, Stanza, child_text, error_condition, find_child, parse_address, parse_form,
    stanza_child,
)
from .xml import (
    NS_DATA, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC_ADMIN, NS_MUC_OWNER, NS_PING, NS_REGISTER,
    NS_RSM, NS_VCARD, serialise, split_tag,
)

AFFILIATIONS = frozenset({"owner", "admin", "member", "outcast", "none"})
ROLES = frozenset({"moderator", "participant", "visitor", "none"})


# Service-level commands (stanzas to the bare service domain) ------------------

@dataclass(frozen=True, slots=True)
class ServiceDiscoInfo:
    sender: str
    id: str
    node: str | None = None


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


# IQ --------------------------------------------------------------------------

def room_iq(st: Stanza):
    if st.type in ("result", "error"):
        if not st.id:
            return f"iq {st.type} without id"
        if not st.nick and not st.id.startswith(PROBE_ID):   # only probes ask from the room
            return f"iq {st.type} to the room itself"
        payload = "".join(serialise(ch, st.ns) for ch in st.elem)
        condition = error_condition(st.elem) if st.type == "error" else ""
        return c.IqResponseFromOccupant(st.sender, st.id, st.type, payload, condition)
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
            raise Bad("service-unavailable", "Rooms have no vCard")
        raise Bad("service-unavailable", f"Rooms do not implement {qns or name!r}")
    expected = "ping" if qns == NS_PING else "query"
    if name != expected:
        raise Bad("feature-not-implemented", f"Unknown element {name!r} in {qns!r}")
    return handler(st, query)


def _iq_query(st: Stanza) -> Element:
    if st.type not in ("get", "set"):
        raise Bad("bad-request", f"Unknown iq type {st.type!r}")
    if not st.id:
        raise Bad("bad-request", "An iq needs an id")
    children = [ch for ch in st.elem if isinstance(ch.tag, str)]
    if len(children) != 1:
        raise Bad("bad-request", f"An iq {st.type} needs exactly one child element, "
                                  f"got {len(children)}")
    return children[0]


def _require_get(st: Stanza, what: str) -> None:
    if st.type != "get":
        raise Bad("bad-request", f"{what} takes type get")


def _disco_info(st: Stanza, q: Element):
    _require_get(st, "disco#info")
    return c.DiscoInfo(st.sender, st.id, node=q.get("node"))


def _disco_items(st: Stanza, q: Element):
    _require_get(st, "disco#items")
    return c.DiscoItems(st.sender, st.id, node=q.get("node"))


def _ping(st: Stanza, q: Element):
    _require_get(st, "ping")
    return c.Ping(st.sender, st.id)


def _admin(st: Stanza, q: Element):
    items = []
    for item in q.iterfind(f"{{{NS_MUC_ADMIN}}}item"):
        aff, role = item.get("affiliation"), item.get("role")
        if aff is not None and aff not in AFFILIATIONS:
            raise Bad("bad-request", f"Unknown affiliation {aff!r}")
        if role is not None and role not in ROLES:
            raise Bad("bad-request", f"Unknown role {role!r}")
        jid = item.get("jid")
        items.append(c.AdminItem(aff, role, parse_address(jid, "item") if jid is not None else None,
                                 item.get("nick"), child_text(find_child(item, NS_MUC_ADMIN, "reason")) or ""))
    if not items:
        raise Bad("bad-request", "A muc#admin query needs at least one <item/>")
    if st.type == "get":
        return c.AdminGet(st.sender, st.id, tuple(items), _page(q))
    return c.AdminSet(st.sender, st.id, tuple(items))


def _owner(st: Stanza, q: Element):
    if st.type == "get":
        return c.OwnerGet(st.sender, st.id)
    destroy = find_child(q, NS_MUC_OWNER, "destroy")
    if destroy is not None:
        alternate = destroy.get("jid")
        return c.OwnerSet(st.sender, st.id, destroy=c.DestroyRequest(
            child_text(find_child(destroy, NS_MUC_OWNER, "reason")) or "",
            parse_address(alternate, "destroy") if alternate else None,
            child_text(find_child(destroy, NS_MUC_OWNER, "password"))))
    x = find_child(q, NS_DATA, "x")
    if x is None:
        raise Bad("bad-request", "A muc#owner set needs a data form or <destroy/>")
    return c.OwnerSet(st.sender, st.id, form=parse_form(x))


def _register(st: Stanza, q: Element):
    if st.type == "get":
        return c.RegisterGet(st.sender, st.id)
    if find_child(q, NS_REGISTER, "remove") is not None:
        return c.RegisterSet(st.sender, st.id, remove=True)
    x = find_child(q, NS_DATA, "x")
    if x is None:
        raise Bad("bad-request", "Registration needs a data form or <remove/>")
    return c.RegisterSet(st.sender, st.id, form=parse_form(x))


_ROOM_IQ = {
    NS_DISCO_INFO: _disco_info,
    NS_DISCO_ITEMS: _disco_items,
    NS_MUC_ADMIN: _admin,
    NS_MUC_OWNER: _owner,
    NS_REGISTER: _register,
    NS_PING: _ping,
}


# Service level -------------------------------------------------------------------

def service_presence(st: Stanza):
    return f"presence of type {st.type or 'available'} to the service"


def service_message(st: Stanza):
    if st.type == "error":
        return "message error to the service"
    body = child_text(stanza_child(st.elem, "body"))
    if body is None:
        return "message without body to the service"
    return ServiceMessage(st.sender, body, st.id)


def service_iq(st: Stanza):
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
    rsm = find_child(query, NS_RSM, "set")
    if rsm is None:
        return None
    after, before = child_text(find_child(rsm, NS_RSM, "after")), child_text(find_child(rsm, NS_RSM, "before"))
    if after is not None and before is not None:
        raise Bad("bad-request", "A result set request can't have both <after/> and <before/>")
    if after == "":
        raise Bad("bad-request", "<after/> needs an item id")
    return PageRequest(_rsm_count(rsm, "max"), after, before, _rsm_count(rsm, "index"))


def _rsm_count(rsm: Element, name: str) -> int | None:
    value = child_text(find_child(rsm, NS_RSM, name))
    if value is None:
        return None
    if COUNT.fullmatch(value) is None:
        raise Bad("bad-request", f"<{name}/> must be a non-negative integer, got {value!r}")
    return int(value)
