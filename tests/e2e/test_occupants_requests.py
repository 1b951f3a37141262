"""XEP-0045 §7 occupant use cases end to end, part two: mediated invitations and
declines (§7.8.2), voice requests and approval (§7.13, §8.6), registration and
reserved nicks (§7.10, §7.12), IQs to occupants (§6.6, §17.4) and XEP-0410
self-ping; through Prosody with real slixmpp clients."""
from __future__ import annotations

import pytest

from tests.e2e.admin_room import admin_ok, clients, item, listed, run, users  # noqa: F401
from tests.e2e.muc import NS_USER, codes, is_from, join, say
from tests.e2e.muc_flow import error_of, iq, presence_from
from tests.e2e.occupant_flow import (NS_MUC_REGISTER, NS_REGISTER, NS_REQUEST, create,
                                     data_form, error_reply, form_values, iq_reply, message,
                                     message_from, next_id, presence_of, submit_form,
                                     user_x_child)

pytestmark = pytest.mark.e2e
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"
NS_VERSION = "jabber:iq:version"


def invite_xml(to: str, reason: str = "", extra: str = "") -> str:
    inner = f"<reason>{reason}</reason>" if reason else ""
    return f"<x xmlns='{NS_USER}'><invite to='{to}'>{inner}</invite>{extra}</x>"


def invitation(s, room: str) -> bool:
    return s.name == "message" and is_from(s, room) and user_x_child(s, "invite") is not None


# §7.8.2 Mediated invitations --------------------------------------------------------------

def test_mediated_invitation_from_the_room_with_reason_and_password(prosody, users):
    alice, hecate = users(2)

    async def scenario():
        async with clients(prosody, [alice, hecate]) as (a, h):
            room = await create(a, "Alice", muc__roomconfig_passwordprotectedroom="1",
                                muc__roomconfig_roomsecret="cauldronburn")
            a.send_raw(message(room.jid, invite_xml(hecate.jid, "the place for good witches"),
                               id="nzd143v8"))
            got = await h.wait_for_stanza(lambda s: invitation(s, room.jid))
            assert got["id"] == "nzd143v8"
            inv = user_x_child(got, "invite")
            assert inv.get("from") == a.boundjid.full
            assert inv.findtext(f"{{{NS_USER}}}reason") == "the place for good witches"
            assert user_x_child(got, "password").text == "cauldronburn"
            # the password lets the invitee in
            me = await join(h, room.jid, "Hecate", extra="<password>cauldronburn</password>")
            assert 110 in codes(me)
    run(scenario())


def test_participants_invite_only_when_the_room_allows_it(prosody, users):
    alice, bob, hecate = users(3)

    async def scenario():
        async with clients(prosody, [alice, bob, hecate]) as (a, b, h):
            closed = await create(a, "Alice")
            await closed.enter(b, "Bob")
            b.send_raw(message(closed.jid, invite_xml(hecate.jid), id="inv1"))
            assert error_of(await error_reply(b, "inv1"))[:2] == ("forbidden", "auth")
            open_ = await create(a, "Alice", muc__roomconfig_allowinvites="1")
            await open_.enter(b, "Bob")
            b.send_raw(message(open_.jid, invite_xml(hecate.jid), id="inv2"))
            got = await h.wait_for_stanza(lambda s: invitation(s, open_.jid))
            assert user_x_child(got, "invite").get("from") == b.boundjid.full
            assert not [s for s in h.inbox.drain() if invitation(s, closed.jid)]
    run(scenario())


def test_members_only_invitation_admits_the_invitee_as_member(prosody, users):
    alice, hecate = users(2)

    async def scenario():
        async with clients(prosody, [alice, hecate]) as (a, h):
            room = await create(a, "Alice", muc__roomconfig_membersonly="1")
            refused = await join(h, room.jid, "Hecate")
            assert error_of(refused)[0] == "registration-required"
            a.send_raw(message(room.jid, invite_xml(hecate.jid)))
            await h.wait_for_stanza(lambda s: invitation(s, room.jid))
            members = await admin_ok(a, room.jid, "<item affiliation='member'/>", type_="get")
            assert [i.get("jid") for i in listed(members)] == [hecate.jid]
            me = await join(h, room.jid, "Hecate")
            assert 110 in codes(me) and item(me).get("affiliation") == "member"
    run(scenario())


def test_decline_reaches_the_inviter(prosody, users):
    alice, hecate = users(2)

    async def scenario():
        async with clients(prosody, [alice, hecate]) as (a, h):
            room = await create(a, "Alice")
            a.send_raw(message(room.jid, invite_xml(hecate.jid)))
            await h.wait_for_stanza(lambda s: invitation(s, room.jid))
            h.send_raw(message(room.jid, f"<x xmlns='{NS_USER}'><decline to='{alice.jid}'>"
                                         "<reason>Sorry, too busy</reason></decline></x>",
                               id="jk2vs61v"))
            got = await a.wait_for_stanza(lambda s: s.name == "message" and is_from(s, room.jid)
                                          and user_x_child(s, "decline") is not None)
            assert got["id"] == "jk2vs61v"
            dec = user_x_child(got, "decline")
            assert dec.get("from") == hecate.jid
            assert dec.findtext(f"{{{NS_USER}}}reason") == "Sorry, too busy"
            # a decline nobody was invited for is not relayed
            h.send_raw(message(room.jid, f"<x xmlns='{NS_USER}'><decline to='{alice.jid}'/></x>",
                               id="again"))
            assert error_of(await error_reply(h, "again"))[0] == "item-not-found"
    run(scenario())


# §7.13 / §8.6 Voice ------------------------------------------------------------------------

def voice_request() -> str:
    return submit_form({"FORM_TYPE": NS_REQUEST, "muc#role": "participant"})


def test_voice_request_and_approval(prosody, users):
    async def scenario():
        async with clients(prosody, users(2)) as (a, b):
            room = await create(a, "Alice", members_by_default="0")
            me = await room.enter(b, "Bob")
            assert item(me).get("role") == "visitor"
            b.send_raw(message(room.jid, voice_request(), id="yd53c486"))
            got = await a.wait_for_stanza(lambda s: s.name == "message" and is_from(s, room.jid)
                                          and data_form(s) is not None)
            form = data_form(got)
            assert form.get("type") == "form"
            values = form_values(form)
            assert values["FORM_TYPE"] == [NS_REQUEST] and values["muc#role"] == ["participant"]
            assert values["muc#jid"] == [b.boundjid.full] and values["muc#roomnick"] == ["Bob"]
            assert values["muc#request_allow"] == ["false"]
            values = {k: v[0] for k, v in values.items()}
            a.send_raw(message(room.jid, submit_form({**values, "muc#request_allow": "true"})))
            for client in (a, b):
                p = await presence_of(client, room.jid, "Bob", unavailable=False,
                                      role="participant")
                assert (110 in codes(p)) == (client is b)
            await say(b, room.jid, "thank you")
            assert (await message_from(a, f"{room.jid}/Bob", type="groupchat"))["body"] \
                == "thank you"
    run(scenario())


def test_voice_request_and_approval_refusals(prosody, users):
    async def scenario():
        async with clients(prosody, users(3)) as (a, b, c):
            room = await create(a, "Alice", members_by_default="0")
            await room.enter(b, "Bob")
            a.send_raw(message(room.jid, voice_request(), id="vr1"))      # has voice already
            assert error_of(await error_reply(a, "vr1"))[0] == "not-allowed"
            c.send_raw(message(room.jid, voice_request(), id="vr2"))      # not in the room
            assert error_of(await error_reply(c, "vr2"))[0] == "not-acceptable"
            b.send_raw(message(room.jid, submit_form({           # a visitor approving itself
                "FORM_TYPE": NS_REQUEST, "muc#role": "participant", "muc#roomnick": "Bob",
                "muc#request_allow": "true"}), id="va1"))
            assert error_of(await error_reply(b, "va1"))[0] == "forbidden"
    run(scenario())


# §7.10 / §7.12 Registration and reserved nicks ------------------------------------------------

def register_form(nick: str) -> str:
    return (f"<query xmlns='{NS_REGISTER}'>"
            + submit_form({"FORM_TYPE": NS_MUC_REGISTER, "muc#register_roomnick": nick})
            + "</query>")


def test_register_then_discover_the_reserved_nick(prosody, users):
    async def scenario():
        async with clients(prosody, users(2)) as (a, c):
            room = await create(a, "Alice", muc__roomconfig_persistentroom="1")
            stranger = await iq(c, room.jid, register_form("thirdwitch"), "set")
            assert error_of(stranger)[:2] == ("not-allowed", "cancel")   # only occupants
            await room.enter(c, "thirdwitch")
            form = await iq(c, room.jid, f"<query xmlns='{NS_REGISTER}'/>")
            assert form["type"] == "result"
            x = form.xml.find(f"{{{NS_REGISTER}}}query/{{jabber:x:data}}x")
            assert x.get("type") == "form"
            assert set(form_values(x)) == {"FORM_TYPE", "muc#register_roomnick"}
            done = await iq(c, room.jid, register_form("thirdwitch"), "set")
            assert done["type"] == "result"
            again = await iq(c, room.jid, f"<query xmlns='{NS_REGISTER}'/>")
            q = again.xml.find(f"{{{NS_REGISTER}}}query")
            assert q.find(f"{{{NS_REGISTER}}}registered") is not None
            assert q.findtext(f"{{{NS_REGISTER}}}username") == "thirdwitch"
            nick = await iq(c, room.jid, f"<query xmlns='{NS_DISCO_INFO}' node='x-roomuser-item'/>")
            ident = nick.xml.find(f"{{{NS_DISCO_INFO}}}query/{{{NS_DISCO_INFO}}}identity")
            assert (ident.get("category"), ident.get("type"), ident.get("name")) == \
                ("conference", "text", "thirdwitch")
            none = await iq(a, room.jid, f"<query xmlns='{NS_DISCO_INFO}' node='x-roomuser-item'/>")
            assert none["type"] == "result" and len(none.xml.find(f"{{{NS_DISCO_INFO}}}query")) == 0
            members = await admin_ok(a, room.jid, "<item affiliation='member'/>", type_="get")
            assert [(i.get("jid"), i.get("nick")) for i in listed(members)] == \
                [(c.boundjid.bare, "thirdwitch")]
    run(scenario())


def test_registration_while_present_and_the_reserved_nick_kept_from_others(prosody, users):
    async def scenario():
        async with clients(prosody, users(3)) as (a, b, c):
            room = await create(a, "Alice")
            await room.enter(c, "Cee")
            assert (await iq(c, room.jid, register_form("Cee"), "set"))["type"] == "result"
            p = await presence_of(a, room.jid, "Cee", unavailable=False, affiliation="member")
            assert item(p).get("role") == "participant"
            c.send_raw(f"<presence to='{room.jid}/Cee' type='unavailable'/>")
            await presence_of(a, room.jid, "Cee", unavailable=True)
            room.gone("Cee")
            err = await join(b, room.jid, "Cee")
            assert err["type"] == "error" and error_of(err)[0] == "conflict"
            await room.enter(b, "Bee")          # only occupants register (issue 15)
            clash = await iq(b, room.jid, register_form("Cee"), "set")
            assert error_of(clash)[:2] == ("conflict", "cancel")
    run(scenario())


def test_members_only_registration_and_cancelling_it(prosody, users):
    async def scenario():
        async with clients(prosody, users(2)) as (a, c):
            room = await create(a, "Alice", muc__roomconfig_membersonly="1")
            closed = await iq(c, room.jid, f"<query xmlns='{NS_REGISTER}'/>")
            assert error_of(closed)[:2] == ("not-allowed", "cancel")
            bad = await iq(a, room.jid, f"<query xmlns='{NS_REGISTER}'><x xmlns='jabber:x:data'"
                                        " type='submit'/></query>", "set")
            assert error_of(bad)[0] == "bad-request"
            assert (await iq(a, room.jid, register_form("Boss"), "set"))["type"] == "result"
            remove = f"<query xmlns='{NS_REGISTER}'><remove/></query>"
            assert (await iq(a, room.jid, remove, "set"))["type"] == "result"
            assert error_of(await iq(a, room.jid, remove, "set"))[0] == "registration-required"
    run(scenario())


# §6.6 / §17.4 IQs to occupants, XEP-0410 -----------------------------------------------------

def test_iq_to_an_occupant_is_forwarded_and_answered_with_the_original_id(prosody, users):
    async def scenario():
        async with clients(prosody, users(2)) as (a, b):
            b.register_plugin("xep_0092")           # Bob's client answers version queries
            room = await create(a, "Alice")
            await room.enter(b, "Bob")
            qid = next_id("ver")
            a.send_raw(f"<iq type='get' to='{room.jid}/Bob' id='{qid}'>"
                       f"<query xmlns='{NS_VERSION}'/></iq>")
            fwd = await b.wait_for_stanza(lambda s: s.name == "iq" and s["type"] == "get")
            assert is_from(fwd, f"{room.jid}/Alice") and fwd["id"] != qid
            answer = await iq_reply(a, qid)
            assert answer["type"] == "result" and is_from(answer, f"{room.jid}/Bob")
            assert answer.xml.find(f"{{{NS_VERSION}}}query/{{{NS_VERSION}}}name") is not None
    run(scenario())


def test_iq_errors_for_strangers_unknown_nicks_and_closed_rooms(prosody, users):
    async def scenario():
        async with clients(prosody, users(3)) as (a, b, c):
            room = await create(a, "Alice", allow_query_users="0")
            await room.enter(b, "Bob")
            version = f"<query xmlns='{NS_VERSION}'/>"
            closed = await iq(a, f"{room.jid}/Bob", version)
            assert error_of(closed)[0] == "not-allowed" and is_from(closed, f"{room.jid}/Bob")
            assert error_of(await iq(a, f"{room.jid}/Nobody", version))[0] == "item-not-found"
            assert error_of(await iq(c, f"{room.jid}/Bob", version))[0] == "not-acceptable"
            disco = await iq(c, f"{room.jid}/Bob", f"<query xmlns='{NS_DISCO_INFO}'/>")
            assert error_of(disco)[0] == "bad-request"
            assert not [s for s in b.inbox.drain() if s.name == "iq"]
    run(scenario())


def test_vcard_query_to_an_occupant_goes_to_its_account(prosody, users):
    async def scenario():
        async with clients(prosody, users(2)) as (a, b):
            room = await create(a, "Alice")
            await room.enter(b, "Bob")
            answer = await iq(a, f"{room.jid}/Bob", "<vCard xmlns='vcard-temp'/>")
            # the harness Prosody has no vCard store: Bob's server answers for the account
            assert is_from(answer, f"{room.jid}/Bob") and answer["type"] in ("result", "error")
            assert not [s for s in b.inbox.drain() if s.name == "iq"]
    run(scenario())


def test_self_ping_answered_by_the_room(prosody, users):
    async def scenario():
        async with clients(prosody, users(3)) as (a, b, c):
            room = await create(a, "Alice", allow_query_users="0")
            await room.enter(b, "Bob")
            ping = "<ping xmlns='urn:xmpp:ping'/>"
            pong = await iq(b, f"{room.jid}/Bob", ping)
            assert pong["type"] == "result" and is_from(pong, f"{room.jid}/Bob")
            assert not [s for s in b.inbox.drain() if s.name == "iq" and s["type"] == "get"]
            outsider = await iq(c, f"{room.jid}/Bob", ping)
            assert error_of(outsider)[:2] == ("not-acceptable", "cancel")
            b.send_raw(f"<presence to='{room.jid}/Bob' type='unavailable'/>")
            await presence_from(a, f"{room.jid}/Bob", unavailable=True)
            assert error_of(await iq(b, f"{room.jid}/Bob", ping))[0] == "not-acceptable"
    run(scenario())


def test_ping_to_another_occupant_is_forwarded(prosody, users):
    async def scenario():
        async with clients(prosody, users(2)) as (a, b):
            b.register_plugin("xep_0199")           # Bob's client answers pings
            room = await create(a, "Alice")
            await room.enter(b, "Bob")
            pong = await iq(a, f"{room.jid}/Bob", "<ping xmlns='urn:xmpp:ping'/>")
            assert pong["type"] == "result" and is_from(pong, f"{room.jid}/Bob")
            fwd = await b.wait_for_stanza(lambda s: s.name == "iq" and s["type"] == "get")
            assert is_from(fwd, f"{room.jid}/Alice")
    run(scenario())

