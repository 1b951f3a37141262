"""gateway.parse_iq through gateway.parse: IQs to a room and every stanza to the
service domain (mostly XEP-0045's own examples) -> core commands."""
from __future__ import annotations

import pytest

from actors.core import commands as c
from gateway.parse import (
    Parsed, ServiceDiscoInfo, ServiceDiscoItems, ServiceIq, ServiceMessage, ServicePing,
    parse_stanza,
)
from tests.gateway.parse_tables import ADMIN, OWNER, ROOM, USER, iq, stanza


# IQ to the room ---------------------------------------------------------------------


IQS = [
    ("disco#info", iq("<query xmlns='http://jabber.org/protocol/disco#info'/>"),
     c.DiscoInfo(USER, "q1")),
    ("disco#info with node", iq("<query xmlns='http://jabber.org/protocol/disco#info' node='x'/>"),
     c.DiscoInfo(USER, "q1", node="x")),
    ("disco#items", iq("<query xmlns='http://jabber.org/protocol/disco#items'/>"),
     c.DiscoItems(USER, "q1")),
    ("ping the room", iq("<ping xmlns='urn:xmpp:ping'/>"), c.Ping(USER, "q1")),
    ("ban list request (ex. 120)", iq(f"<query xmlns='{ADMIN}'><item affiliation='outcast'/></query>"),
     c.AdminGet(USER, "q1", (c.AdminItem(affiliation="outcast"),))),
    ("kick (ex. 93)",
     iq(f"<query xmlns='{ADMIN}'><item nick='pistol' role='none'><reason>Avaunt, you cullion!</reason>"
        "</item></query>", "set"),
     c.AdminSet(USER, "q1", (c.AdminItem(role="none", nick="pistol", reason="Avaunt, you cullion!"),))),
    ("ban two by JID",
     iq(f"<query xmlns='{ADMIN}'><item affiliation='outcast' jid='EarlOfCambridge@shakespeare.lit'/>"
        "<item affiliation='outcast' jid='lordscroop@shakespeare.lit'><reason>Treason</reason></item>"
        "</query>", "set"),
     c.AdminSet(USER, "q1", (c.AdminItem("outcast", jid="earlofcambridge@shakespeare.lit"),
                             c.AdminItem("outcast", jid="lordscroop@shakespeare.lit", reason="Treason")))),
    ("configuration form request", iq(f"<query xmlns='{OWNER}'/>"), c.OwnerGet(USER, "q1")),
    ("instant room (ex. 155)",
     iq(f"<query xmlns='{OWNER}'><x xmlns='jabber:x:data' type='submit'/></query>", "set"),
     c.OwnerSet(USER, "q1", form=c.Form("submit"))),
    ("configuration submission with multi values",
     iq(f"<query xmlns='{OWNER}'><x xmlns='jabber:x:data' type='submit'>"
        "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>"
        "<field var='muc#roomconfig_roomname'><value>A Dark Cave</value></field>"
        "<field var='muc#roomconfig_roomowners'><value>wiccarocks@shakespeare.lit</value>"
        "<value>hecate@shakespeare.lit</value></field>"
        "<field var='muc#roomconfig_roomdesc'><value/></field>"
        "<field type='fixed'><value>a note</value></field></x></query>", "set"),
     c.OwnerSet(USER, "q1", form=c.Form("submit", (
         ("FORM_TYPE", ("http://jabber.org/protocol/muc#roomconfig",)),
         ("muc#roomconfig_roomname", ("A Dark Cave",)),
         ("muc#roomconfig_roomowners", ("wiccarocks@shakespeare.lit", "hecate@shakespeare.lit")),
         ("muc#roomconfig_roomdesc", ("",)))))),
    ("cancel initial configuration",
     iq(f"<query xmlns='{OWNER}'><x xmlns='jabber:x:data' type='cancel'/></query>", "set"),
     c.OwnerSet(USER, "q1", form=c.Form("cancel"))),
    ("destroy (ex. 201)",
     iq(f"<query xmlns='{OWNER}'><destroy jid='coven@chat.shakespeare.lit'><reason>Macbeth doth come."
        "</reason><password>cauldronburn</password></destroy></query>", "set"),
     c.OwnerSet(USER, "q1", destroy=c.DestroyRequest("Macbeth doth come.", ROOM, "cauldronburn"))),
    ("destroy without alternate", iq(f"<query xmlns='{OWNER}'><destroy/></query>", "set"),
     c.OwnerSet(USER, "q1", destroy=c.DestroyRequest())),
    ("registration form request", iq("<query xmlns='jabber:iq:register'/>"), c.RegisterGet(USER, "q1")),
    ("registration submission",
     iq("<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>"
        "<field var='muc#register_roomnick'><value>thirdwitch</value></field></x></query>", "set"),
     c.RegisterSet(USER, "q1", form=c.Form("submit", (("muc#register_roomnick", ("thirdwitch",)),)))),
    ("unregister", iq("<query xmlns='jabber:iq:register'><remove/></query>", "set"),
     c.RegisterSet(USER, "q1", remove=True)),
    # To an occupant JID
    ("self-ping (XEP-0410)", iq("<ping xmlns='urn:xmpp:ping'/>", to=f"{ROOM}/thirdwitch"),
     c.Ping(USER, "q1", "thirdwitch")),
    ("vCard of an occupant is forwarded", iq("<vCard xmlns='vcard-temp'/>", to=f"{ROOM}/firstwitch"),
     c.IqToOccupant(USER, "q1", "firstwitch", "get", "<vCard xmlns='vcard-temp'/>",
                    "vcard-temp")),
    ("disco to an occupant is forwarded",
     iq("<query xmlns='http://jabber.org/protocol/disco#info'/>", to=f"{ROOM}/firstwitch"),
     c.IqToOccupant(USER, "q1", "firstwitch", "get",
                    "<query xmlns='http://jabber.org/protocol/disco#info'/>",
                    "http://jabber.org/protocol/disco#info")),
    ("a set to an occupant is forwarded",
     iq("<query xmlns='urn:x:custom'><a>1</a></query>", "set", to=f"{ROOM}/firstwitch"),
     c.IqToOccupant(USER, "q1", "firstwitch", "set", "<query xmlns='urn:x:custom'><a>1</a></query>",
                    "urn:x:custom")),
    ("an occupant's answer to a forwarded iq",
     iq("<vCard xmlns='vcard-temp'><FN>Hag</FN></vCard>", "result", to=f"{ROOM}/firstwitch"),
     c.IqResponseFromOccupant(USER, "q1", "result", "<vCard xmlns='vcard-temp'><FN>Hag</FN></vCard>")),
    ("an occupant's error to a forwarded iq",
     iq("<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
        "error", to=f"{ROOM}/firstwitch"),
     c.IqResponseFromOccupant(USER, "q1", "error", "<error type='cancel'><service-unavailable "
                              "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
                              "service-unavailable")),
    ("an answer to the room's own presence probe (actors/core/probe.py)",
     iq("<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
        "</error>", "error", to=ROOM, id="rmprobe-u1-0"),
     c.IqResponseFromOccupant(USER, "rmprobe-u1-0", "error", "<error type='cancel'><item-not-"
                              "found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
                              "item-not-found")),
]


@pytest.mark.parametrize("xml,expected", [i[1:] for i in IQS], ids=[i[0] for i in IQS])
def test_iq(xml, expected):
    assert parse_stanza(stanza(xml)) == Parsed(ROOM, command=expected)


def test_results_to_the_room_itself_are_ignored():
    parsed = parse_stanza(stanza(iq("", "result")))
    assert parsed.command is None and parsed.error is None and "result" in parsed.ignored


# Service level -----------------------------------------------------------------------

SERVICE = "chat.shakespeare.lit"
SERVICE_CASES = [
    ("disco#info", iq("<query xmlns='http://jabber.org/protocol/disco#info'/>", to=SERVICE),
     ServiceDiscoInfo(USER, "q1")),
    ("disco#items with node",
     iq("<query xmlns='http://jabber.org/protocol/disco#items' node='x'/>", to=SERVICE),
     ServiceDiscoItems(USER, "q1", "x")),
    ("ping", iq("<ping xmlns='urn:xmpp:ping'/>", to=SERVICE), ServicePing(USER, "q1")),
    ("unknown get", iq("<query xmlns='jabber:iq:version'/>", to=SERVICE),
     ServiceIq(USER, "q1", "get", "jabber:iq:version", "<query xmlns='jabber:iq:version'/>")),
    ("muc#unique", iq("<unique xmlns='http://jabber.org/protocol/muc#unique'/>", to=SERVICE),
     ServiceIq(USER, "q1", "get", "http://jabber.org/protocol/muc#unique",
               "<unique xmlns='http://jabber.org/protocol/muc#unique'/>")),
    ("announcement", f"<message from='admin@shakespeare.lit/x' id='a1' to='{SERVICE}'>"
     "<body>Maintenance at noon</body></message>",
     ServiceMessage("admin@shakespeare.lit/x", "Maintenance at noon", "a1")),
]


@pytest.mark.parametrize("xml,expected", [s[1:] for s in SERVICE_CASES], ids=[s[0] for s in SERVICE_CASES])
def test_service_level(xml, expected):
    assert parse_stanza(stanza(xml)) == Parsed(None, command=expected, service_level=True)


@pytest.mark.parametrize("xml", [
    f"<presence from='{USER}' to='{SERVICE}'/>",
    f"<message from='{USER}' to='{SERVICE}'><active xmlns='http://jabber.org/protocol/chatstates'/></message>",
    f"<message from='{USER}' to='{SERVICE}' type='error'><body>x</body></message>",
    iq("<time xmlns='urn:xmpp:time'/>", "result", to=SERVICE),
    iq("", "error", to=SERVICE),
], ids=["presence", "message without body", "message error", "iq result", "iq error"])
def test_service_level_ignored(xml):
    parsed = parse_stanza(stanza(xml))
    assert parsed.service_level and parsed.command is None and parsed.error is None and parsed.ignored


@pytest.mark.parametrize("xml,condition", [
    (iq("", to=SERVICE), "bad-request"),
    (iq("<query xmlns='http://jabber.org/protocol/disco#items'/>", "set", to=SERVICE), "bad-request"),
], ids=["empty iq", "disco set"])
def test_service_level_errors(xml, condition):
    parsed = parse_stanza(stanza(xml))
    assert parsed.service_level and parsed.error.error.condition == condition
    assert parsed.error.by == SERVICE
