"""Rendering end to end: error replies to what could not be parsed, and XML through the
real room core and back (tests/gateway/test_render.py has the effect-by-effect table)."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from actors.core.effects import Deliver, DiscoInfoResult, IqResult
from gateway.parse import parse_stanza
from gateway.render import render, render_error_reply
from gateway.renderer import Renderer
from tests.gateway.test_render import A, CRONE, HAG, ROOM, USER_NS, canonical, received


# Error replies for unparseable input ---------------------------------------------------------

def test_error_reply_for_a_bad_join():
    parsed = parse_stanza(received(
        f"<presence from='{HAG}' id='n1' to='{ROOM}/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'>"
        "<history maxstanzas='many'/></x></presence>"))
    out = render_error_reply(parsed.error)
    assert canonical(out) == canonical(
        f"""<presence from='{ROOM}/thirdwitch' id='n1' to='{HAG}' type='error'>
        <x xmlns='http://jabber.org/protocol/muc'/><error by='{ROOM}' type='modify'>
        <bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
        <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>{parsed.error.error.text}</text></error>
        </presence>""")


def test_error_reply_for_an_unknown_iq():
    parsed = parse_stanza(received(
        f"<iq from='{HAG}' id='v1' to='{ROOM}' type='get'><query xmlns='jabber:iq:version'/></iq>"))
    elem = received(render_error_reply(parsed.error))
    assert (elem.tag, elem.get("type"), elem.get("id"), elem.get("to"), elem.get("from")) == \
           (A + "iq", "error", "v1", HAG, ROOM)
    error = elem.find(A + "error")
    assert error.get("type") == "cancel"
    assert error.find("{urn:ietf:params:xml:ns:xmpp-stanzas}service-unavailable") is not None


def test_error_reply_for_a_malformed_from_is_escaped():
    parsed = parse_stanza(received(f"<message from='a@b@c/&lt;x&gt;' to='{ROOM}'><body>x</body></message>"))
    elem = received(render_error_reply(parsed.error))
    assert elem.get("to") == "a@b@c/<x>"
    assert elem.find(A + "error").find("{urn:ietf:params:xml:ns:xmpp-stanzas}jid-malformed") is not None


def test_service_level_answers_come_from_the_service_domain():
    out = render(IqResult("i1", None, DiscoInfoResult((("conference", "text", "Chatrooms"),),
                                                      ("http://jabber.org/protocol/muc",))),
                 HAG, "chat.shakespeare.lit")
    assert received(out).get("from") == "chat.shakespeare.lit"


# Through the real room core: XML in -> command -> effects -> XML out ----------------------------

def test_pipeline_through_the_room_core():
    from actors.core.policy import ServicePolicy
    from actors.core.room import Room
    from actors.core.state import Env, RoomSeed

    room = Room.new(ROOM, ServicePolicy("chat.shakespeare.lit"), RoomSeed(), CRONE, Env(1.0, "u1"))
    renderer = Renderer()
    clock = iter(range(2, 100))

    def send(xml: str) -> list[ET.Element]:
        parsed = parse_stanza(received(xml))
        assert parsed.command is not None, parsed
        effects = room.handle(parsed.command, Env(float(next(clock)), f"u{next(clock)}"))
        return [received(s) for e in effects if isinstance(e, Deliver)
                for s in renderer.deliver(e, ROOM)]

    send(f"<presence from='{CRONE}' to='{ROOM}/firstwitch'><x xmlns='http://jabber.org/protocol/muc'/>"
         "</presence>")
    send(f"<iq from='{CRONE}' id='c1' to='{ROOM}' type='set'><query xmlns='http://jabber.org/protocol/muc#owner'>"
         "<x xmlns='jabber:x:data' type='submit'/></query></iq>")
    send(f"<presence from='{HAG}' to='{ROOM}/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'/>"
         "<show>away</show></presence>")

    out = send(f"<message from='{HAG}' id='g1' to='{ROOM}' type='groupchat'><subject>Toil</subject>"
               "<body>Double, double</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>")
    assert sorted(e.get("to") for e in out) == sorted([CRONE, HAG])
    for elem in out:
        assert elem.get("from") == f"{ROOM}/thirdwitch" and elem.get("id") == "g1"
        assert [s.text for s in elem.iter(A + "subject")] == ["Toil"]
        assert [b.text for b in elem.iter(A + "body")] == ["Double, double"]
        assert elem.find(f"{{{USER_NS}}}x") is None            # the client's spoofed <x/> is gone
        assert elem.find("{urn:xmpp:sid:0}stanza-id").get("by") == ROOM

    out = send(f"<message from='{HAG}' id='pm1' to='{ROOM}/firstwitch' type='chat'><body>psst</body>"
               "<x xmlns='http://jabber.org/protocol/muc#user'/></message>")
    assert [e.get("to") for e in out] == [CRONE]
    assert len(out[0].findall(f"{{{USER_NS}}}x")) == 1
    assert out[0].find(A + "body").text == "psst"

    out = send(f"<presence from='{HAG}' to='{ROOM}/firstwitch'/>")            # nick taken
    assert [(e.tag, e.get("type"), e.get("to")) for e in out] == [(A + "presence", "error", HAG)]
    assert out[0].find("{http://jabber.org/protocol/muc}x") is not None
