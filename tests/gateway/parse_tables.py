"""Shared helpers of the parser tables (test_parse.py, test_parse_iq.py): stanzas are
parsed the way slixmpp hands them over on a component stream."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from gateway.parse import parse_stanza

STREAM = ("<stream:stream xmlns='jabber:component:accept' "
          "xmlns:stream='http://etherx.jabber.org/streams' to='chat.shakespeare.lit'>")
ROOM = "coven@chat.shakespeare.lit"
USER = "hag66@shakespeare.lit/pda"
ADMIN = "http://jabber.org/protocol/muc#admin"
OWNER = "http://jabber.org/protocol/muc#owner"


def stanza(text: str) -> ET.Element:
    """The element slixmpp hands over: parsed inside a component stream, as its
    XMLStream does (XMLPullParser, an element per depth-1 'end' event)."""
    parser = ET.XMLPullParser(("start", "end"))
    parser.feed(STREAM + text)
    depth = 0
    for event, elem in parser.read_events():
        depth += 1 if event == "start" else -1
        if event == "end" and depth == 1:
            return elem
    raise AssertionError("no stanza in input")


def command(text: str):
    parsed = parse_stanza(stanza(text))
    assert parsed.error is None, parsed.error
    assert not parsed.ignored, parsed.ignored
    return parsed.command


def payload_tags(payload: str) -> list[str]:
    """Top-level tags of a payload, re-parsed the way it will reach the client."""
    return [child.tag for child in stanza(f"<message>{payload}</message>")]


def iq(body: str, type: str = "get", to: str = ROOM, id: str = "q1") -> str:
    return f"<iq from='{USER}' id='{id}' to='{to}' type='{type}'>{body}</iq>"
