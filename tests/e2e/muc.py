"""MUC helpers for end-to-end tests: raw XML out, assertions on the XML that comes back."""
from __future__ import annotations

from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

NS_MUC = "http://jabber.org/protocol/muc"
NS_USER = NS_MUC + "#user"
NS_OWNER = NS_MUC + "#owner"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
ROOM_DOMAIN = "conference.localhost"


def codes(stanza) -> set[int]:
    return {int(s.get("code")) for s in stanza.xml.iter(f"{{{NS_USER}}}status")}


def item(stanza) -> ET.Element | None:
    return stanza.xml.find(f"{{{NS_USER}}}x/{{{NS_USER}}}item")


def error_condition(stanza) -> str | None:
    err = stanza.xml.find("{jabber:client}error")
    if err is None:
        return None
    for child in err:
        if child.tag.startswith(f"{{{NS_STANZAS}}}") and not child.tag.endswith("}text"):
            return child.tag.split("}", 1)[1]
    return None


def is_from(stanza, jid: str) -> bool:
    return str(stanza["from"]) == jid


async def join(client, room: str, nick: str, *, extra: str = "", timeout: float = 30.0):
    """Send a MUC join and return the self-presence (110) or the error presence."""
    full = f"{room}/{nick}"
    client.send_raw(f"<presence to={quoteattr(full)}><x xmlns='{NS_MUC}'>{extra}</x></presence>")
    return await client.wait_for_stanza(
        lambda s: s.name == "presence" and is_from(s, full)
        and (110 in codes(s) or s["type"] == "error"), timeout)


async def create_instant(client, room: str, nick: str):
    """Create a room and accept the default configuration (unlocks it)."""
    pres = await join(client, room, nick)
    assert 201 in codes(pres), ET.tostring(pres.xml)
    await owner_submit(client, room, "")
    return pres


async def persistent_room(owner, room: str, name: str, nick: str = "Owner"):
    """Create a room, configured persistent and named, as `owner`."""
    await create_instant(owner, room, nick)
    reply = await owner_submit(owner, room, field("muc#roomconfig_persistentroom", "1")
                               + field("muc#roomconfig_roomname", name))
    assert reply["type"] == "result", str(reply)


async def owner_submit(client, room: str, fields_xml: str, form_type: str = "submit",
                       timeout: float | None = None):
    iq_id = f"cfg-{id(fields_xml)}-{form_type}"
    client.send_raw(f"<iq type='set' to='{room}' id='{iq_id}'><query xmlns='{NS_OWNER}'>"
                    f"<x xmlns='jabber:x:data' type='{form_type}'>{fields_xml}</x></query></iq>")
    wait = {} if timeout is None else {"timeout": timeout}
    return await client.wait_for_stanza(lambda s: s.name == "iq" and s["id"] == iq_id, **wait)


def field(var: str, *values: str) -> str:
    vals = "".join(f"<value>{v}</value>" for v in values)
    return f"<field var={quoteattr(var)}>{vals}</field>"


async def say(client, room: str, body: str, msg_id: str | None = None) -> None:
    mid = f" id={quoteattr(msg_id)}" if msg_id else ""
    client.send_raw(f"<message to={quoteattr(room)} type='groupchat'{mid}><body>{body}</body></message>")


async def groupchat_from(client, room_nick: str, body: str | None = None, timeout: float = 30.0):
    return await client.wait_for_stanza(
        lambda s: s.name == "message" and s["type"] == "groupchat" and is_from(s, room_nick)
        and (body is None or s["body"] == body), timeout)
