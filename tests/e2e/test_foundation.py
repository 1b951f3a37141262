"""Issue 3 end to end: real Prosody, `raymuc run` as a process, real slixmpp clients."""
from __future__ import annotations

import asyncio
import secrets

import pytest

from tests.e2e.muc import (NS_MUC, ROOM_DOMAIN, codes, create_instant, error_condition,
                           groupchat_from, is_from, item, join, say)
from tests.e2e.xmpp_clients import connected_client

pytestmark = pytest.mark.e2e


def room_name(prefix="r") -> str:
    return f"{prefix}{secrets.token_hex(4)}@{ROOM_DOMAIN}"


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def two_users(raymuc_service, prosody, xmpp_account):
    return prosody, xmpp_account(), xmpp_account()


def test_service_disco_info(raymuc_service, prosody, xmpp_account):
    alice = xmpp_account()

    async def scenario():
        async with connected_client(*alice, "127.0.0.1", prosody.c2s_port) as c:
            c.send_raw(f"<iq type='get' to='{ROOM_DOMAIN}' id='d1'>"
                       "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
            reply = await c.wait_for_stanza(lambda s: s.name == "iq" and s["id"] == "d1")
            assert reply["type"] == "result"
            q = reply.xml.find("{http://jabber.org/protocol/disco#info}query")
            feats = {f.get("var") for f in q.iter("{http://jabber.org/protocol/disco#info}feature")}
            ident = q.find("{http://jabber.org/protocol/disco#info}identity")
            assert NS_MUC in feats
            assert ident.get("category") == "conference" and ident.get("type") == "text"
    run(scenario())


def test_create_chat_nick_change_leave(two_users):
    prosody, alice, bob = two_users
    room = room_name()

    async def scenario():
        async with connected_client(*alice, "127.0.0.1", prosody.c2s_port) as a, \
                connected_client(*bob, "127.0.0.1", prosody.c2s_port) as b:
            pres = await create_instant(a, room, "Alice")
            assert {110, 201} <= codes(pres)
            assert item(pres).get("affiliation") == "owner"
            subject = await a.wait_for_stanza(lambda s: s.name == "message" and s.xml.find(
                "{jabber:client}subject") is not None)
            assert (subject.xml.find("{jabber:client}subject").text or "") == ""

            bob_self = await join(b, room, "Bob")
            assert 110 in codes(bob_self) and item(bob_self).get("role") == "participant"
            seen = await a.wait_for_stanza(lambda s: s.name == "presence" and is_from(s, f"{room}/Bob"))
            assert item(seen).get("jid", "").startswith(bob.jid)   # owner is a moderator

            await say(b, room, "hello all", "m1")
            got_a = await groupchat_from(a, f"{room}/Bob", "hello all")
            got_b = await groupchat_from(b, f"{room}/Bob", "hello all")
            sid = got_a.xml.find("{urn:xmpp:sid:0}stanza-id")
            assert sid is not None and sid.get("by") == room
            assert got_b["id"] == "m1"

            b.send_raw(f"<presence to='{room}/Robert'/>")
            gone = await a.wait_for_stanza(lambda s: s.name == "presence" and is_from(s, f"{room}/Bob"))
            assert gone["type"] == "unavailable" and 303 in codes(gone)
            assert item(gone).get("nick") == "Robert"
            await a.wait_for_stanza(lambda s: s.name == "presence" and is_from(s, f"{room}/Robert"))

            b.send_raw(f"<presence to='{room}/Robert' type='unavailable'/>")
            left = await b.wait_for_stanza(lambda s: s.name == "presence" and is_from(s, f"{room}/Robert")
                                           and s["type"] == "unavailable")
            assert 110 in codes(left)
            await a.wait_for_stanza(lambda s: s.name == "presence" and is_from(s, f"{room}/Robert")
                                    and s["type"] == "unavailable")
    run(scenario())


def test_nick_conflict_and_non_occupant_message(two_users):
    prosody, alice, bob = two_users
    room = room_name()

    async def scenario():
        async with connected_client(*alice, "127.0.0.1", prosody.c2s_port) as a, \
                connected_client(*bob, "127.0.0.1", prosody.c2s_port) as b:
            await create_instant(a, room, "Same")
            err = await join(b, room, "Same")
            assert err["type"] == "error" and error_condition(err) == "conflict"
            await say(b, room, "let me in", "x1")
            refused = await b.wait_for_stanza(lambda s: s.name == "message" and s["type"] == "error")
            assert error_condition(refused) == "not-acceptable"
    run(scenario())


def test_history_is_replayed_with_delay(two_users):
    prosody, alice, bob = two_users
    room = room_name()

    async def scenario():
        async with connected_client(*alice, "127.0.0.1", prosody.c2s_port) as a, \
                connected_client(*bob, "127.0.0.1", prosody.c2s_port) as b:
            await create_instant(a, room, "Alice")
            for i in range(3):
                await say(a, room, f"line {i}")
                await groupchat_from(a, f"{room}/Alice", f"line {i}")
            await join(b, room, "Bob")
            for i in range(3):
                old = await groupchat_from(b, f"{room}/Alice", f"line {i}")
                delay = old.xml.find("{urn:xmpp:delay}delay")
                assert delay is not None and delay.get("from") == room
    run(scenario())


def test_locked_room_refuses_others_until_configured(two_users):
    prosody, alice, bob = two_users
    room = room_name()

    async def scenario():
        async with connected_client(*alice, "127.0.0.1", prosody.c2s_port) as a, \
                connected_client(*bob, "127.0.0.1", prosody.c2s_port) as b:
            pres = await join(a, room, "Alice")
            assert 201 in codes(pres)
            err = await join(b, room, "Bob")
            assert error_condition(err) == "item-not-found"
    run(scenario())
