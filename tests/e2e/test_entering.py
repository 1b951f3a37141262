"""Entering a room end to end (XEP-0045 §7.1, §7.2) and bad presences: real
Prosody, `raymuc run`, real slixmpp clients, assertions on the XML they receive."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from xml.sax.saxutils import quoteattr

import pytest

from tests.e2e.muc import NS_MUC, ROOM_DOMAIN, codes, item, say
from tests.e2e.muc_flow import (
    NS_ADMIN, NS_CLIENT, NS_DELAY, barrier, configure, create, enter, error_of, field,
    iq, new_room, online, presence_from, status_codes,
)

pytestmark = pytest.mark.e2e


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def accounts(raymuc_service, prosody, xmpp_account):
    return lambda n: [xmpp_account() for _ in range(n)]


def kinds(seq) -> list[tuple[str, str]]:
    return [(s.name, str(s["from"]).partition("/")[2]) for s in seq]


def body_history(seq) -> list[str]:
    return [s["body"] for s in seq if s.name == "message" and s["body"]]


# §7.1, 7.2.1, 7.2.2 ---------------------------------------------------------------------

def test_join_order_self_presence_id_history_then_empty_subject(prosody, accounts):
    alice, bob, carol = accounts(3)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob, carol]) as (a, b, c):
            await create(a, room, "Alice")
            await enter(b, room, "Bob")
            await say(a, room, "first words", "h1")
            await barrier(a, [a, b], room)
            seq = await enter(c, room, "Carol", attrs=" id='join-77'")
            assert kinds(seq) == [("presence", "Alice"), ("presence", "Bob"),
                                  ("presence", "Carol"), ("message", "Alice"),
                                  ("message", "Alice"), ("message", "")], kinds(seq)
            me = seq[2]
            assert me["id"] == "join-77" and 110 in codes(me)
            assert item(me).get("role") == "participant" and item(me).get("jid") == c.boundjid.full
            assert body_history(seq[3:5])[0] == "first words"
            delay = seq[3].xml.find(f"{{{NS_DELAY}}}delay")
            assert delay is not None and delay.get("from") == room
            subject = seq[5].xml.find(f"{{{NS_CLIENT}}}subject")
            assert subject is not None and (subject.text or "") == "" and seq[5]["type"] == "groupchat"
            # others never see the join id
            seen = await presence_from(a, f"{room}/Carol")
            assert seen["id"] != "join-77"
    run(scenario())


def test_join_without_nick_and_blank_nick_are_jid_malformed(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await create(a, room, "Alice")
            for to in (room, f"{room}/ ", f"{room}/   "):
                b.send_raw(f"<presence to={quoteattr(to)} id='bad'><x xmlns='{NS_MUC}'/></presence>")
                err = await b.wait_for_stanza(lambda s: s.name == "presence" and s["type"] == "error")
                assert error_of(err) == ("jid-malformed", "modify", room), (to, err)
                assert err["id"] == "bad"
                assert err.xml.find(f"{{{NS_MUC}}}x") is not None
            seq = await enter(b, room, "Bob")          # still welcome with a real nick
            assert 110 in codes(seq[-2])
    run(scenario())


def test_presence_without_muc_x_from_non_occupant_is_kicked(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await create(a, room, "Alice")
            b.send_raw(f"<presence to='{room}/Bob'><status>old client</status></presence>")
            kick = await presence_from(b, f"{room}/Bob")
            assert kick["type"] == "unavailable"
            assert status_codes(kick) == [110, 307, 333]
            assert (item(kick).get("affiliation"), item(kick).get("role")) == ("none", "none")
            reason = item(kick).find("{http://jabber.org/protocol/muc#user}reason")
            assert reason is not None and reason.text == "You are not in the room."
            # Bob never entered: Alice's next stanza from the room is her own echo
            await say(a, room, "anyone?", "q1")
            echo = await a.wait_for_stanza(lambda s: s.name in ("message", "presence"))
            assert echo.name == "message" and echo["body"] == "anyone?", echo
    run(scenario())


def test_rejoin_resynchronises_the_session_only(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await create(a, room, "Alice")
            await enter(b, room, "Bob")
            await presence_from(a, f"{room}/Bob")
            await say(a, room, "before the rejoin", "r1")
            await barrier(a, [a, b], room)
            b.inbox.drain()
            seq = await enter(b, room, "Bob", attrs=" id='again'", muc_x="<history maxstanzas='1'/>")
            assert kinds(seq) == [("presence", "Alice"), ("presence", "Bob"),
                                  ("message", "Alice"), ("message", "")], kinds(seq)
            assert seq[1]["id"] == "again" and 110 in codes(seq[1])
            await barrier(b, [a], room)
            assert [s for s in a.inbox.drain() if s.name == "presence"] == []
    run(scenario())


# §7.2.3, 7.2.4 anonymity, 7.2.12 logging ---------------------------------------------------

def test_non_anonymous_room_status_100_and_real_jids_to_all(prosody, accounts):
    alice, bob, carol = accounts(3)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob, carol]) as (a, b, c):
            await create(a, room, "Alice", field("muc#roomconfig_whois", "anyone"),
                         field("muc#roomconfig_enablelogging", "1"))
            await enter(b, room, "Bob")
            seq = await enter(c, room, "Carol")
            assert sorted(status_codes(seq[2])) == [100, 110, 170]
            assert item(seq[0]).get("jid") == a.boundjid.full      # a participant sees all
            seen = await presence_from(b, f"{room}/Carol")
            assert item(seen).get("jid") == c.boundjid.full
    run(scenario())


def test_semi_anonymous_room_real_jids_to_moderators_only(prosody, accounts):
    alice, bob, carol = accounts(3)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob, carol]) as (a, b, c):
            await create(a, room, "Alice")
            await enter(b, room, "Bob")
            seq = await enter(c, room, "Carol")
            assert 100 not in status_codes(seq[2])
            assert [item(s).get("jid") for s in seq[:2]] == [None, None]
            assert item(seq[2]).get("jid") == c.boundjid.full        # its own, always
            to_bob = await presence_from(b, f"{room}/Carol")
            to_alice = await presence_from(a, f"{room}/Carol")
            assert item(to_bob).get("jid") is None
            assert item(to_alice).get("jid") == c.boundjid.full
    run(scenario())


# §7.2.5 - 7.2.10 refusals ---------------------------------------------------------------------

def test_password_protected_room_401_then_enter_with_password(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await create(a, room, "Alice", field("muc#roomconfig_passwordprotectedroom", "1"),
                         field("muc#roomconfig_roomsecret", "cauldronburn"))
            for extra in ("", "<password>wrong</password>"):
                seq = await enter(b, room, "Bob", muc_x=extra, attrs=" id='pw'")
                assert error_of(seq[-1]) == ("not-authorized", "auth", room), seq[-1]
                assert seq[-1]["id"] == "pw"
            seq = await enter(b, room, "Bob", muc_x="<password>cauldronburn</password>")
            assert 110 in codes(seq[-2])
    run(scenario())


def test_members_only_407_member_enters_banned_403(prosody, accounts):
    alice, bob, carol = accounts(3)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob, carol]) as (a, b, c):
            await create(a, room, "Alice", field("muc#roomconfig_membersonly", "1"))
            seq = await enter(b, room, "Bob")
            assert error_of(seq[-1]) == ("registration-required", "auth", room)
            bare_b, bare_c = b.boundjid.bare, c.boundjid.bare
            reply = await iq(a, room, f"<query xmlns='{NS_ADMIN}'><item affiliation='member' "
                                      f"jid='{bare_b}'/><item affiliation='outcast' "
                                      f"jid='{bare_c}'/></query>", "set")
            assert reply["type"] == "result", reply
            seq = await enter(b, room, "Bob")
            assert item(seq[-2]).get("affiliation") == "member"
            seq = await enter(c, room, "Carol")
            assert error_of(seq[-1]) == ("forbidden", "auth", room)
    run(scenario())


def test_max_users_503_wait_but_admins_still_enter(prosody, accounts):
    alice, bob, carol, dave = accounts(4)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob, carol, dave]) as (a, b, c, d):
            await create(a, room, "Alice", field("muc#roomconfig_maxusers", "2"),
                         field("muc#roomconfig_roomadmins", d.boundjid.bare))
            await enter(b, room, "Bob")
            seq = await enter(c, room, "Carol")
            assert error_of(seq[-1]) == ("service-unavailable", "wait", room)
            seq = await enter(d, room, "Dave")
            assert item(seq[-2]).get("affiliation") == "admin" and 110 in codes(seq[-2])
    run(scenario())


def test_nick_conflict_409(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await create(a, room, "Witch")
            seq = await enter(b, room, "Witch")
            assert error_of(seq[-1]) == ("conflict", "cancel", room)
    run(scenario())


def test_locked_room_hidden_until_the_owner_submits(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            seq = await enter(a, room, "Alice")
            assert {110, 201} <= set(status_codes(seq[0]))
            seq = await enter(b, room, "Bob")
            assert error_of(seq[-1]) == ("item-not-found", "cancel", room)
            info = await iq(b, room, "<query xmlns='http://jabber.org/protocol/disco#info'/>")
            assert error_of(info)[0] == "item-not-found"
            form = await iq(a, room, "<query xmlns='http://jabber.org/protocol/muc#owner'/>")
            assert form["type"] == "result"
            assert (await configure(a, room))["type"] == "result"
            seq = await enter(b, room, "Bob")
            assert 110 in codes(seq[-2])
    run(scenario())


# §7.2.13 - 7.2.15 history and subject ------------------------------------------------------

def test_history_management_attributes(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await create(a, room, "Alice")
            for i in range(4):
                await say(a, room, f"line {i}")
            await a.wait_for_stanza(lambda s: s.name == "message" and s["body"] == "line 3")

            async def history(muc_x: str) -> list[str]:
                seq = await enter(b, room, "Bob", muc_x=muc_x)
                assert seq[-1]["type"] == "groupchat", seq[-1]
                b.send_raw(f"<presence to='{room}/Bob' type='unavailable'/>")
                await presence_from(b, f"{room}/Bob", unavailable=True)
                return body_history(seq)

            assert await history("") == ["line 0", "line 1", "line 2", "line 3"]
            assert await history("<history maxchars='0'/>") == []
            assert await history("<history maxstanzas='2'/>") == ["line 2", "line 3"]
            assert await history("<history maxchars='1000000' maxstanzas='1'/>") == ["line 3"]
            assert await history("<history maxchars='10'/>") == []          # no stanza fits
            assert await history("<history seconds='3600'/>") == \
                ["line 0", "line 1", "line 2", "line 3"]
            future = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            assert await history(f"<history since='{future}'/>") == []
            assert await history("<history since='1970-01-01T00:00:00Z' maxstanzas='3'/>") == \
                ["line 1", "line 2", "line 3"]
    run(scenario())


def test_history_maxchars_sends_whole_stanzas_only(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await create(a, room, "Alice")
            await say(a, room, "x" * 300)
            await say(a, room, "y" * 300)
            await a.wait_for_stanza(lambda s: s.name == "message" and s["body"] == "y" * 300)
            # counted as sent, one of these stanzas is 600-900 characters (addresses, ids,
            # delay...): a 1000-character budget holds the newest one, not both
            seq = await enter(b, room, "Bob", muc_x="<history maxchars='1000'/>")
            assert body_history(seq) == ["y" * 300]
    run(scenario())


def test_subject_arrives_last_from_its_author(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await create(a, room, "Alice")
            a.send_raw(f"<message to='{room}' type='groupchat'><subject>Spells</subject></message>")
            await a.wait_for_stanza(lambda s: s.name == "message" and s["subject"] == "Spells")
            seq = await enter(b, room, "Bob")
            assert str(seq[-1]["from"]) == f"{room}/Alice" and seq[-1]["subject"] == "Spells"
            delay = seq[-1].xml.find(f"{{{NS_DELAY}}}delay")      # when it was set
            assert delay is not None and delay.get("from") == room
    run(scenario())


@pytest.mark.parametrize("history", [
    "<history maxchars='-1'/>", "<history maxstanzas='many'/>", "<history seconds='1.5'/>",
    "<history since='yesterday'/>", "<history since='2024-13-45T99:00:00Z'/>",
])
def test_malformed_history_request_is_bad_request(prosody, accounts, history):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await create(a, room, "Alice")
            seq = await enter(b, room, "Bob", muc_x=history)
            assert error_of(seq[-1])[0] == "bad-request", seq[-1]
            seq = await enter(b, room, "Bob")
            assert 110 in codes(seq[-2])                        # the room is fine
    run(scenario())


def test_presence_broadcast_hides_visitors_presence(prosody, accounts):
    alice, bob, carol = accounts(3)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob, carol]) as (a, b, c):
            await create(a, room, "Alice", field("members_by_default", "0"),
                         field("muc#roomconfig_presencebroadcast", "moderator", "participant"))
            seq = await enter(b, room, "Bob")               # a visitor
            assert item(seq[-2]).get("role") == "visitor"
            seq = await enter(c, room, "Carol")             # another one
            assert [k for k in kinds(seq) if k[0] == "presence"] == \
                [("presence", "Alice"), ("presence", "Carol")]
            await barrier(a, [a], room)
            assert [s for s in a.inbox.drain() if s.name == "presence"] == []
    run(scenario())


def test_unknown_presence_type_is_bad_request_and_probes_are_not_joins(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await create(a, room, "Alice")
            b.send_raw(f"<presence to='{room}/Bob' type='bogus' id='t1'><x xmlns='{NS_MUC}'/>"
                       "</presence>")
            err = await b.wait_for_stanza(lambda s: s.name == "presence" and s["type"] == "error")
            assert error_of(err)[0] == "bad-request" and err["id"] == "t1"
            # §17.3 rule 1: a presence with a type (a probe) never joins
            b.send_raw(f"<presence to='{room}/Bob' type='probe'/>")
            info = await iq(b, room, "<query xmlns='http://jabber.org/protocol/disco#info'/>")
            occupants = [f for f in info.xml.iter("{jabber:x:data}field")
                         if f.get("var") == "muc#roominfo_occupants"]
            assert occupants[0].findtext("{jabber:x:data}value") == "1"
    run(scenario())
