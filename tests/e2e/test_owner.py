"""Owner use cases end to end (XEP-0045 §10, without the affiliation lists of
§10.3-10.8): the muc#roomconfig form, reserved and instant rooms, cancelling,
configuration change notices, destroying; bad forms and IQs."""
from __future__ import annotations

import asyncio
from xml.sax.saxutils import quoteattr

import pytest

from tests.e2e.muc import NS_OWNER, NS_USER, ROOM_DOMAIN, codes, item
from tests.e2e.muc_flow import (
    NS_DISCO_INFO, NS_DISCO_ITEMS, ROOMCONFIG, configure, create, disco_features, disco_items,
    enter, error_of, field, form_fields, iq, new_room, online, presence_from, status_codes,
    values,
)

pytestmark = pytest.mark.e2e

STANDARD_VARS = {
    "muc#roomconfig_roomname", "muc#roomconfig_roomdesc", "muc#roomconfig_lang",
    "muc#roomconfig_publicroom", "muc#roomconfig_persistentroom",
    "muc#roomconfig_moderatedroom", "muc#roomconfig_membersonly",
    "muc#roomconfig_passwordprotectedroom", "muc#roomconfig_roomsecret",
    "muc#roomconfig_whois", "muc#roomconfig_maxusers", "muc#maxhistoryfetch",
    "muc#roomconfig_allowinvites", "muc#roomconfig_changesubject", "muc#roomconfig_allowpm",
    "muc#roomconfig_getmemberlist", "muc#roomconfig_presencebroadcast",
    "muc#roomconfig_roomowners", "muc#roomconfig_roomadmins",
    "muc#roomconfig_enablelogging", "muc#roomconfig_pubsub",
}
MONGOOSEIM_VARS = {"members_by_default", "public_list", "allow_query_users",
                   "muc#roomconfig_allowmultisessions", "muc#roomconfig_allowvisitorstatus",
                   "muc#roomconfig_allowvisitornickchange"}
OWNER_QUERY = f"<query xmlns='{NS_OWNER}'/>"
DISCO_INFO = f"<query xmlns='{NS_DISCO_INFO}'/>"


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def accounts(raymuc_service, prosody, xmpp_account):
    return lambda n: [xmpp_account() for _ in range(n)]


async def config_notice(client, room: str):
    return await client.wait_for_stanza(
        lambda s: s.name == "message" and str(s["from"]) == room and s["type"] == "groupchat"
        and s.xml.find(f"{{{NS_USER}}}x") is not None)


async def destroyed(client, full: str):
    pres = await presence_from(client, full, unavailable=True)
    return pres, pres.xml.find(f"{{{NS_USER}}}x/{{{NS_USER}}}destroy")


def test_reserved_room_form_has_every_field_then_submit_unlocks(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            seq = await enter(a, room, "Alice")
            assert {110, 201} <= set(status_codes(seq[0]))
            reply = await iq(a, room, OWNER_QUERY)
            assert reply["type"] == "result", reply
            query = reply.xml.find(f"{{{NS_OWNER}}}query")
            fields = form_fields(query)
            assert STANDARD_VARS | MONGOOSEIM_VARS | {"FORM_TYPE"} <= set(fields)
            assert fields["FORM_TYPE"].get("type") == "hidden"
            assert values(fields["FORM_TYPE"]) == [ROOMCONFIG]
            assert fields["muc#roomconfig_whois"].get("type") == "list-single"
            assert fields["muc#roomconfig_roomsecret"].get("type") == "text-private"
            assert fields["muc#roomconfig_roomowners"].get("type") == "jid-multi"
            assert values(fields["muc#roomconfig_roomowners"]) == [a.boundjid.bare]
            assert fields["muc#roomconfig_presencebroadcast"].get("type") == "list-multi"
            reply = await configure(a, room, field("muc#roomconfig_roomname", "A Dark Cave"),
                                    field("muc#roomconfig_roomdesc", "The place for witches"),
                                    field("muc#roomconfig_lang", "en"),
                                    field("muc#roomconfig_publicroom", "0"),
                                    field("muc#roomconfig_moderatedroom", "0"),
                                    field("muc#roomconfig_changesubject", "0"),
                                    field("muc#roomconfig_whois", "anyone"))
            assert reply["type"] == "result", reply
            info = await iq(b, room, DISCO_INFO)
            ident = info.xml.find(f"{{{NS_DISCO_INFO}}}query/{{{NS_DISCO_INFO}}}identity")
            assert ident.get("name") == "A Dark Cave"
            assert {"muc_hidden", "muc_unmoderated", "muc_nonanonymous"} <= disco_features(info)
            seq = await enter(b, room, "Bob")
            assert 100 in status_codes(seq[-2])
            again = form_fields((await iq(a, room, OWNER_QUERY)).xml.find(f"{{{NS_OWNER}}}query"))
            assert values(again["muc#roomconfig_roomname"]) == ["A Dark Cave"]
            assert values(again["muc#roomconfig_changesubject"]) == ["0"]
            assert values(again["muc#roomconfig_whois"]) == ["anyone"]
    run(scenario())


def test_instant_room_is_open_at_once(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await enter(a, room, "Alice")
            reply = await configure(a, room)        # an empty submit form
            assert reply["type"] == "result"
            seq = await enter(b, room, "Bob")
            assert 110 in codes(seq[-2])
    run(scenario())


def test_cancelling_the_initial_configuration_destroys_the_room(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await enter(a, room, "Alice")
            reply = await configure(a, room, form_type="cancel")
            assert reply["type"] == "result"
            pres, destroy = await destroyed(a, f"{room}/Alice")
            assert destroy is not None and 110 in codes(pres)
            info = await iq(b, room, DISCO_INFO)
            assert error_of(info)[0] == "item-not-found"
            seq = await enter(b, room, "Bob")        # the name is free: a new room
            assert 201 in codes(seq[-2])
    run(scenario())


def test_owner_leaving_before_configuring_destroys_the_room(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await enter(a, room, "Alice")
            a.send_raw(f"<presence to='{room}/Alice' type='unavailable'/>")
            pres, destroy = await destroyed(a, f"{room}/Alice")
            assert destroy is not None
            seq = await enter(b, room, "Bob")
            assert 201 in codes(seq[-2])
    run(scenario())


def test_later_cancel_leaves_the_configuration(prosody, accounts):
    alice, = accounts(1)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice]) as (a,):
            await create(a, room, "Alice", field("muc#roomconfig_roomname", "Kept"))
            reply = await configure(a, room, field("muc#roomconfig_roomname", "Lost"),
                                    form_type="cancel")
            assert reply["type"] == "result"
            fields = form_fields((await iq(a, room, OWNER_QUERY)).xml.find(f"{{{NS_OWNER}}}query"))
            assert values(fields["muc#roomconfig_roomname"]) == ["Kept"]
    run(scenario())


def test_configuration_changes_are_announced_104_170_171_172_173(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await create(a, room, "Alice")
            await enter(b, room, "Bob")
            steps = [
                (field("muc#roomconfig_roomname", "Renamed"), [104]),
                (field("muc#roomconfig_enablelogging", "1"), [104, 170]),
                (field("muc#roomconfig_enablelogging", "0"), [104, 171]),
                (field("muc#roomconfig_whois", "anyone"), [104, 172]),
                (field("muc#roomconfig_whois", "moderators"), [104, 173]),
            ]
            for form, expected in steps:
                assert (await configure(a, room, form))["type"] == "result"
                for client in (a, b):
                    notice = await config_notice(client, room)
                    assert sorted(status_codes(notice)) == expected
                    assert notice["body"] == "" and notice.xml.find(
                        "{jabber:client}subject") is None
    run(scenario())


@pytest.mark.parametrize("form, condition", [
    (field("muc#roomconfig_publicroom", "maybe"), "bad-request"),
    (field("muc#roomconfig_maxusers", "lots"), "bad-request"),
    (field("muc#roomconfig_whois", "none"), "bad-request"),
    (field("muc#maxhistoryfetch", "-1"), "bad-request"),
    (field("muc#roomconfig_roomowners", "@@@"), "jid-malformed"),
    (field("muc#roomconfig_maxusers", "1000000000"), "bad-request"),             # 10 digits
    (field("muc#roomconfig_passwordprotectedroom", "1"), "not-acceptable"),   # blank password
    (field("muc#roomconfig_roomowners"), "conflict"),                           # nobody
])
def test_unacceptable_forms_are_refused_and_change_nothing(prosody, accounts, form, condition):
    alice, = accounts(1)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice]) as (a,):
            await create(a, room, "Alice", field("muc#roomconfig_roomname", "Before"))
            reply = await configure(a, room, field("muc#roomconfig_roomname", "After"), form)
            assert error_of(reply)[0] == condition, reply
            fields = form_fields((await iq(a, room, OWNER_QUERY)).xml.find(f"{{{NS_OWNER}}}query"))
            assert values(fields["muc#roomconfig_roomname"]) == ["Before"]
    run(scenario())


def test_wrong_forms_and_non_owners(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await create(a, room, "Alice")
            await enter(b, room, "Bob")
            for inner, condition in (
                (f"<query xmlns='{NS_OWNER}'><x xmlns='jabber:x:data' type='form'/></query>",
                 "bad-request"),
                (f"<query xmlns='{NS_OWNER}'><x xmlns='jabber:x:data' type='result'/></query>",
                 "bad-request"),
                (f"<query xmlns='{NS_OWNER}'><x xmlns='jabber:x:data' type='bogus'/></query>",
                 "bad-request"),
                (f"<query xmlns='{NS_OWNER}'><x xmlns='jabber:x:data' type='submit'>"
                 f"{field('FORM_TYPE', 'http://jabber.org/protocol/muc#register')}</x></query>",
                 "bad-request"),
                (f"<query xmlns='{NS_OWNER}'><x xmlns='jabber:x:data' type='submit'>"
                 "<field><value>no var</value></field></x></query>", "bad-request"),
                (f"<query xmlns='{NS_OWNER}'><x xmlns='jabber:x:data' type='submit'>"
                 f"{field('muc#roomconfig_roomname', 'a')}{field('muc#roomconfig_roomname', 'b')}"
                 "</x></query>", "bad-request"),                   # a field twice
                (f"<query xmlns='{NS_OWNER}'/>", "bad-request"),    # a set without a form
                (f"<query xmlns='{NS_OWNER}'><destroy jid='not a jid@@'/></query>",
                 "jid-malformed"),
            ):
                reply = await iq(a, room, inner, "set")
                assert error_of(reply)[0] == condition, (inner, reply)
            reply = await iq(b, room, OWNER_QUERY)
            assert error_of(reply)[:2] == ("forbidden", "auth")
            reply = await configure(b, room, field("muc#roomconfig_roomname", "Mine now"))
            assert error_of(reply)[:2] == ("forbidden", "auth")
            reply = await iq(b, room, f"<query xmlns='{NS_OWNER}'><destroy/></query>", "set")
            assert error_of(reply)[:2] == ("forbidden", "auth")
            seq = await enter(b, room, "Bob")                   # still there, still working
            assert 110 in codes(seq[-2])
    run(scenario())


def test_owner_and_admin_lists_through_the_form(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await create(a, room, "Alice")
            await enter(b, room, "Bob")
            await presence_from(a, f"{room}/Bob")
            reply = await configure(a, room, field("muc#roomconfig_roomadmins", b.boundjid.bare))
            assert reply["type"] == "result"
            for client in (a, b):
                pres = await presence_from(client, f"{room}/Bob")
                assert (item(pres).get("affiliation"), item(pres).get("role")) == \
                    ("admin", "moderator")
    run(scenario())


def test_destroy_with_reason_alternate_venue_and_password(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN)
    venue = new_room(ROOM_DOMAIN, "venue")

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await create(a, room, "Alice")
            await enter(b, room, "Bob")
            reply = await iq(a, room, f"<query xmlns='{NS_OWNER}'><destroy jid={quoteattr(venue)}>"
                                      "<reason>Macbeth doth come.</reason>"
                                      "<password>cauldronburn</password></destroy></query>", "set")
            assert reply["type"] == "result", reply
            for client, nick in ((a, "Alice"), (b, "Bob")):
                pres, destroy = await destroyed(client, f"{room}/{nick}")
                assert destroy.get("jid") == venue
                assert destroy.findtext(f"{{{NS_USER}}}reason") == "Macbeth doth come."
                assert destroy.findtext(f"{{{NS_USER}}}password") == "cauldronburn"
                assert (item(pres).get("affiliation"), item(pres).get("role")) == ("none", "none")
                assert 110 in codes(pres)
            # one presence each: Bob never hears of Alice's removal
            other = [s for s in b.inbox.drain() if s.name == "presence"
                     and str(s["from"]) == f"{room}/Alice"]
            assert other == []
    run(scenario())


def test_destroying_a_persistent_room_removes_it_from_storage(prosody, accounts):
    alice, bob = accounts(2)
    room = new_room(ROOM_DOMAIN, "keep")

    async def scenario():
        async with online(prosody, [alice, bob]) as (a, b):
            await create(a, room, "Alice", field("muc#roomconfig_persistentroom", "1"),
                         field("muc#roomconfig_roomname", "Persistent one"))
            a.send_raw(f"<presence to='{room}/Alice' type='unavailable'/>")
            await presence_from(a, f"{room}/Alice", unavailable=True)
            listing = await iq(b, ROOM_DOMAIN, f"<query xmlns='{NS_DISCO_ITEMS}'/>")
            assert room in {i.get("jid") for i in disco_items(listing)}
            reply = await iq(a, room, f"<query xmlns='{NS_OWNER}'><destroy/></query>", "set")
            assert reply["type"] == "result", reply
            listing = await iq(b, ROOM_DOMAIN, f"<query xmlns='{NS_DISCO_ITEMS}'/>")
            assert room not in {i.get("jid") for i in disco_items(listing)}
            info = await iq(b, room, DISCO_INFO)
            assert error_of(info)[0] == "item-not-found"
            seq = await enter(b, room, "Bob")
            assert 201 in codes(seq[-2])                       # a brand new room
    run(scenario())
