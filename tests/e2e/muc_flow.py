"""Helpers for the entering, owner and discovery scenarios: raw IQs, whole join
sequences in arrival order, and readers for the XML a client received."""
from __future__ import annotations

import itertools
import secrets
from contextlib import AsyncExitStack, asynccontextmanager
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

from tests.e2e.muc import NS_MUC, NS_OWNER, NS_STANZAS, NS_USER, codes, is_from
from tests.e2e.xmpp_clients import connected_client

NS_CLIENT = "jabber:client"
NS_DATA = "jabber:x:data"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items"
NS_ADMIN = "http://jabber.org/protocol/muc#admin"
NS_SID = "urn:xmpp:sid:0"
NS_OCCUPANT_ID = "urn:xmpp:occupant-id:0"
NS_DELAY = "urn:xmpp:delay"
ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig"
_ids = itertools.count()


@asynccontextmanager
async def online(prosody, accounts):
    """Log in every account (jid, password) on `prosody`; yields the clients."""
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(
            connected_client(*a, "127.0.0.1", prosody.c2s_port)) for a in accounts]


def new_room(domain: str, prefix: str = "r") -> str:
    return f"{prefix}{secrets.token_hex(4)}@{domain}"


async def iq(client, to: str, inner: str, type: str = "get", timeout: float = 20.0):
    """Send an IQ and return its answer (result or error)."""
    iq_id = f"q{next(_ids)}"
    client.send_raw(f"<iq type='{type}' to={quoteattr(to)} id='{iq_id}'>{inner}</iq>")
    return await client.wait_for_stanza(lambda s: s.name == "iq" and s["id"] == iq_id
                                        and s["type"] in ("result", "error"), timeout)


def is_subject(stanza, room: str) -> bool:
    x = stanza.xml
    return stanza.name == "message" and x.find(f"{{{NS_CLIENT}}}subject") is not None \
        and x.find(f"{{{NS_CLIENT}}}body") is None \
        and str(stanza["from"]).split("/", 1)[0] == room


async def enter(client, room: str, nick: str, *, muc_x: str = "", attrs: str = "",
                timeout: float = 30.0) -> list:
    """Join and return everything received from the room up to and including the
    subject (or the error), in arrival order. Anything received before is dropped
    first (an older subject would end the wait too early), and what is not from the
    room (the client's own presence from its server) is left out."""
    client.inbox.drain()
    client.send_raw(f"<presence to={quoteattr(f'{room}/{nick}')}{attrs}>"
                    f"<x xmlns='{NS_MUC}'>{muc_x}</x></presence>")
    subject = await client.wait_for_stanza(lambda s: is_subject(s, room)
                                           or (s.name == "presence" and s["type"] == "error"),
                                           timeout)
    return [s for s in client.inbox.drain() if str(s["from"]).split("/", 1)[0] == room] + [subject]


async def create(client, room: str, nick: str, *fields: str) -> None:
    """Create a room and submit `fields` as its first configuration, then forget
    everything received so far."""
    seq = await enter(client, room, nick)
    assert 201 in codes(seq[-2]), ET.tostring(seq[-2].xml)
    reply = await configure(client, room, *fields)
    assert reply["type"] == "result", reply
    client.inbox.drain()


async def configure(client, room: str, *fields: str, form_type: str = "submit"):
    form_type_field = field("FORM_TYPE", ROOMCONFIG) if fields else ""
    return await iq(client, room, f"<query xmlns='{NS_OWNER}'><x xmlns='{NS_DATA}' "
                                  f"type='{form_type}'>{form_type_field}{''.join(fields)}</x>"
                                  "</query>", "set")


def field(var: str, *values: str) -> str:
    vals = "".join(f"<value>{_text(v)}</value>" for v in values)
    return f"<field var={quoteattr(var)}>{vals}</field>"


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


async def presence_from(client, full: str, timeout: float = 20.0, unavailable: bool | None = None):
    def match(s):
        return s.name == "presence" and is_from(s, full) and s["type"] != "error" and (
            unavailable is None or (s["type"] == "unavailable") == unavailable)
    return await client.wait_for_stanza(match, timeout)


async def barrier(sender, receivers, room: str) -> None:
    """A groupchat from `sender` seen by every receiver: whatever the room sent them
    before it has arrived (one ordered path per room)."""
    marker = f"barrier-{secrets.token_hex(3)}"
    sender.send_raw(f"<message to={quoteattr(room)} type='groupchat'><body>{marker}</body></message>")
    for client in receivers:
        await client.wait_for_stanza(lambda s: s.name == "message" and s["body"] == marker)


# Readers ---------------------------------------------------------------------------

def error_of(stanza) -> tuple[str | None, str | None, str | None]:
    """(condition, type, by) of a stanza error."""
    err = stanza.xml.find(f"{{{NS_CLIENT}}}error")
    if err is None:
        return None, None, None
    cond = next((c.tag.split("}", 1)[1] for c in err
                 if c.tag.startswith(f"{{{NS_STANZAS}}}") and not c.tag.endswith("}text")), None)
    return cond, err.get("type"), err.get("by")


def user_x(stanza) -> ET.Element | None:
    return stanza.xml.find(f"{{{NS_USER}}}x")


def status_codes(stanza) -> list[int]:
    return [int(s.get("code")) for s in stanza.xml.iter(f"{{{NS_USER}}}status")]


def occupant_id(stanza) -> str | None:
    found = stanza.xml.findall(f"{{{NS_OCCUPANT_ID}}}occupant-id")
    assert len(found) <= 1, ET.tostring(stanza.xml)
    return found[0].get("id") if found else None


def form_fields(parent: ET.Element) -> dict[str, ET.Element]:
    x = parent.find(f"{{{NS_DATA}}}x")
    assert x is not None, ET.tostring(parent)
    return {f.get("var"): f for f in x.iter(f"{{{NS_DATA}}}field") if f.get("var")}


def values(fld: ET.Element) -> list[str]:
    return [v.text or "" for v in fld.findall(f"{{{NS_DATA}}}value")]


def disco_features(stanza) -> set[str]:
    q = stanza.xml.find(f"{{{NS_DISCO_INFO}}}query")
    return {f.get("var") for f in q.findall(f"{{{NS_DISCO_INFO}}}feature")}


def disco_items(stanza) -> list[ET.Element]:
    q = stanza.xml.find(f"{{{NS_DISCO_ITEMS}}}query")
    return q.findall(f"{{{NS_DISCO_ITEMS}}}item")
