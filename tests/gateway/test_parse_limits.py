"""Hostile shapes of inbound stanzas: deeply nested elements are refused with an
error carrying the stanza's id, and the XML writer never recurses without bound."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from gateway.parse import parse_stanza
from gateway.parse_common import MAX_DEPTH
from gateway.render import render_error_reply
from gateway.xml import serialise
from tests.gateway.parse_tables import ROOM, USER, payload_tags, stanza

A = "{jabber:component:accept}"


def nested(levels: int) -> str:
    return "<a xmlns='urn:x'>" * levels + "</a>" * levels


@pytest.mark.parametrize("wrap", [
    "<message from='{u}' to='{r}' id='deep1' type='groupchat'><body>hi</body>{n}</message>",
    "<presence from='{u}' to='{r}/nick' id='deep1'><x xmlns='http://jabber.org/protocol/muc'/>"
    "{n}</presence>",
    "<iq from='{u}' to='{r}' id='deep1' type='get'>"
    "<query xmlns='http://jabber.org/protocol/disco#info'>{n}</query></iq>",
    "<iq from='{u}' to='chat.shakespeare.lit' id='deep1' type='get'>"
    "<query xmlns='http://jabber.org/protocol/disco#items'>{n}</query></iq>",
])
def test_a_stanza_nested_a_thousand_levels_deep_gets_an_error_with_its_id(wrap):
    parsed = parse_stanza(stanza(wrap.format(u=USER, r=ROOM, n=nested(1000))))
    assert parsed.command is None and parsed.error is not None
    assert parsed.error.error.condition == "policy-violation"
    assert parsed.error.id == "deep1" and f"{MAX_DEPTH} levels" in parsed.error.error.text
    reply = stanza(render_error_reply(parsed.error))
    assert reply.get("type") == "error" and reply.get("id") == "deep1" and reply.get("to") == USER


def test_payloads_up_to_the_depth_limit_are_forwarded():
    levels = MAX_DEPTH - 1           # the message itself is level 1
    parsed = parse_stanza(stanza(f"<message from='{USER}' to='{ROOM}' type='groupchat'>"
                                 f"<body>hi</body>{nested(levels)}</message>"))
    assert parsed.error is None and parsed.command.payload.count("<a") == levels
    too_deep = parse_stanza(stanza(f"<message from='{USER}' to='{ROOM}' type='groupchat'>"
                                   f"{nested(levels + 1)}</message>"))
    assert too_deep.error.error.condition == "policy-violation"


def test_an_error_stanza_nested_too_deep_is_dropped_not_answered():
    parsed = parse_stanza(stanza(f"<message from='{USER}' to='{ROOM}' type='error'>"
                                 f"{nested(1000)}</message>"))
    assert parsed.error is None and parsed.command is None and "policy-violation" in parsed.ignored


def test_the_writer_serialises_any_depth_without_recursion():
    root = ET.Element("{urn:x}a")
    node = root
    for i in range(5000):
        node.text = "t"
        node = ET.SubElement(node, "{urn:x}a", {"n": str(i)})
        node.tail = "&"
    out = serialise(root)
    assert out.count("<a") == 5001 and out.count("</a>") == 5000 and out.endswith("</a>")
    again = ET.fromstring(out)
    assert serialise(again) == out


# What a sender may not say: when the room got a message, or who sent it ----------------

FORGED = ("<delay xmlns='urn:xmpp:delay' from='{r}' stamp='2002-09-10T23:08:25Z'/>"
          "<delay xmlns='urn:xmpp:delay' from='someone@else' stamp='2002-09-10T23:08:25Z'/>"
          "<delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:08:25Z'/>"
          "<x xmlns='jabber:x:delay' from='{r}' stamp='20020910T23:08:25'/>"
          "<addresses xmlns='http://jabber.org/protocol/address'>"
          "<address type='ofrom' jid='admin@shakespeare.lit'/>"
          "<address type='replyto' jid='phisher@evil.example'/></addresses>")
KEPT = ["{jabber:component:accept}body", "{http://jabber.org/protocol/chatstates}active"]


@pytest.mark.parametrize("to, mtype", [("{r}", "groupchat"), ("{r}/firstwitch", "chat")])
def test_delays_and_extended_addresses_of_a_sender_are_never_relayed(to, mtype):
    text = (f"<message from='{USER}' to='{to}' type='{mtype}'><body>hi</body>"
            + FORGED + "<active xmlns='http://jabber.org/protocol/chatstates'/></message>")
    parsed = parse_stanza(stanza(text.replace("{r}", ROOM)))
    assert parsed.error is None
    assert payload_tags(parsed.command.payload) == KEPT
