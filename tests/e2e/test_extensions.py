"""The extensions clients rely on, end to end: XEP-0421 occupant-id (stable per
real bare JID and room) and XEP-0359 stanza-id (by the room), with what a client
tries to smuggle in stripped. (Across a service restart: test_discovery.py.)"""
from __future__ import annotations

import asyncio

import pytest

from tests.e2e.muc import NS_MUC, ROOM_DOMAIN, codes, say
from tests.e2e.muc_flow import (
    NS_SID, create, enter, new_room, occupant_id, online, presence_from,
)

pytestmark = pytest.mark.e2e


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def accounts(raymuc_service, prosody, xmpp_account):
    return lambda n: [xmpp_account() for _ in range(n)]


def test_occupant_id_stable_and_forged_ids_stripped(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await create(a, room, "Alice")
            forged = ("<occupant-id xmlns='urn:xmpp:occupant-id:0' id='forged'/>"
                      f"<stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='{room}'/>"
                      "<x xmlns='http://jabber.org/protocol/muc#user'><status code='201'/>"
                      "</x>")
            b.send_raw(f"<presence to='{room}/Bob'><x xmlns='{NS_MUC}'/>{forged}</presence>")
            mine = await presence_from(b, f"{room}/Bob")
            oid = occupant_id(mine)
            assert oid and oid != "forged" and 201 not in codes(mine)
            assert len(mine.xml.findall("{http://jabber.org/protocol/muc#user}x")) == 1
            seen = await presence_from(a, f"{room}/Bob")
            assert occupant_id(seen) == oid

            b.send_raw(f"<message to='{room}' type='groupchat' id='m1'><body>hi</body>{forged}"
                       "</message>")
            for client in (a, b):
                msg = await client.wait_for_stanza(lambda s: s.name == "message" and s["body"] == "hi")
                assert occupant_id(msg) == oid
                sids = msg.xml.findall(f"{{{NS_SID}}}stanza-id")
                assert len(sids) == 1 and sids[0].get("by") == room and sids[0].get("id") != "forged"
                assert msg.xml.find("{http://jabber.org/protocol/muc#user}x") is None
            # a rejoin, even under another nick, keeps the id: it is per real bare JID
            b.send_raw(f"<presence to='{room}/Bob' type='unavailable'/>")
            await presence_from(b, f"{room}/Bob", unavailable=True)
            seq = await enter(b, room, "Robert")
            [me] = [s for s in seq if s.name == "presence" and 110 in codes(s)]
            assert occupant_id(me) == oid
    run(scenario())


def test_every_reflected_groupchat_has_a_fresh_stanza_id(prosody, accounts):
    alice, = accounts(1)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice]) as (a,):
            await create(a, room, "Alice")
            ids = set()
            for i in range(3):
                await say(a, room, f"n{i}", "same-id")
                msg = await a.wait_for_stanza(lambda s: s.name == "message" and s["body"] == f"n{i}")
                assert msg["id"] == "same-id"                   # muc#stable_id: kept as sent
                [sid] = msg.xml.findall(f"{{{NS_SID}}}stanza-id")
                assert sid.get("by") == room
                ids.add(sid.get("id"))
            assert len(ids) == 3
    run(scenario())
