"""A corpus of malformed and hostile stanzas through a real Prosody into RayMUC: each gets a
precise error or is dropped as XMPP says, the component link stays up, and the room's state
is what it was (issue 15's malformed-input suite)."""
from __future__ import annotations

import asyncio
import secrets

import pytest

from tests.e2e.muc import ROOM_DOMAIN, create_instant, error_condition, field, groupchat_from, \
    join, owner_submit, say
from tests.e2e.xmpp_clients import connected_client
from tests.fixtures.service import raymuc_cli

pytestmark = pytest.mark.e2e
NS_OWNER = "http://jabber.org/protocol/muc#owner"
NS_ADMIN = "http://jabber.org/protocol/muc#admin"
NS_REGISTER = "jabber:iq:register"
NS_INFO = "http://jabber.org/protocol/disco#info"
NS_ITEMS = "http://jabber.org/protocol/disco#items"


def nested(depth: int) -> str:
    return "<a xmlns='urn:example:deep'>" * depth + "</a>" * depth


# (name, stanza with {room} and {id}, expected error condition or None for "no answer")
IQS = [
    ("unknown namespace", "<iq type='get' to='{room}' id='{id}'><q xmlns='urn:example:nope'/></iq>",
     {"service-unavailable", "feature-not-implemented"}),
    ("iq set without child", "<iq type='set' to='{room}' id='{id}'/>", {"bad-request",
                                                                         "service-unavailable"}),
    ("two children", f"<iq type='get' to='{{room}}' id='{{id}}'><query xmlns='{NS_INFO}'/>"
     f"<query xmlns='{NS_ITEMS}'/></iq>", {"bad-request"}),
    ("owner form by a stranger", f"<iq type='set' to='{{room}}' id='{{id}}'><query xmlns="
     f"'{NS_OWNER}'><x xmlns='jabber:x:data' type='submit'/></query></iq>", {"forbidden"}),
    ("admin set bogus affiliation", f"<iq type='set' to='{{room}}' id='{{id}}'><query xmlns="
     f"'{NS_ADMIN}'><item affiliation='emperor' jid='x@localhost'/></query></iq>",
     {"bad-request", "not-allowed", "forbidden"}),
    ("admin set without target", f"<iq type='set' to='{{room}}' id='{{id}}'><query xmlns="
     f"'{NS_ADMIN}'><item role='none'/></query></iq>", {"bad-request", "not-allowed",
                                                         "forbidden"}),
    ("register with a junk form", f"<iq type='set' to='{{room}}' id='{{id}}'><query xmlns="
     f"'{NS_REGISTER}'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'>"
     "<value>urn:example:wrong</value></field></x></query></iq>",
     {"bad-request", "not-acceptable", "registration-required", "forbidden"}),
    ("disco items with a negative page size", f"<iq type='get' to='{ROOM_DOMAIN}' id='{{id}}'>"
     f"<query xmlns='{NS_ITEMS}'><set xmlns='http://jabber.org/protocol/rsm'><max>-1</max>"
     "</set></query></iq>", {"bad-request"}),
    ("disco items with a word as page size", f"<iq type='get' to='{ROOM_DOMAIN}' id='{{id}}'>"
     f"<query xmlns='{NS_ITEMS}'><set xmlns='http://jabber.org/protocol/rsm'><max>many</max>"
     "</set></query></iq>", {"bad-request"}),
    ("deeply nested iq", f"<iq type='get' to='{{room}}' id='{{id}}'>{nested(500)}</iq>",
     {"policy-violation", "bad-request", "not-acceptable", "service-unavailable"}),
]
# sent by a stranger (not an occupant): (stanza, the error it gets, or None: dropped unanswered)
DROPPED_OR_REFUSED = [
    ("<message to='{room}' type='groupchat' id='{id}'><body>not in the room</body></message>",
     "not-acceptable"),
    ("<message to='{room}' type='groupchat' id='{id}'><subject>hijack</subject></message>",
     "not-acceptable"),
    ("<message to='{room}' type='error' id='{id}'><error type='cancel'><gone "
     "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>", None),   # RFC 6120
    ("<presence to='{room}/Owner' type='unavailable' id='{id}'/>", None),
    ("<presence to='{room}/Owner' type='error' id='{id}'/>", None),
    ("<message to='{room}' type='groupchat' id='{id}'><body>deep</body>" + nested(500)
     + "</message>", "policy-violation"),
    ("<message to='{room}' id='{id}'><x xmlns='http://jabber.org/protocol/muc#user'>"
     + "<invite to='a@localhost'/>" * 50 + "</x></message>", "not-acceptable"),
]

def state_of(cfg, room: str) -> dict:
    state = raymuc_cli(cfg, "room", room)["state"]
    return {k: state[k] for k in ("config", "affiliations", "subject", "version", "locked")} | {
        "occupants": sorted((o["nick"], o["role"], o["affiliation"]) for o in state["occupants"])}


def test_a_corpus_of_malformed_stanzas_changes_nothing_and_keeps_the_link(
        raymuc_service, prosody, xmpp_account):
    owner, observer, stranger = xmpp_account(), xmpp_account(), xmpp_account()
    room = f"m{secrets.token_hex(4)}@{ROOM_DOMAIN}"
    cfg = raymuc_service.config_path

    async def scenario():
        async with connected_client(*owner, "127.0.0.1", prosody.c2s_port) as o, \
                connected_client(*observer, "127.0.0.1", prosody.c2s_port) as obs, \
                connected_client(*stranger, "127.0.0.1", prosody.c2s_port) as s:
            await create_instant(o, room, "Owner")
            assert (await owner_submit(o, room, field("muc#roomconfig_persistentroom", "1")
                                       + field("muc#roomconfig_roomname", "Before")))["type"] \
                == "result"
            await join(obs, room, "Observer")
            before = await asyncio.to_thread(state_of, cfg, room)

            for n, (name, template, expected) in enumerate(IQS):
                iq_id = f"bad{n}"
                s.send_raw(template.format(room=room, id=iq_id))
                reply = await s.wait_for_stanza(lambda st: st.name == "iq" and st["id"] == iq_id)
                assert reply["type"] == "error" and error_condition(reply) in expected, \
                    (name, str(reply))
            for n, (template, _) in enumerate(DROPPED_OR_REFUSED):
                s.send_raw(template.format(room=room, id=f"drop{n}"))
            # one more stanza after them all: its answer means every one before was handled
            s.send_raw(f"<iq type='get' to='{room}' id='last'><query xmlns='{NS_INFO}'/></iq>")
            await s.wait_for_stanza(lambda st: st.name == "iq" and st["id"] == "last", 30)
            await asyncio.sleep(0.5)
            answers = {st["id"]: error_condition(st) for st in list(s.inbox._stanzas)
                       if str(st["id"]).startswith("drop") and st["type"] == "error"}
            assert answers == {f"drop{n}": want for n, (_, want) in enumerate(DROPPED_OR_REFUSED)
                               if want is not None}
            # nothing reached the occupants: no message, no subject, no invitation
            await say(o, room, "still here")
            got = await groupchat_from(obs, f"{room}/Owner", "still here")
            assert got["body"] == "still here"
            assert not [st for st in list(obs.inbox._stanzas)
                        if st.name == "message" and st["body"] in ("not in the room", "deep")]
            after = await asyncio.to_thread(state_of, cfg, room)
            assert after == before
            # the stranger may still join normally: its session was not broken either
            pres = await join(s, room, "Stranger")
            assert pres["type"] != "error", str(pres)
    asyncio.run(scenario())
