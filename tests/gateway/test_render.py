"""gateway.render: every effect rendered, re-parsed as a client's server would see it
on the component stream, and compared with XEP-0045's examples."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from actors.core.commands import Form
from actors.core.effects import (
    AdminListResult, DeclineOut, Deliver, DestroyNotice, DiscoInfoResult, DiscoItemsResult, ErrorOut,
    FormField, FormResult, Invitation, IqOut, IqResult, Item, MessageOut, PresenceOut,
)
from actors.core.errors import XmppError
from gateway import render as render_module
from gateway.render import format_stamp, render, template
from gateway.renderer import Renderer

STREAM = ("<stream:stream xmlns='jabber:component:accept' "
          "xmlns:stream='http://etherx.jabber.org/streams' from='chat.shakespeare.lit'>")
ROOM = "coven@chat.shakespeare.lit"
CRONE = "crone1@shakespeare.lit/desktop"
HAG = "hag66@shakespeare.lit/pda"
USER_NS = "http://jabber.org/protocol/muc#user"
A = "{jabber:component:accept}"


def received(text: str) -> ET.Element:
    """Parse a rendered stanza as the server does: inside the component stream."""
    parser = ET.XMLPullParser(("start", "end"))
    parser.feed(STREAM + text)
    depth = 0
    for event, elem in parser.read_events():
        depth += 1 if event == "start" else -1
        if event == "end" and depth == 1:
            return elem
    raise AssertionError(f"not a complete stanza: {text!r}")


def canonical(text: str) -> str:
    """C14N of a stanza in the component namespace (attribute order, prefixes and
    indentation do not matter; namespaces, names, attributes and text do)."""
    return ET.canonicalize(f"<s xmlns='jabber:component:accept'>{text}</s>", strip_text=True)


# Effect -> XEP-0045 example (as the client's server receives it from the component)
CASES = [
    ("occupant presence with real JID (ex. 21)",
     PresenceOut("thirdwitch", item=Item("none", "participant", HAG)), CRONE,
     f"""<presence from='{ROOM}/thirdwitch' to='{CRONE}'>
       <x xmlns='{USER_NS}'><item affiliation='none' jid='{HAG}' role='participant'/></x></presence>"""),
    ("self-presence with codes, status, payload and occupant-id",
     PresenceOut("thirdwitch", item=Item("none", "participant", HAG), codes=(100, 110, 170),
                 payload="<show>away</show>", status="brb", occupant_id="dd72603deec90a38"), HAG,
     f"""<presence from='{ROOM}/thirdwitch' to='{HAG}'><show>away</show><status>brb</status>
       <x xmlns='{USER_NS}'><item affiliation='none' jid='{HAG}' role='participant'/>
       <status code='100'/><status code='110'/><status code='170'/></x>
       <occupant-id xmlns='urn:xmpp:occupant-id:0' id='dd72603deec90a38'/></presence>"""),
    ("kick (ex. 96)",
     PresenceOut("pistol", unavailable=True, item=Item("none", "none", actor_nick="Fluellen",
                                                        reason="Avaunt, you cullion!"), codes=(307,)),
     "pistol@shakespeare.lit/harfleur",
     f"""<presence from='{ROOM}/pistol' to='pistol@shakespeare.lit/harfleur' type='unavailable'>
       <x xmlns='{USER_NS}'><item affiliation='none' role='none'><actor nick='Fluellen'/>
       <reason>Avaunt, you cullion!</reason></item><status code='307'/></x></presence>"""),
    ("nick change (ex. 66)",
     PresenceOut("thirdwitch", unavailable=True, item=Item("member", "participant", HAG, nick="oldhag"),
                 codes=(303,)), CRONE,
     f"""<presence from='{ROOM}/thirdwitch' to='{CRONE}' type='unavailable'>
       <x xmlns='{USER_NS}'><item affiliation='member' jid='{HAG}' nick='oldhag' role='participant'/>
       <status code='303'/></x></presence>"""),
    ("room destroyed (ex. 204)",
     PresenceOut("firstwitch", unavailable=True, item=Item("none", "none"),
                 destroy=DestroyNotice("Macbeth doth come.", "heath@chat.shakespeare.lit", "cauldronburn")),
     CRONE,
     f"""<presence from='{ROOM}/firstwitch' to='{CRONE}' type='unavailable'>
       <x xmlns='{USER_NS}'><item affiliation='none' role='none'/>
       <destroy jid='heath@chat.shakespeare.lit'><reason>Macbeth doth come.</reason>
       <password>cauldronburn</password></destroy></x></presence>"""),
    ("groupchat reflection with stable id, stanza-id and occupant-id (ex. 49)",
     MessageOut("thirdwitch", "groupchat", "lh2bs617", "<body>Harpier cries: 'tis time.</body>",
                stanza_id="5f3dbc5e", occupant_id="dd72603deec90a38"), CRONE,
     f"""<message from='{ROOM}/thirdwitch' id='lh2bs617' to='{CRONE}' type='groupchat'>
       <body>Harpier cries: 'tis time.</body>
       <occupant-id xmlns='urn:xmpp:occupant-id:0' id='dd72603deec90a38'/>
       <stanza-id xmlns='urn:xmpp:sid:0' id='5f3dbc5e' by='{ROOM}'/></message>"""),
    ("discussion history (ex. 35)",
     MessageOut("firstwitch", "groupchat", "162BEBB1", "<body>Thrice the brinded cat hath mew'd.</body>",
                delay=1034553517.0), "hecate@shakespeare.lit/broom",
     f"""<message from='{ROOM}/firstwitch' id='162BEBB1' to='hecate@shakespeare.lit/broom' type='groupchat'>
       <body>Thrice the brinded cat hath mew'd.</body>
       <delay xmlns='urn:xmpp:delay' from='{ROOM}' stamp='2002-10-13T23:58:37.000Z'/></message>"""),
    ("room subject on entry (ex. 42)",
     MessageOut("wiccarocks", subject="Fire Burn and Cauldron Bubble!"), HAG,
     f"""<message from='{ROOM}/wiccarocks' to='{HAG}' type='groupchat'>
       <subject>Fire Burn and Cauldron Bubble!</subject></message>"""),
    ("no subject yet (ex. 43)", MessageOut(None, subject=""), HAG,
     f"<message from='{ROOM}' to='{HAG}' type='groupchat'><subject/></message>"),
    ("configuration change notice (ex. 187)", MessageOut(None, codes=(104,)), CRONE,
     f"""<message from='{ROOM}' to='{CRONE}' type='groupchat'>
       <x xmlns='{USER_NS}'><status code='104'/></x></message>"""),
    ("private message (ex. 51)",
     MessageOut("secondwitch", "chat", "hgn27af1", "<body>I'll give thee a wind.</body>", private=True),
     CRONE,
     f"""<message from='{ROOM}/secondwitch' id='hgn27af1' to='{CRONE}' type='chat'>
       <body>I'll give thee a wind.</body><x xmlns='{USER_NS}'/></message>"""),
    ("mediated invitation as a MessageOut (ex. 57)",
     MessageOut(None, "normal", "nzd143v8", invite_from=CRONE, reason="Hey Hecate!",
                password="cauldronburn", thread="e0ffe42b", body="You are invited to " + ROOM),
     "hecate@shakespeare.lit",
     f"""<message from='{ROOM}' id='nzd143v8' to='hecate@shakespeare.lit' type='normal'>
       <body>You are invited to {ROOM}</body>
       <x xmlns='{USER_NS}'><invite from='{CRONE}'><reason>Hey Hecate!</reason>
       <continue thread='e0ffe42b'/></invite><password>cauldronburn</password></x></message>"""),
    ("decline as a MessageOut (ex. 59)",
     MessageOut(None, "normal", "jk2vs61v", decline_from="hecate@shakespeare.lit",
                reason="Sorry, I'm too busy right now."), CRONE,
     f"""<message from='{ROOM}' id='jk2vs61v' to='{CRONE}' type='normal'>
       <x xmlns='{USER_NS}'><decline from='hecate@shakespeare.lit'>
       <reason>Sorry, I'm too busy right now.</reason></decline></x></message>"""),
    ("Invitation effect",
     Invitation(CRONE, "Hey Hecate!", "cauldronburn", ""), "hecate@shakespeare.lit",
     f"""<message from='{ROOM}' to='hecate@shakespeare.lit'><x xmlns='{USER_NS}'>
       <invite from='{CRONE}'><reason>Hey Hecate!</reason><continue/></invite>
       <password>cauldronburn</password></x></message>"""),
    ("DeclineOut effect", DeclineOut("hecate@shakespeare.lit"), CRONE,
     f"""<message from='{ROOM}' to='{CRONE}'><x xmlns='{USER_NS}'>
       <decline from='hecate@shakespeare.lit'/></x></message>"""),
    ("voice approval form (ex. 114)",
     MessageOut(None, "normal", "approve", form=Form("form", (
         ("FORM_TYPE", ("http://jabber.org/protocol/muc#request",)), ("muc#role", ("participant",)),
         ("muc#jid", (HAG,)), ("muc#roomnick", ("thirdwitch",)), ("muc#request_allow", ("false",))))),
     "crone1@shakespeare.lit/pda",
     f"""<message from='{ROOM}' id='approve' to='crone1@shakespeare.lit/pda' type='normal'>
       <x xmlns='jabber:x:data' type='form'><title>Voice request</title>
       <instructions>To approve this request for voice, select the "Grant voice to this person?" checkbox
 and click OK. To skip this request, click the cancel button.</instructions>
       <field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>
       <field label='Requested role' type='list-single' var='muc#role'><value>participant</value></field>
       <field label='User ID' type='jid-single' var='muc#jid'><value>{HAG}</value></field>
       <field label='Room Nickname' type='text-single' var='muc#roomnick'><value>thirdwitch</value></field>
       <field label='Grant voice to this person?' type='boolean' var='muc#request_allow'>
       <value>false</value></field></x></message>""".replace("checkbox\n and", "checkbox and")),
    ("empty iq result", IqResult("create1"), CRONE,
     f"<iq from='{ROOM}' id='create1' to='{CRONE}' type='result'/>"),
    ("self-ping result from the occupant JID", IqResult("p1", "thirdwitch"), HAG,
     f"<iq from='{ROOM}/thirdwitch' id='p1' to='{HAG}' type='result'/>"),
    ("disco#info of the room (ex. 10)",
     IqResult("ik3vs715", None, DiscoInfoResult(
         (("conference", "text", "A Dark Cave"),),
         ("http://jabber.org/protocol/muc", "muc_passwordprotected"),
         (Form("result", (("FORM_TYPE", ("http://jabber.org/protocol/muc#roominfo",)),
                          ("muc#roominfo_occupants", ("3",)))),))), HAG,
     f"""<iq from='{ROOM}' id='ik3vs715' to='{HAG}' type='result'>
       <query xmlns='http://jabber.org/protocol/disco#info'>
       <identity category='conference' name='A Dark Cave' type='text'/>
       <feature var='http://jabber.org/protocol/muc'/><feature var='muc_passwordprotected'/>
       <x xmlns='jabber:x:data' type='result'>
       <field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roominfo</value></field>
       <field var='muc#roominfo_occupants'><value>3</value></field></x></query></iq>"""),
    ("disco#items of the room (ex. 12)",
     IqResult("kl2fax27", None, DiscoItemsResult(((f"{ROOM}/firstwitch", "firstwitch", None),
                                                  (f"{ROOM}/secondwitch", "secondwitch", None)))), HAG,
     f"""<iq from='{ROOM}' id='kl2fax27' to='{HAG}' type='result'>
       <query xmlns='http://jabber.org/protocol/disco#items'>
       <item jid='{ROOM}/firstwitch' name='firstwitch'/><item jid='{ROOM}/secondwitch' name='secondwitch'/>
       </query></iq>"""),
    ("empty disco#items at a node",
     IqResult("d1", None, DiscoItemsResult((), node="x")), HAG,
     f"""<iq from='{ROOM}' id='d1' to='{HAG}' type='result'>
       <query xmlns='http://jabber.org/protocol/disco#items' node='x'/></iq>"""),
    ("ban list (ex. 121)",
     IqResult("ban2", None, AdminListResult((Item("outcast", "", "earlofcambridge@shakespeare.lit",
                                                   reason="Treason"),))), "kinghenryv@shakespeare.lit/throne",
     f"""<iq from='{ROOM}' id='ban2' to='kinghenryv@shakespeare.lit/throne' type='result'>
       <query xmlns='http://jabber.org/protocol/muc#admin'>
       <item affiliation='outcast' jid='earlofcambridge@shakespeare.lit'><reason>Treason</reason></item>
       </query></iq>"""),
    ("configuration form (ex. 157)",
     IqResult("create1", None, FormResult(
         "http://jabber.org/protocol/muc#owner", "http://jabber.org/protocol/muc#roomconfig",
         "Configuration for \"coven\" Room",
         (FormField("FORM_TYPE", "hidden", values=("http://jabber.org/protocol/muc#roomconfig",)),
          FormField("muc#roomconfig_roomname", "text-single", "Natural-Language Room Name"),
          FormField("muc#roomconfig_maxusers", "list-single", "Maximum Number of Occupants", ("20",),
                    (("10", "10"), ("20", "20"))),
          FormField("muc#roomconfig_roomowners", "jid-multi", "Room owners", ("a@b", "c@d"))),
         "Complete this form to modify the configuration of your room.")), CRONE,
     f"""<iq from='{ROOM}' id='create1' to='{CRONE}' type='result'>
       <query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='form'>
       <title>Configuration for "coven" Room</title>
       <instructions>Complete this form to modify the configuration of your room.</instructions>
       <field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>
       <field label='Natural-Language Room Name' type='text-single' var='muc#roomconfig_roomname'/>
       <field label='Maximum Number of Occupants' type='list-single' var='muc#roomconfig_maxusers'>
       <value>20</value><option label='10'><value>10</value></option>
       <option label='20'><value>20</value></option></field>
       <field label='Room owners' type='jid-multi' var='muc#roomconfig_roomowners'>
       <value>a@b</value><value>c@d</value></field></x></query></iq>"""),
    ("registration form, already registered; FORM_TYPE added",
     IqResult("reg1", None, FormResult("jabber:iq:register", "http://jabber.org/protocol/muc#register",
                                       "", (FormField("muc#register_roomnick", "text-single", "Nick",
                                                      ("thirdwitch",)),), registered=True)), HAG,
     f"""<iq from='{ROOM}' id='reg1' to='{HAG}' type='result'><query xmlns='jabber:iq:register'>
       <registered/><x xmlns='jabber:x:data' type='form'>
       <field type='hidden' var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>
       <field label='Nick' type='text-single' var='muc#register_roomnick'><value>thirdwitch</value>
       </field></x></query></iq>"""),
    ("iq forwarded to an occupant",
     IqOut("fwd1", "get", "thirdwitch", "<vCard xmlns='vcard-temp'/>"), CRONE,
     f"""<iq from='{ROOM}/thirdwitch' id='fwd1' to='{CRONE}' type='get'>
       <vCard xmlns='vcard-temp'/></iq>"""),
    ("nickname conflict (ex. 23)",
     ErrorOut("presence", "n13mt3l", XmppError.of("conflict"), "thirdwitch"), HAG,
     f"""<presence from='{ROOM}/thirdwitch' id='n13mt3l' to='{HAG}' type='error'>
       <x xmlns='http://jabber.org/protocol/muc'/>
       <error by='{ROOM}' type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>
       </presence>"""),
    ("groupchat PM refused, original echoed (ex. 52)",
     ErrorOut("message", "bx71f29k", XmppError.of("bad-request", "No groupchat PMs"), "firstwitch",
              "<body>I'll give thee a wind.</body>"), "wiccarocks@shakespeare.lit/laptop",
     f"""<message from='{ROOM}/firstwitch' id='bx71f29k' to='wiccarocks@shakespeare.lit/laptop' type='error'>
       <body>I'll give thee a wind.</body><error by='{ROOM}' type='modify'>
       <bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
       <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>No groupchat PMs</text></error></message>"""),
    ("iq error from the room",
     ErrorOut("iq", "jw81b36f", XmppError.of("item-not-found")), HAG,
     f"""<iq from='{ROOM}' id='jw81b36f' to='{HAG}' type='error'><error by='{ROOM}' type='cancel'>
       <item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"""),
]


@pytest.mark.parametrize("effect,to,expected", [x[1:] for x in CASES], ids=[x[0] for x in CASES])
def test_render_matches_the_protocol(effect, to, expected):
    out = render(effect, to, ROOM)
    assert "xmlns='jabber:component:accept'" not in out        # inherited from the stream
    assert canonical(out) == canonical(expected)


def test_namespaces_as_the_server_sees_them():
    elem = received(render(MessageOut("n", payload="<body>b</body>", private=True, stanza_id="s",
                                      occupant_id="o"), HAG, ROOM))
    assert elem.tag == A + "message"
    assert [child.tag for child in elem] == [
        A + "body", f"{{{USER_NS}}}x", "{urn:xmpp:occupant-id:0}occupant-id", "{urn:xmpp:sid:0}stanza-id"]


@pytest.mark.parametrize("message,subjects", [
    (MessageOut("n", payload="<body>b</body>", subject="S"), ["S"]),
    (MessageOut("n", subject=""), [None]),
    (MessageOut("n", payload="<body>b</body>"), []),
], ids=["subject with body", "cleared subject", "no subject"])
def test_subject_appears_once_or_not_at_all(message, subjects):
    elem = received(render(message, HAG, ROOM))
    assert [s.text for s in elem.iter(A + "subject")] == subjects


# Escaping ------------------------------------------------------------------------------

def test_everything_is_escaped():
    nasty = "a'b\"c<d>e&f"
    effect = PresenceOut(nasty, item=Item("none", "participant", f"x@y/{nasty}", reason=nasty),
                         status=nasty, occupant_id=nasty)
    to = f"u@example.com/{nasty}"
    elem = received(render(effect, to, ROOM))
    assert elem.get("from") == f"{ROOM}/{nasty}"
    assert elem.get("to") == to
    assert elem.find(A + "status").text == nasty
    item = elem.find(f"{{{USER_NS}}}x/{{{USER_NS}}}item")
    assert item.get("jid") == f"x@y/{nasty}"
    assert item.find(f"{{{USER_NS}}}reason").text == nasty
    assert elem.find("{urn:xmpp:occupant-id:0}occupant-id").get("id") == nasty


def test_whitespace_survives_and_invalid_characters_are_replaced():
    text = "line1\r\nline2\ttab \x01 \ud800 end"
    elem = received(render(MessageOut(None, body=text, reason=text, invite_from="a@b"), HAG, ROOM))
    assert elem.find(A + "body").text == "line1\r\nline2\ttab \ufffd \ufffd end"
    reason = elem.find(f"{{{USER_NS}}}x/{{{USER_NS}}}invite/{{{USER_NS}}}reason")
    assert reason.text == "line1\r\nline2\ttab \ufffd \ufffd end"
    nick = "tab\tnew\nline"
    assert received(render(PresenceOut(nick), HAG, ROOM)).get("from") == f"{ROOM}/{nick}"


def test_output_is_utf8_encodable_for_send_raw():
    out = render(MessageOut("n\udfff", body="\ud83d"), HAG, ROOM)
    out.encode("utf-8")


# Fast path -------------------------------------------------------------------------------

def test_deliver_renders_once_and_addresses_each_recipient(monkeypatch):
    calls = []
    real = render_module._BUILDERS[MessageOut]

    def counting(stanza, room):
        calls.append(stanza)
        return real(stanza, room)

    monkeypatch.setitem(render_module._BUILDERS, MessageOut, counting)
    recipients = tuple(f"user{i}@example.com/res" for i in range(199)) + ("o'neil@example.com/x&y",)
    msg = MessageOut("thirdwitch", "groupchat", "m1", "<body>hello</body>", stanza_id="s1",
                     occupant_id="o1")
    renderer = Renderer()
    out = renderer.deliver(Deliver(recipients, msg), ROOM)
    assert len(calls) == 1 and renderer.renders == 1
    assert len(out) == 200
    for to, text in zip(recipients, out):
        elem = received(text)
        assert elem.get("to") == to
        assert elem.find(A + "body").text == "hello"
    assert out[-1] == render(msg, recipients[-1], ROOM)
    # every string is the same template around its own address
    tpl = template(msg, ROOM)
    assert all(s.startswith(tpl.prefix) and s.endswith(tpl.suffix) for s in out)


def test_each_deliver_gets_its_own_template():
    renderer = Renderer()
    a = renderer.deliver(Deliver((HAG,), PresenceOut("a")), ROOM)
    b = renderer.deliver(Deliver((HAG,), PresenceOut("b")), ROOM)
    assert renderer.renders == 2
    assert received(a[0]).get("from") == f"{ROOM}/a" and received(b[0]).get("from") == f"{ROOM}/b"


def test_unknown_effects_are_refused_clearly():
    with pytest.raises(TypeError, match="Closed"):
        from actors.core.effects import Closed
        render(Closed("empty"), HAG, ROOM)
    with pytest.raises(TypeError, match="IQ result"):
        render(IqResult("1", None, object()), HAG, ROOM)


@pytest.mark.parametrize("epoch,stamp", [
    (0, "1970-01-01T00:00:00.000Z"),
    (1034553517.25, "2002-10-13T23:58:37.250Z"),
    (1.9996, "1970-01-01T00:00:02.000Z"),
    (1700000000.123, "2023-11-14T22:13:20.123Z"),
])
def test_delay_stamps(epoch, stamp):
    assert format_stamp(epoch) == stamp
