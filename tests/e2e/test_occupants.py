"""XEP-0045 §7 occupant use cases end to end (private messages, nick and status
changes, leaving, several devices under one nick, ghosts), through Prosody with
real slixmpp clients asserting on the XML they receive. Invitations, voice,
registration and IQs to occupants: test_occupants_requests.py."""
from __future__ import annotations

import pytest

from tests.e2e.admin_room import clients, item, run, users  # noqa: F401 (fixture)
from tests.e2e.muc import NS_USER, codes, is_from, join, say
from tests.e2e.muc_flow import barrier, error_of, iq, presence_from
from tests.e2e.occupant_flow import (body, create, error_reply, message, message_from,
                                     presence_of)

pytestmark = pytest.mark.e2e
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"


def room_presences(client, room: str) -> list:
    """Presences received from the room so far (not the client's own server's)."""
    return [s for s in client.inbox.drain() if s.name == "presence"
            and str(s["from"]).split("/", 1)[0] == room]


# §7.5 Private messages -------------------------------------------------------------

def test_private_message_comes_from_the_senders_occupant_jid_with_muc_user_x(prosody, users):
    async def scenario():
        async with clients(prosody, users(2)) as (a, b):
            room = await create(a, "Alice")
            await room.enter(b, "Bob")
            a.send_raw(message(f"{room.jid}/Bob", body("I'll give thee a wind."), type="chat",
                               id="hgn27af1"))
            got = await message_from(b, f"{room.jid}/Alice", type="chat")
            assert got["id"] == "hgn27af1" and got["body"] == "I'll give thee a wind."
            assert got.xml.find(f"{{{NS_USER}}}x") is not None
            assert got.xml.find("{urn:xmpp:sid:0}stanza-id") is None    # no reflection
            b.send_raw(message(f"{room.jid}/Alice", body("back"), type="chat"))
            back = await message_from(a, f"{room.jid}/Bob", type="chat")
            assert back["body"] == "back"
    run(scenario())


def test_private_message_errors_from_occupants(prosody, users):
    async def scenario():
        async with clients(prosody, users(2)) as (a, b):
            room = await create(a, "Alice")
            await room.enter(b, "Bob")
            a.send_raw(message(f"{room.jid}/Bob", body("x"), type="groupchat", id="gc1"))
            err = await error_reply(a, "gc1")
            assert is_from(err, f"{room.jid}/Bob")
            assert error_of(err) == ("bad-request", "modify", room.jid)
            a.send_raw(message(f"{room.jid}/Nobody", body("x"), type="chat", id="nf1"))
            assert error_of(await error_reply(a, "nf1"))[0] == "item-not-found"
            await barrier(a, [b], room.jid)
            assert not [s for s in b.inbox.drain() if s["body"] == "x"]
    run(scenario())


def test_private_message_from_a_non_occupant_is_not_acceptable(prosody, users):
    async def scenario():
        async with clients(prosody, users(3)) as (a, b, c):
            room = await create(a, "Alice")
            await room.enter(b, "Bob")
            c.send_raw(message(f"{room.jid}/Bob", body("hi"), type="chat", id="out1"))
            assert error_of(await error_reply(c, "out1"))[0] == "not-acceptable"
    run(scenario())


def test_private_messages_switched_off_are_forbidden(prosody, users):
    async def scenario():
        async with clients(prosody, users(2)) as (a, b):
            room = await create(a, "Alice", muc__roomconfig_allowpm="none")
            await room.enter(b, "Bob")
            b.send_raw(message(f"{room.jid}/Alice", body("psst"), type="chat", id="pm1"))
            assert error_of(await error_reply(b, "pm1"))[:2] == ("forbidden", "auth")
    run(scenario())


# §7.6 Nick changes -------------------------------------------------------------------

def test_nick_change_303_then_the_new_nick(prosody, users):
    async def scenario():
        async with clients(prosody, users(2)) as (a, b):
            room = await create(a, "Alice")
            await room.enter(b, "Bob")
            b.send_raw(f"<presence to='{room.jid}/Robert' id='nc1'/>")
            for client in (a, b):
                old = await presence_of(client, room.jid, "Bob", unavailable=True)
                assert 303 in codes(old) and item(old).get("nick") == "Robert"
                new = await presence_of(client, room.jid, "Robert", unavailable=False)
                assert item(new).get("role") == "participant"
                assert (110 in codes(old), 110 in codes(new)) == ((client is b,) * 2)
            await say(b, room.jid, "renamed")
            got = await message_from(a, f"{room.jid}/Robert", type="groupchat")
            assert got["body"] == "renamed"
    run(scenario())


def test_nick_change_to_a_taken_or_reserved_nick_is_conflict(prosody, users):
    accounts = users(3)

    async def scenario():
        async with clients(prosody, accounts) as (a, b, c):
            room = await create(a, "Alice")
            await room.enter(b, "Bob")
            await room.enter(c, "Cee")          # only occupants register (issue 15)
            reg = await iq(c, room.jid, "<query xmlns='jabber:iq:register'><x xmlns='jabber:x:data'"
                           " type='submit'><field var='muc#register_roomnick'><value>Cee</value>"
                           "</field></x></query>", "set")
            assert reg["type"] == "result", reg
            c.send_raw(f"<presence to='{room.jid}/Cee' type='unavailable'/>")
            await presence_of(b, room.jid, "Cee", unavailable=True)    # reserved, not in use
            room.gone("Cee")
            for taken in ("Alice", "Cee"):
                b.send_raw(f"<presence to='{room.jid}/{taken}' id='nc-{taken}'/>")
                err = await error_reply(b, f"nc-{taken}")
                assert err.name == "presence" and error_of(err)[:2] == ("conflict", "cancel")
    run(scenario())


def test_visitor_nick_change_refused_when_not_allowed(prosody, users):
    async def scenario():
        async with clients(prosody, users(2)) as (a, b):
            room = await create(a, "Alice", members_by_default="0",
                                muc__roomconfig_allowvisitornickchange="0")
            me = await room.enter(b, "Bob")
            assert item(me).get("role") == "visitor"
            b.send_raw(f"<presence to='{room.jid}/Robert' id='vn1'/>")
            assert error_of(await error_reply(b, "vn1"))[0] == "not-allowed"
    run(scenario())


# §7.7 Status changes -------------------------------------------------------------------

def test_status_change_reaches_everyone(prosody, users):
    async def scenario():
        async with clients(prosody, users(2)) as (a, b):
            room = await create(a, "Alice")
            await room.enter(b, "Bob")
            b.send_raw(f"<presence to='{room.jid}/Bob'><show>xa</show>"
                       "<status>gone where the goblins go</status></presence>")
            for client in (a, b):
                p = await presence_of(client, room.jid, "Bob", unavailable=False)
                assert p["show"] == "xa" and p["status"] == "gone where the goblins go"
                assert item(p).get("role") == "participant"
    run(scenario())


def test_visitor_status_text_stripped_when_not_allowed(prosody, users):
    async def scenario():
        async with clients(prosody, users(2)) as (a, b):
            room = await create(a, "Alice", members_by_default="0",
                                muc__roomconfig_allowvisitorstatus="0")
            await room.enter(b, "Bob")
            b.send_raw(f"<presence to='{room.jid}/Bob'><show>away</show>"
                       "<status>visit cheap-pills.example</status></presence>")
            p = await presence_of(a, room.jid, "Bob", unavailable=False)
            assert p["show"] == "away" and p.xml.find("{jabber:client}status") is None
    run(scenario())


# §7.14 Leaving ----------------------------------------------------------------------------

def test_exit_with_a_custom_message(prosody, users):
    async def scenario():
        async with clients(prosody, users(2)) as (a, b):
            room = await create(a, "Alice")
            await room.enter(b, "Bob")
            b.send_raw(f"<presence to='{room.jid}/Bob' type='unavailable'>"
                       "<status>off to bed</status></presence>")
            mine = await presence_of(b, room.jid, "Bob", unavailable=True)
            theirs = await presence_of(a, room.jid, "Bob", unavailable=True)
            assert 110 in codes(mine) and 110 not in codes(theirs)
            for p in (mine, theirs):
                assert item(p).get("role") == "none" and p["status"] == "off to bed"
    run(scenario())


def test_last_occupant_leaving_destroys_a_temporary_room(prosody, users):
    async def scenario():
        async with clients(prosody, users(1)) as (a,):
            room = await create(a, "Alice")
            a.send_raw(f"<presence to='{room.jid}/Alice' type='unavailable'/>")
            await presence_of(a, room.jid, "Alice", unavailable=True)
            info = await iq(a, room.jid, f"<query xmlns='{NS_DISCO_INFO}'/>")
            assert error_of(info)[0] == "item-not-found"
    run(scenario())


# Several devices under one nick (allow_multiple_sessions) ------------------------------------

def test_two_devices_share_one_nick(prosody, users):
    alice, bob = users(2)

    async def scenario():
        async with clients(prosody, [alice, bob, bob]) as (a, b1, b2):
            room = await create(a, "Alice", muc__roomconfig_allowmultisessions="1")
            await room.enter(b1, "Bob")
            me = await join(b2, room.jid, "Bob")
            assert 110 in codes(me) and item(me).get("role") == "participant"
            await barrier(b1, [a], room.jid)        # Alice heard of no second Bob
            assert not room_presences(a, room.jid)
            await say(a, room.jid, "to both")
            for dev in (b1, b2):
                assert (await message_from(dev, f"{room.jid}/Alice", type="groupchat"))["body"] \
                    == "to both"
            a.send_raw(message(f"{room.jid}/Bob", body("pm both"), type="chat"))
            for dev in (b1, b2):
                assert (await message_from(dev, f"{room.jid}/Alice", type="chat"))["body"] \
                    == "pm both"
            b2.send_raw(f"<presence to='{room.jid}/Bob' type='unavailable'/>")
            gone = await presence_of(b2, room.jid, "Bob", unavailable=True)
            assert 110 in codes(gone)
            await barrier(b1, [a, b1], room.jid)    # Bob still there for Alice
            assert not room_presences(a, room.jid)
            b1.send_raw(f"<presence to='{room.jid}/Bob' type='unavailable'/>")
            await presence_of(a, room.jid, "Bob", unavailable=True)
    run(scenario())


def test_second_device_refused_without_multiple_sessions(prosody, users):
    alice, bob = users(2)

    async def scenario():
        async with clients(prosody, [alice, bob, bob]) as (a, b1, b2):
            room = await create(a, "Alice")
            await room.enter(b1, "Bob")
            err = await join(b2, room.jid, "Bob")
            assert err["type"] == "error" and error_of(err)[0] == "conflict"
    run(scenario())


# Ghosts: delivery errors remove the occupant with 333 ------------------------------------------

def test_delivery_error_from_an_occupant_removes_it_with_333(prosody, users):
    async def scenario():
        async with clients(prosody, users(2)) as (a, b):
            room = await create(a, "Alice")
            await room.enter(b, "Bob")
            b.send_raw(f"<message to='{room.jid}' type='error'><error type='cancel'>"
                       "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                       "</error></message>")
            theirs = await presence_of(a, room.jid, "Bob", unavailable=True)
            assert codes(theirs) == {333} and item(theirs).get("role") == "none"
            mine = await presence_of(b, room.jid, "Bob", unavailable=True)
            assert codes(mine) == {110, 333}
    run(scenario())


def test_presence_error_from_an_occupant_removes_it(prosody, users):
    async def scenario():
        async with clients(prosody, users(2)) as (a, b):
            room = await create(a, "Alice")
            await room.enter(b, "Bob")
            b.send_raw(f"<presence to='{room.jid}/Alice' type='error'><error type='cancel'>"
                       "<remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                       "</error></presence>")
            gone = await presence_from(a, f"{room.jid}/Bob", unavailable=True)
            assert 333 in codes(gone) and 307 not in codes(gone)
    run(scenario())


def test_an_error_that_is_no_delivery_failure_keeps_the_occupant(prosody, users):
    async def scenario():
        async with clients(prosody, users(2)) as (a, b):
            room = await create(a, "Alice")
            await room.enter(b, "Bob")
            b.send_raw(f"<message to='{room.jid}/Alice' type='error'><error type='modify'>"
                       "<not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                       "</error></message>")
            await barrier(b, [a, b], room.jid)
            assert not room_presences(a, room.jid)
            pong = await iq(b, f"{room.jid}/Bob", "<ping xmlns='urn:xmpp:ping'/>")
            assert pong["type"] == "result"        # still joined
    run(scenario())
