"""gateway.parse: inbound stanzas (mostly XEP-0045's own examples) -> core commands."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from actors.core import commands as c
from gateway.parse import ErrorReply, Parsed, parse_stanza
from gateway.xml import serialise
from tests.gateway.parse_tables import ADMIN, OWNER, ROOM, USER, command, iq, payload_tags, stanza
# Presence ---------------------------------------------------------------------------

PRESENCES = [
    ("basic join (ex. 18)",
     f"<presence from='{USER}' id='n13mt3l' to='{ROOM}/thirdwitch'>"
     "<x xmlns='http://jabber.org/protocol/muc'/></presence>",
     c.Presence(USER, "thirdwitch", True, muc=True, id="n13mt3l")),
    ("join with password (ex. 27)",
     f"<presence from='{USER}' id='djn4714' to='{ROOM}/thirdwitch'>"
     "<x xmlns='http://jabber.org/protocol/muc'><password>cauldronburn</password></x></presence>",
     c.Presence(USER, "thirdwitch", True, muc=True, password="cauldronburn", id="djn4714")),
    ("legacy password in muc#user",
     f"<presence from='{USER}' to='{ROOM}/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'/>"
     "<x xmlns='http://jabber.org/protocol/muc#user'><password>pw</password></x></presence>",
     c.Presence(USER, "thirdwitch", True, muc=True, password="pw")),
    ("history maxchars",
     f"<presence from='{USER}' to='{ROOM}/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'>"
     "<history maxchars='65000'/></x></presence>",
     c.Presence(USER, "thirdwitch", True, muc=True, history=c.HistoryRequest(maxchars=65000))),
    ("history maxstanzas and seconds",
     f"<presence from='{USER}' to='{ROOM}/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'>"
     "<history maxstanzas='20' seconds='180'/></x></presence>",
     c.Presence(USER, "thirdwitch", True, muc=True,
                history=c.HistoryRequest(maxstanzas=20, seconds=180))),
    ("history since the epoch",
     f"<presence from='{USER}' to='{ROOM}/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'>"
     "<history since='1970-01-01T00:00:00Z'/></x></presence>",
     c.Presence(USER, "thirdwitch", True, muc=True, history=c.HistoryRequest(since=0.0))),
    ("history since with offset and fraction",
     f"<presence from='{USER}' to='{ROOM}/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'>"
     "<history since='2002-10-14T01:58:37.25+02:00'/></x></presence>",
     c.Presence(USER, "thirdwitch", True, muc=True,
                history=c.HistoryRequest(since=1034553517.25))),
    ("empty history element",
     f"<presence from='{USER}' to='{ROOM}/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'>"
     "<history/></x></presence>",
     c.Presence(USER, "thirdwitch", True, muc=True, history=c.HistoryRequest())),
    ("status update keeps show, caps, vcard update; status read out (ex. 61)",
     f"<presence from='wiccarocks@shakespeare.lit/laptop' to='{ROOM}/oldhag'>"
     "<show>xa</show><status>gone where the goblins go</status>"
     "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://x' ver='QgayPKa='/>"
     "<x xmlns='vcard-temp:x:update'><photo>01b87fcd</photo></x></presence>",
     c.Presence("wiccarocks@shakespeare.lit/laptop", "oldhag", True, status="gone where the goblins go",
                payload="<show>xa</show><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
                        "node='http://x' ver='QgayPKa='/>"
                        "<x xmlns='vcard-temp:x:update'><photo>01b87fcd</photo></x>")),
    ("exit with status (ex. 80)",
     f"<presence from='{USER}' to='{ROOM}/thirdwitch' type='unavailable'>"
     "<status>Gone</status></presence>",
     c.Presence(USER, "thirdwitch", False, status="Gone")),
    ("empty status is kept as ''",
     f"<presence from='{USER}' to='{ROOM}/thirdwitch'><status/></presence>",
     c.Presence(USER, "thirdwitch", True, status="")),
    ("addresses normalised, nick kept as sent",
     "<presence from='Hag66@Shakespeare.LIT/PDA' to='Coven@Chat.Shakespeare.lit/Third Witch'/>",
     c.Presence("hag66@shakespeare.lit/PDA", "Third Witch", True)),
    ("presence to the bare room has an empty nick",
     f"<presence from='{USER}' to='{ROOM}'><x xmlns='http://jabber.org/protocol/muc'/></presence>",
     c.Presence(USER, "", True, muc=True)),
    ("spoofed muc#user, occupant-id and room stanza-id are stripped",
     f"<presence from='{USER}' to='{ROOM}/thirdwitch'><priority>5</priority>"
     "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/></x>"
     "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='fake'/></presence>",
     c.Presence(USER, "thirdwitch", True, payload="<priority>5</priority>")),
    ("jabber:client children are written in the stanza namespace",
     f"<presence from='{USER}' to='{ROOM}/thirdwitch'><show xmlns='jabber:client'>dnd</show></presence>",
     c.Presence(USER, "thirdwitch", True, payload="<show>dnd</show>")),
    ("presence error from an occupant's client",
     f"<presence from='{USER}' to='{ROOM}/thirdwitch' type='error'><error type='cancel'>"
     "<remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
     "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>gone</text></error></presence>",
     c.StanzaError(USER, "presence", "remote-server-not-found", "thirdwitch")),
    ("presence error without condition",
     f"<presence from='{USER}' to='{ROOM}' type='error'/>",
     c.StanzaError(USER, "presence", "undefined-condition", "")),
]


@pytest.mark.parametrize("xml,expected", [p[1:] for p in PRESENCES], ids=[p[0] for p in PRESENCES])
def test_presence(xml, expected):
    parsed = parse_stanza(stanza(xml))
    assert parsed == Parsed(ROOM, command=expected)


@pytest.mark.parametrize("ptype", ["subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe"])
def test_subscription_presences_are_ignored(ptype):
    parsed = parse_stanza(stanza(f"<presence from='{USER}' to='{ROOM}' type='{ptype}'/>"))
    assert parsed.command is None and parsed.error is None and ptype in parsed.ignored


# Message ------------------------------------------------------------------------------

GC = f"from='{USER}' id='lh2bs617' to='{ROOM}' type='groupchat'"
MESSAGES = [
    ("groupchat (ex. 48)",
     f"<message {GC}><body>Harpier cries: 'tis time, 'tis time.</body></message>",
     c.Message(USER, "", "groupchat", "lh2bs617", "Harpier cries: 'tis time, 'tis time.",
               payload="<body>Harpier cries: 'tis time, 'tis time.</body>")),
    ("subject change: subject is not in the payload (ex. 163)",
     f"<message {GC}><subject>Fire Burn and Cauldron Bubble!</subject></message>",
     c.Message(USER, "", "groupchat", "lh2bs617", subject="Fire Burn and Cauldron Bubble!")),
    ("empty subject clears it",
     f"<message {GC}><subject/></message>",
     c.Message(USER, "", "groupchat", "lh2bs617", subject="")),
    ("subject with body and thread: body and thread forwarded, subject separate",
     f"<message {GC}><subject>S</subject><body>B</body><thread>T</thread></message>",
     c.Message(USER, "", "groupchat", "lh2bs617", "B", "S", "T", "<body>B</body><thread>T</thread>")),
    ("private message: muc#user <x/> stripped (the renderer adds it)",
     f"<message from='wiccarocks@shakespeare.lit/laptop' id='hgn27af1' to='{ROOM}/firstwitch' "
     "type='chat'><body>I'll give thee a wind.</body>"
     "<x xmlns='http://jabber.org/protocol/muc#user'/></message>",
     c.Message("wiccarocks@shakespeare.lit/laptop", "firstwitch", "chat", "hgn27af1",
               "I'll give thee a wind.", payload="<body>I'll give thee a wind.</body>")),
    ("private message keeps its subject in the payload",
     f"<message from='{USER}' to='{ROOM}/firstwitch' type='chat'><subject>S</subject></message>",
     c.Message(USER, "firstwitch", "chat", subject="S", payload="<subject>S</subject>")),
    ("missing type is normal",
     f"<message from='{USER}' to='{ROOM}/firstwitch'><body>x</body></message>",
     c.Message(USER, "firstwitch", "normal", body="x", payload="<body>x</body>")),
    ("unknown type is normal (RFC 6121 5.2.2)",
     f"<message from='{USER}' to='{ROOM}/firstwitch' type='shout'><body>x</body></message>",
     c.Message(USER, "firstwitch", "normal", body="x", payload="<body>x</body>")),
    ("room-generated ids and every delay stripped (the room's own and a sender's), foreign ids kept",
     f"<message {GC}><body>x</body>"
     f"<stanza-id xmlns='urn:xmpp:sid:0' id='1' by='{ROOM}'/>"
     "<stanza-id xmlns='urn:xmpp:sid:0' id='2' by='COVEN@chat.shakespeare.lit'/>"
     "<stanza-id xmlns='urn:xmpp:sid:0' id='3' by='hag66@shakespeare.lit'/>"
     "<origin-id xmlns='urn:xmpp:sid:0' id='4'/>"
     "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='5'/>"
     f"<delay xmlns='urn:xmpp:delay' from='{ROOM}' stamp='2002-10-13T23:58:37Z'/>"
     "<delay xmlns='urn:xmpp:delay' from='crone1@shakespeare.lit/desktop' stamp='2004-09-29T01:54:37Z'/>"
     "</message>",
     c.Message(USER, "", "groupchat", "lh2bs617", "x", payload=(
         "<body>x</body><stanza-id xmlns='urn:xmpp:sid:0' id='3' by='hag66@shakespeare.lit'/>"
         "<origin-id xmlns='urn:xmpp:sid:0' id='4'/>"))),
    ("XHTML-IM kept with mixed content and xml:lang",
     f"<message {GC}><body xml:lang='en'>hi &amp; bye</body><html xmlns='http://jabber.org/protocol/xhtml-im'>"
     "<body xmlns='http://www.w3.org/1999/xhtml'><p>a <b>&lt;b&gt;</b> c</p></body></html></message>",
     c.Message(USER, "", "groupchat", "lh2bs617", "hi & bye", payload=(
         "<body xml:lang='en'>hi &amp; bye</body><html xmlns='http://jabber.org/protocol/xhtml-im'>"
         "<body xmlns='http://www.w3.org/1999/xhtml'><p>a <b>&lt;b&gt;</b> c</p></body></html>"))),
    ("mediated invitation (ex. 56)",
     f"<message from='crone1@shakespeare.lit/desktop' id='nzd143v8' to='{ROOM}'>"
     "<x xmlns='http://jabber.org/protocol/muc#user'><invite to='hecate@shakespeare.lit'>"
     "<reason>Hey Hecate, this is the place for all good witches!</reason></invite></x></message>",
     c.Invite("crone1@shakespeare.lit/desktop",
              (("hecate@shakespeare.lit", "Hey Hecate, this is the place for all good witches!"),),
              id="nzd143v8")),
    ("invitations to two with continue and password (ex. 67)",
     f"<message from='crone1@shakespeare.lit/desktop' id='gl3s85n7' to='{ROOM}'>"
     "<x xmlns='http://jabber.org/protocol/muc#user'>"
     "<invite to='wiccarocks@shakespeare.lit/laptop'><reason>R</reason>"
     "<continue thread='e0ffe42b28561960c6b12b944a092794b9683a38'/></invite>"
     "<invite to='Hag66@shakespeare.lit'/><password>cauldronburn</password></x></message>",
     c.Invite("crone1@shakespeare.lit/desktop",
              (("wiccarocks@shakespeare.lit/laptop", "R"), ("hag66@shakespeare.lit", "")),
              "cauldronburn", "gl3s85n7", "e0ffe42b28561960c6b12b944a092794b9683a38")),
    ("decline (ex. 58)",
     f"<message from='hecate@shakespeare.lit/broom' id='jk2vs61v' to='{ROOM}'>"
     "<x xmlns='http://jabber.org/protocol/muc#user'><decline to='crone1@shakespeare.lit'>"
     "<reason>Sorry, I'm too busy right now.</reason></decline></x></message>",
     c.Decline("hecate@shakespeare.lit/broom", "crone1@shakespeare.lit",
               "Sorry, I'm too busy right now.", "jk2vs61v")),
    ("voice request (ex. 79)",
     f"<message from='{USER}' id='yd53c486' to='{ROOM}'><x xmlns='jabber:x:data' type='submit'>"
     "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>"
     "<field var='muc#role' type='list-single' label='Requested role'><value>participant</value>"
     "</field></x></message>",
     c.VoiceRequest(USER, "yd53c486")),
    ("voice approval (ex. 115)",
     f"<message from='crone1@shakespeare.lit/pda' id='approve' to='{ROOM}'>"
     "<x xmlns='jabber:x:data' type='submit'>"
     "<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#request</value></field>"
     "<field var='muc#role'><value>participant</value></field>"
     "<field var='muc#jid'><value>hag66@shakespeare.lit/pda</value></field>"
     "<field var='muc#roomnick'><value>thirdwitch</value></field>"
     "<field var='muc#request_allow'><value>true</value></field></x></message>",
     c.VoiceApproval("crone1@shakespeare.lit/pda", c.Form("submit", (
         ("FORM_TYPE", ("http://jabber.org/protocol/muc#request",)),
         ("muc#role", ("participant",)), ("muc#jid", ("hag66@shakespeare.lit/pda",)),
         ("muc#roomnick", ("thirdwitch",)), ("muc#request_allow", ("true",)))), "approve")),
    ("a form of another FORM_TYPE is just forwarded",
     f"<message {GC}><x xmlns='jabber:x:data' type='form'><field var='FORM_TYPE'><value>urn:x</value>"
     "</field></x></message>",
     c.Message(USER, "", "groupchat", "lh2bs617", payload=(
         "<x xmlns='jabber:x:data' type='form'><field var='FORM_TYPE'><value>urn:x</value></field></x>"))),
    ("message error from an occupant's client (delivery failure)",
     f"<message from='{USER}' to='{ROOM}' type='error'><error type='cancel'>"
     "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
     c.StanzaError(USER, "message", "service-unavailable")),
]


@pytest.mark.parametrize("xml,expected", [m[1:] for m in MESSAGES], ids=[m[0] for m in MESSAGES])
def test_message(xml, expected):
    assert parse_stanza(stanza(xml)) == Parsed(ROOM, command=expected)


def test_cancelled_voice_approval_is_ignored():
    parsed = parse_stanza(stanza(f"<message from='{USER}' to='{ROOM}'>"
                                 "<x xmlns='jabber:x:data' type='cancel'/></message>"))
    assert parsed.command is None and parsed.error is None and parsed.ignored


def test_payload_is_in_the_stanza_namespace_when_reparsed():
    cmd = command(f"<message {GC}><body>b</body><active xmlns='http://jabber.org/protocol/chatstates'/>"
                  "</message>")
    assert payload_tags(cmd.payload) == ["{jabber:component:accept}body",
                                         "{http://jabber.org/protocol/chatstates}active"]

# Malformed input -> error replies ------------------------------------------------------

HIST = f"<presence from='{USER}' id='p1' to='{ROOM}/thirdwitch'><x xmlns='http://jabber.org/protocol/muc'>" \
       "<history {}/></x></presence>"
ERRORS = [
    ("unknown presence type", f"<presence from='{USER}' to='{ROOM}/n' type='away'/>", "bad-request"),
    ("maxchars not a number", HIST.format("maxchars='lots'"), "bad-request"),
    ("maxstanzas negative", HIST.format("maxstanzas='-1'"), "bad-request"),
    ("seconds fractional", HIST.format("seconds='1.5'"), "bad-request"),
    ("non-ASCII digit", HIST.format("maxchars='\u00b2'"), "bad-request"),
    ("absurdly long number", HIST.format(f"maxchars='{'9' * 5000}'"), "bad-request"),
    ("since not a DateTime", HIST.format("since='yesterday'"), "bad-request"),
    ("since without time zone", HIST.format("since='2002-10-13T23:58:37'"), "bad-request"),
    ("since with month 13", HIST.format("since='2002-13-13T23:58:37Z'"), "bad-request"),
    ("malformed from", f"<presence from='a@b@c/x' to='{ROOM}/n'/>", "jid-malformed"),
    ("invite without to", f"<message from='{USER}' to='{ROOM}'><x xmlns='http://jabber.org/protocol/muc#user'>"
     "<invite/></x></message>", "bad-request"),
    ("invite to a malformed JID", f"<message from='{USER}' to='{ROOM}'>"
     "<x xmlns='http://jabber.org/protocol/muc#user'><invite to='a@@b'/></x></message>", "jid-malformed"),
    ("invite and decline at once", f"<message from='{USER}' to='{ROOM}'>"
     "<x xmlns='http://jabber.org/protocol/muc#user'><invite to='a@b'/><decline to='c@d'/></x></message>",
     "bad-request"),
    ("two declines", f"<message from='{USER}' to='{ROOM}'><x xmlns='http://jabber.org/protocol/muc#user'>"
     "<decline to='a@b'/><decline to='c@d'/></x></message>", "bad-request"),
    ("voice request form without type", f"<message from='{USER}' to='{ROOM}'><x xmlns='jabber:x:data'>"
     "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field></x></message>",
     "bad-request"),
    ("iq get without child", iq(""), "bad-request"),
    ("iq get with two children", iq("<ping xmlns='urn:xmpp:ping'/><ping xmlns='urn:xmpp:ping'/>"),
     "bad-request"),
    ("iq without id", f"<iq from='{USER}' to='{ROOM}' type='get'><ping xmlns='urn:xmpp:ping'/></iq>",
     "bad-request"),
    ("iq of unknown type", iq("<ping xmlns='urn:xmpp:ping'/>", "fetch"), "bad-request"),
    ("unknown namespace to the room", iq("<query xmlns='jabber:iq:version'/>"), "service-unavailable"),
    ("vCard of the room", iq("<vCard xmlns='vcard-temp'/>"), "service-unavailable"),
    ("unknown element of a known namespace", iq(f"<list xmlns='{ADMIN}'/>"), "feature-not-implemented"),
    ("disco#info set", iq("<query xmlns='http://jabber.org/protocol/disco#info'/>", "set"), "bad-request"),
    ("ping set", iq("<ping xmlns='urn:xmpp:ping'/>", "set"), "bad-request"),
    ("self-ping set", iq("<ping xmlns='urn:xmpp:ping'/>", "set", to=f"{ROOM}/n"), "bad-request"),
    ("admin query without items", iq(f"<query xmlns='{ADMIN}'/>"), "bad-request"),
    ("admin unknown affiliation", iq(f"<query xmlns='{ADMIN}'><item affiliation='king'/></query>", "set"),
     "bad-request"),
    ("admin unknown role", iq(f"<query xmlns='{ADMIN}'><item nick='x' role='god'/></query>", "set"),
     "bad-request"),
    ("admin malformed item jid",
     iq(f"<query xmlns='{ADMIN}'><item affiliation='member' jid='a@b@c'/></query>", "set"),
     "jid-malformed"),
    ("owner set with empty query", iq(f"<query xmlns='{OWNER}'/>", "set"), "bad-request"),
    ("owner form of unknown type",
     iq(f"<query xmlns='{OWNER}'><x xmlns='jabber:x:data' type='fill'/></query>", "set"), "bad-request"),
    ("owner form field without var",
     iq(f"<query xmlns='{OWNER}'><x xmlns='jabber:x:data' type='submit'><field><value>1</value></field>"
        "</x></query>", "set"), "bad-request"),
    ("owner form with a duplicate field",
     iq(f"<query xmlns='{OWNER}'><x xmlns='jabber:x:data' type='submit'><field var='a'/><field var='a'/>"
        "</x></query>", "set"), "bad-request"),
    ("destroy with malformed alternate",
     iq(f"<query xmlns='{OWNER}'><destroy jid='@x'/></query>", "set"), "jid-malformed"),
    ("register set without form or remove", iq("<query xmlns='jabber:iq:register'/>", "set"),
     "bad-request"),
    ("register set with plain XEP-0077 fields",
     iq("<query xmlns='jabber:iq:register'><username>x</username></query>", "set"), "bad-request"),
]


@pytest.mark.parametrize("xml,condition", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_malformed_input_gets_an_error_reply(xml, condition):
    elem = stanza(xml)
    parsed = parse_stanza(elem)
    assert parsed.command is None
    assert parsed.error is not None
    assert parsed.error.error.condition == condition
    assert parsed.error.error.text                        # always says what was wrong
    assert parsed.error.kind == elem.tag.split("}")[1]
    assert parsed.error.to == elem.get("from")            # the reply goes back as addressed
    assert parsed.error.from_ == elem.get("to")
    assert parsed.error.id == elem.get("id")


def test_malformed_to_is_answered_from_its_domain_only():
    # Any other 'from' outside the component's domain would get the stream closed.
    parsed = parse_stanza(stanza(f"<message from='{USER}' id='m1' to='bad room@Chat.Shakespeare.lit/n'>"
                                 "<body>x</body></message>"))
    assert (parsed.error.from_, parsed.error.by) == ("chat.shakespeare.lit", "chat.shakespeare.lit")
    assert parsed.error.error.condition == "jid-malformed"
    parsed = parse_stanza(stanza(f"<message from='{USER}' to='{ROOM}/'><body>x</body></message>"))
    assert parsed.error.from_ == "chat.shakespeare.lit"
    parsed = parse_stanza(stanza(f"<message from='{USER}' to='coven@/n'><body>x</body></message>"))
    assert parsed.error is None and "jid-malformed" in parsed.ignored


def test_error_reply_names_the_room_as_generator():
    parsed = parse_stanza(stanza(HIST.format("maxchars='x'")))
    assert parsed.error == ErrorReply("presence", USER, f"{ROOM}/thirdwitch", "p1", parsed.error.error,
                                      by=ROOM)
    assert parsed.error.error.type == "modify"
    assert parsed.room == ROOM


@pytest.mark.parametrize("xml", [
    f"<presence from='{USER}' to='{ROOM}/n' type='error'><x xmlns='http://jabber.org/protocol/muc'>"
    "<history maxchars='x'/></x></presence>",
    f"<message from='a@b@c' to='{ROOM}' type='error'/>",
    f"<iq from='{USER}' id='1' to='{ROOM}' type='error'/>",
    f"<iq from='a@b@c' id='1' to='{ROOM}/n' type='result'/>",
], ids=["presence error", "message error bad from", "iq error to room", "iq result bad from"])
def test_errors_and_results_are_never_answered_with_errors(xml):
    parsed = parse_stanza(stanza(xml))
    assert parsed.error is None


@pytest.mark.parametrize("xml", [
    "<handshake>abc</handshake>",
    f"<message to='{ROOM}'><body>x</body></message>",
    f"<presence from='{USER}'/>",
], ids=["not a stanza", "no from", "no to"])
def test_unaddressable_input_is_ignored(xml):
    parsed = parse_stanza(stanza(xml))
    assert parsed.command is None and parsed.error is None and parsed.ignored


def test_non_xmpp_namespace_is_ignored():
    parsed = parse_stanza(ET.fromstring(f"<message xmlns='urn:other' from='{USER}' to='{ROOM}'/>"))
    assert parsed.ignored and parsed.command is None

# Serialisation of forwarded payloads ------------------------------------------------

@pytest.mark.parametrize("xml,expected", [
    ("<x xmlns='urn:a'><y/><z xmlns='urn:b'><w/></z></x>",
     "<x xmlns='urn:a'><y/><z xmlns='urn:b'><w/></z></x>"),
    ("<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' to='a@b'><body>x</body>"
     "</message></forwarded>",
     "<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' to='a@b'><body>x</body>"
     "</message></forwarded>"),
    ("<e xmlns='urn:a' xmlns:p='urn:p' p:attr='1' xml:lang='de'/>",
     "<e xmlns='urn:a' xmlns:a1='urn:p' a1:attr='1' xml:lang='de'/>"),
    ("<e xmlns='urn:a' v='&apos;&quot;&lt;&amp;&#10;'>t&gt;&#13;</e>",
     "<e xmlns='urn:a' v='&apos;&quot;&lt;&amp;&#10;'>t&gt;&#13;</e>"),
    ("<e xmlns='urn:a'><n xmlns=''/></e>", "<e xmlns='urn:a'><n xmlns=''/></e>"),
], ids=["nested namespaces", "jabber:client inside a foreign namespace", "prefixed attributes",
        "escaping round-trips", "undeclared namespace"])
def test_serialise(xml, expected):
    elem = stanza(f"<message>{xml}</message>")[0]
    assert serialise(elem) == expected
    # and it means the same thing when parsed again
    again = stanza(f"<message>{expected}</message>")[0]
    assert ET.tostring(again) == ET.tostring(elem)
