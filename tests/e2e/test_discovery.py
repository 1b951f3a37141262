"""Discovery end to end (XEP-0045 §6), bad IQs, and XEP-0421 occupant-id across a
full service restart. Runs its own Prosody and `raymuc run` (a service
administrator is configured, and the last test restarts the service)."""
from __future__ import annotations

import asyncio
import secrets
import tempfile
from pathlib import Path

import pytest

from raymuc.prosody import ProsodyServer
from tests.e2e.muc import codes
from tests.e2e.muc_flow import (
    NS_DISCO_INFO, NS_DISCO_ITEMS, create, disco_features, disco_items, enter, error_of, field,
    form_fields, iq, new_room, occupant_id, presence_from, values,
)
from tests.e2e.xmpp_clients import connected_client
from tests.fixtures.service import ServiceProcess, write_config

pytestmark = pytest.mark.e2e
DOMAIN = "disco.localhost"
NS_RSM = "http://jabber.org/protocol/rsm"
INFO = f"<query xmlns='{NS_DISCO_INFO}'/>"
ITEMS = f"<query xmlns='{NS_DISCO_ITEMS}'/>"
ADMIN_CONFIG = """access_admin = "muc_admin"
[acl]
muc_admins = [{user = "boss", server = "localhost"}]
[access]
muc_admin = [{acl = "muc_admins", value = "allow"}]
"""


class Setup:
    def __init__(self, base: Path):
        self.base = base
        secret = secrets.token_hex(8)
        self.server = ProsodyServer(base / "prosody", components={DOMAIN: secret})
        self.server.start()
        self.config = write_config(base / "raymuc.toml", self.server.component_port, secret,
                                   base / "data", extra=ADMIN_CONFIG,
                                   domain_template="disco.@HOST@")
        self.starts = 0
        self.service = self.start()
        self.boss = (self.server.register("boss", "pw"), "pw")

    def start(self) -> ServiceProcess:
        self.starts += 1
        return ServiceProcess(self.config, self.base / f"service{self.starts}.log").start()

    def restart(self) -> None:
        assert self.service.stop() == 0, self.service.log_tail()
        self.service = self.start()

    def account(self):
        user = f"d{secrets.token_hex(5)}"
        return self.server.register(user, "pw"), "pw"

    def client(self, account):
        return connected_client(*account, "127.0.0.1", self.server.c2s_port)


@pytest.fixture(scope="module")
def setup():
    s = Setup(Path(tempfile.mkdtemp(prefix="rmd-")))
    yield s
    code = s.service.stop()
    s.server.stop()
    assert code == 0, s.service.log_tail()


def run(coro):
    return asyncio.run(coro)


def query(stanza, ns: str):
    return stanza.xml.find(f"{{{ns}}}query")


def test_service_identity_and_features(setup):
    async def scenario():
        async with setup.client(setup.account()) as c:
            info = await iq(c, DOMAIN, INFO)
            assert info["type"] == "result", info
            ident = query(info, NS_DISCO_INFO).find(f"{{{NS_DISCO_INFO}}}identity")
            assert (ident.get("category"), ident.get("type")) == ("conference", "text")
            assert ident.get("name")
            assert {"http://jabber.org/protocol/muc", NS_DISCO_INFO, NS_DISCO_ITEMS, "urn:xmpp:ping",
                    "urn:xmpp:occupant-id:0", "urn:xmpp:sid:0", NS_RSM} <= disco_features(info)
            pong = await iq(c, DOMAIN, "<ping xmlns='urn:xmpp:ping'/>")
            assert pong["type"] == "result"
    run(scenario())


def test_service_lists_public_rooms_hidden_ones_to_admins_and_owners(setup):
    public = new_room(DOMAIN, "pub")
    hidden = new_room(DOMAIN, "hid")
    owner, stranger = setup.account(), setup.account()

    async def scenario():
        async with setup.client(owner) as o, setup.client(stranger) as s, \
                setup.client(setup.boss) as boss:
            await create(o, public, "Owner", field("muc#roomconfig_persistentroom", "1"),
                         field("muc#roomconfig_roomname", "Open Heath"))
            await create(o, hidden, "Owner", field("muc#roomconfig_persistentroom", "1"),
                         field("muc#roomconfig_publicroom", "0"))

            async def listed(client) -> dict[str, str]:
                reply = await iq(client, DOMAIN, ITEMS)
                assert reply["type"] == "result", reply
                return {i.get("jid"): i.get("name") for i in disco_items(reply)}

            seen = await listed(s)
            assert seen.get(public) == "Open Heath" and hidden not in seen
            assert hidden in await listed(o)
            assert {public, hidden} <= set(await listed(boss))

            # temporary rooms come from the live directory (the hosts report to the
            # supervisor after the command, so the listing catches up shortly)
            temp, temp_hidden = new_room(DOMAIN, "tmp"), new_room(DOMAIN, "tmh")
            await create(o, temp, "Owner", field("muc#roomconfig_roomname", "Passing Cloud"))
            await create(o, temp_hidden, "Owner", field("muc#roomconfig_publicroom", "0"))
            for _ in range(100):
                if (await listed(boss)).keys() >= {temp, temp_hidden}:
                    break
                await asyncio.sleep(0.1)
            seen = await listed(s)
            assert seen.get(temp) == "Passing Cloud" and temp_hidden not in seen
            assert {temp, temp_hidden} <= set(await listed(boss))
            node = await iq(s, DOMAIN, f"<query xmlns='{NS_DISCO_ITEMS}' node='nope'/>")
            assert error_of(node)[0] == "item-not-found"

            # XEP-0059: walking the list two rooms at a time gives the whole list
            everything = list(await listed(boss))
            walked, after, count = [], "", None
            while True:
                reply = await iq(boss, DOMAIN, f"<query xmlns='{NS_DISCO_ITEMS}'><set xmlns="
                                               f"'{NS_RSM}'><max>2</max>{after}</set></query>")
                page = [i.get("jid") for i in disco_items(reply)]
                rsm = query(reply, NS_DISCO_ITEMS).find(f"{{{NS_RSM}}}set")
                count = int(rsm.findtext(f"{{{NS_RSM}}}count"))
                if not page:
                    break
                assert len(page) <= 2 and rsm.findtext(f"{{{NS_RSM}}}last") == page[-1]
                assert rsm.find(f"{{{NS_RSM}}}first").get("index") == str(len(walked))
                walked += page
                after = f"<after>{page[-1]}</after>"
            assert walked == everything and count == len(everything) >= 2
            bad = await iq(boss, DOMAIN, f"<query xmlns='{NS_DISCO_ITEMS}'><set xmlns='{NS_RSM}'>"
                                         "<after>nobody@nowhere</after></set></query>")
            assert error_of(bad)[0] == "item-not-found"
    run(scenario())


def test_room_identity_features_and_roominfo(setup):
    room = new_room(DOMAIN)
    owner, guest, stranger = setup.account(), setup.account(), setup.account()

    async def scenario():
        async with setup.client(owner) as o, setup.client(guest) as g, \
                setup.client(stranger) as s:
            await create(o, room, "Owner", field("muc#roomconfig_roomname", "A Dark Cave"),
                         field("muc#roomconfig_roomdesc", "The place for all good witches!"),
                         field("muc#roomconfig_lang", "en"),
                         field("muc#roomconfig_membersonly", "0"),
                         field("muc#roomconfig_passwordprotectedroom", "1"),
                         field("muc#roomconfig_roomsecret", "pw"),
                         field("muc#maxhistoryfetch", "7"))
            o.send_raw(f"<message to='{room}' type='groupchat'><subject>Spells</subject></message>")
            await enter(g, room, "Guest", muc_x="<password>pw</password>")
            info = await iq(s, room, INFO)
            assert info["type"] == "result", info
            q = query(info, NS_DISCO_INFO)
            ident = q.find(f"{{{NS_DISCO_INFO}}}identity")
            assert (ident.get("category"), ident.get("type"), ident.get("name")) == \
                ("conference", "text", "A Dark Cave")
            feats = disco_features(info)
            assert {"http://jabber.org/protocol/muc", "muc_public", "muc_temporary", "muc_open",
                    "muc_moderated", "muc_semianonymous", "muc_passwordprotected",
                    "urn:xmpp:occupant-id:0", "http://jabber.org/protocol/muc#stable_id"} <= feats
            assert not feats & {"muc_hidden", "muc_persistent", "muc_membersonly",
                                "muc_unmoderated", "muc_nonanonymous", "muc_unsecured"}
            info_form = form_fields(q)
            assert values(info_form["FORM_TYPE"]) == ["http://jabber.org/protocol/muc#roominfo"]
            assert info_form["FORM_TYPE"].get("type") == "hidden"
            assert values(info_form["muc#roominfo_description"]) == \
                ["The place for all good witches!"]
            assert values(info_form["muc#roominfo_subject"]) == ["Spells"]
            assert values(info_form["muc#roominfo_occupants"]) == ["2"]
            assert values(info_form["muc#roominfo_lang"]) == ["en"]
            assert values(info_form["muc#roominfo_subjectmod"]) == ["1"]
            assert values(info_form["muc#maxhistoryfetch"]) == ["7"]
            assert "muc#roominfo_contactjid" not in info_form      # semi-anonymous
    run(scenario())


def test_room_items_follow_public_list(setup):
    room = new_room(DOMAIN)
    owner, stranger = setup.account(), setup.account()

    async def scenario():
        async with setup.client(owner) as o, setup.client(stranger) as s:
            await create(o, room, "Owner")
            items = disco_items(await iq(s, room, ITEMS))
            assert [i.get("jid") for i in items] == [f"{room}/Owner"]
            reply = await iq(o, room, f"<query xmlns='http://jabber.org/protocol/muc#owner'>"
                                      f"<x xmlns='jabber:x:data' type='submit'>"
                                      f"{field('public_list', '0')}</x></query>", "set")
            assert reply["type"] == "result", reply
            hidden = await iq(s, room, ITEMS)
            assert hidden["type"] == "result" and disco_items(hidden) == []
            assert [i.get("jid") for i in disco_items(await iq(o, room, ITEMS))] == \
                [f"{room}/Owner"]
    run(scenario())


@pytest.mark.parametrize("target, inner, type_, condition", [
    ("room", "<query xmlns='jabber:iq:version'/>", "get", "service-unavailable"),
    ("room", "<vCard xmlns='vcard-temp'/>", "get", "service-unavailable"),
    ("room", INFO, "set", "bad-request"),
    ("room", "", "get", "bad-request"),
    ("room", INFO + ITEMS, "get", "bad-request"),
    ("room", f"<query xmlns='{NS_DISCO_INFO}' node='nope'/>", "get", "item-not-found"),
    ("room", "<query xmlns='http://jabber.org/protocol/muc#admin'/>", "get", "bad-request"),
    ("room", "<unknown xmlns='http://jabber.org/protocol/muc#owner'/>", "get",
     "feature-not-implemented"),
    ("service", "<query xmlns='jabber:iq:version'/>", "get", "service-unavailable"),
    ("service", INFO, "set", "bad-request"),
    ("service", f"<query xmlns='{NS_DISCO_INFO}' node='nope'/>", "get", "item-not-found"),
])
def test_bad_iqs_get_precise_errors_and_break_nothing(setup, target, inner, type_, condition):
    room = new_room(DOMAIN)
    owner = setup.account()

    async def scenario():
        async with setup.client(owner) as o:
            await create(o, room, "Owner")
            reply = await iq(o, room if target == "room" else DOMAIN, inner, type_)
            assert reply["type"] == "error" and error_of(reply)[0] == condition, reply
            info = await iq(o, room, INFO)                 # the room answers as before
            assert info["type"] == "result"
    run(scenario())


def test_occupant_id_survives_a_full_service_restart(setup):
    room = new_room(DOMAIN, "keep")
    user = setup.account()
    owner = setup.account()

    async def before() -> str:
        async with setup.client(owner) as o, setup.client(user) as u:
            await create(o, room, "Owner", field("muc#roomconfig_persistentroom", "1"))
            seq = await enter(u, room, "Witch")
            oid = occupant_id(seq[-2])
            assert oid and 110 in codes(seq[-2])
            u.send_raw(f"<presence to='{room}/Witch' type='unavailable'/>")
            await presence_from(u, f"{room}/Witch", unavailable=True)
            return oid

    async def after() -> str:
        async with setup.client(user) as u:
            seq = await enter(u, room, "Another")
            me = seq[-2]
            assert 110 in codes(me) and 201 not in codes(me)
            return occupant_id(me)

    oid = run(before())
    setup.restart()
    assert run(after()) == oid
