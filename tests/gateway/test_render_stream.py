"""Renderer.stream: a reply's (or a batch's) stanzas as one string for one socket
write, in effect order then recipient order, each a well-formed stanza on the stream."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from actors.core.effects import Deliver, MessageOut, PresenceOut
from gateway.renderer import Renderer

STREAM = ("<stream:stream xmlns='jabber:component:accept' "
          "xmlns:stream='http://etherx.jabber.org/streams' from='chat.shakespeare.lit'>")
ROOM = "coven@chat.shakespeare.lit"


def stanzas(text: str) -> list[ET.Element]:
    parser = ET.XMLPullParser(("start", "end"))
    parser.feed(STREAM + text)
    depth, out = 0, []
    for event, elem in parser.read_events():
        depth += 1 if event == "start" else -1
        if event == "end" and depth == 1:
            out.append(elem)
    return out


def test_stream_is_every_stanza_in_effect_then_recipient_order():
    effects = (Deliver(("a@x/1", "b@x/2"), MessageOut("Crone", id="m1", payload="<body>1</body>")),
               Deliver(("c@x/3",), PresenceOut("Hag", unavailable=True)),
               Deliver(("a@x/1",), MessageOut("Crone", id="m2", payload="<body>2</body>")))
    renderer = Renderer()
    got = stanzas(renderer.stream(effects, ROOM))
    assert [(e.tag.split("}")[1], e.get("to"), e.get("id")) for e in got] == [
        ("message", "a@x/1", "m1"), ("message", "b@x/2", "m1"), ("presence", "c@x/3", None),
        ("message", "a@x/1", "m2")]
    assert renderer.renders == 3                       # once per effect, not per recipient


def test_stream_of_nothing_is_empty():
    assert Renderer().stream((), ROOM) == ""
    assert Renderer().stream((Deliver((), MessageOut("Crone", payload="<body/>")),), ROOM) == ""


def test_recipients_needing_escapes_are_escaped_inside_the_stream():
    effects = (Deliver(("o'neil@x/r&d",), MessageOut("Crone", id="m", payload="<body>hi</body>")),)
    [msg] = stanzas(Renderer().stream(effects, ROOM))
    assert msg.get("to") == "o'neil@x/r&d"
