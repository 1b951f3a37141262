"""Helpers for the occupant use case scenarios (test_occupants.py): config fields,
raw stanzas, and readers for what the clients received."""
from __future__ import annotations

import itertools
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from tests.e2e.admin_room import Room, presence_of
from tests.e2e.muc import NS_USER, is_from
from tests.e2e.muc_flow import NS_DATA, ROOMCONFIG, field

NS_CLIENT = "jabber:client"
NS_REQUEST = "http://jabber.org/protocol/muc#request"
NS_REGISTER = "jabber:iq:register"
NS_MUC_REGISTER = "http://jabber.org/protocol/muc#register"
_ids = itertools.count()


def config(**values: str) -> tuple[str, ...]:
    """Owner form fields: FORM_TYPE plus var=value pairs (var given with '#' as '__')."""
    return (field("FORM_TYPE", ROOMCONFIG),
            *(field(var.replace("__", "#"), value) for var, value in values.items()))


async def create(client, nick: str, **values: str) -> Room:
    return await Room.create(client, nick, *config(**values))


def next_id(prefix: str) -> str:
    return f"{prefix}{next(_ids)}"


def message(to: str, inner: str, *, type: str | None = None, id: str | None = None) -> str:
    attrs = f" to={quoteattr(to)}"
    if type:
        attrs += f" type={quoteattr(type)}"
    if id:
        attrs += f" id={quoteattr(id)}"
    return f"<message{attrs}>{inner}</message>"


def body(text: str) -> str:
    return f"<body>{escape(text)}</body>"


async def message_from(client, jid: str, *, type: str | None = None, timeout: float = 20.0):
    def match(s):
        return s.name == "message" and is_from(s, jid) and (type is None or s["type"] == type)
    return await client.wait_for_stanza(match, timeout)


async def error_reply(client, id: str, timeout: float = 20.0):
    return await client.wait_for_stanza(lambda s: s["type"] == "error" and s["id"] == id,
                                        timeout)


async def iq_reply(client, id: str, timeout: float = 20.0):
    return await client.wait_for_stanza(lambda s: s.name == "iq" and s["id"] == id
                                        and s["type"] in ("result", "error"), timeout)


def user_x_child(stanza, name: str) -> ET.Element | None:
    return stanza.xml.find(f"{{{NS_USER}}}x/{{{NS_USER}}}{name}")


def form_values(x: ET.Element) -> dict[str, list[str]]:
    return {f.get("var"): [v.text or "" for v in f.findall(f"{{{NS_DATA}}}value")]
            for f in x.findall(f"{{{NS_DATA}}}field")}


def data_form(stanza) -> ET.Element | None:
    return stanza.xml.find(f"{{{NS_DATA}}}x")


def submit_form(values: dict[str, str], type: str = "submit") -> str:
    fields = "".join(field(var, value) for var, value in values.items())
    return f"<x xmlns='{NS_DATA}' type='{type}'>{fields}</x>"


__all__ = ["Room", "presence_of"]
