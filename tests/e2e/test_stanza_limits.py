"""[component] max_stanza_size against a real Prosody with small stanza size limits: a
stanza over component_stanza_size_limit makes Prosody close the component stream,
which cuts the whole MUC domain. Clients may send more (c2s_stanza_size_limit) than the
component may send back; the service must refuse what it could not relay, page the room
list, and keep its link up. Runs its own Prosody and `raymuc run`."""
from __future__ import annotations

import asyncio
import secrets
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

from raymuc.prosody import ProsodyServer
from tests.e2e.muc_flow import (
    NS_DELAY, NS_DISCO_INFO, NS_DISCO_ITEMS, create, disco_items, enter, error_of,
    field, iq, new_room, online,
)
from tests.fixtures.service import DENSE, ServiceProcess, write_config

pytestmark = pytest.mark.e2e
DOMAIN = "limits.localhost"
NS_RSM = "http://jabber.org/protocol/rsm"
COMPONENT_LIMIT = 96 * 1024        # Prosody cuts the component link above this
C2S_LIMIT = 200 * 1024             # what clients may send: more than the component may
MAX_STANZA = 64 * 1024             # RayMUC's own limit, below Prosody's


@pytest.fixture(scope="module")
def setup():
    base = Path(tempfile.mkdtemp(prefix="rml-"))
    secret = secrets.token_hex(8)
    server = ProsodyServer(base / "prosody", components={DOMAIN: secret}, log_level="info",
                           stanza_size_limits={
        "c2s_stanza_size_limit": C2S_LIMIT, "component_stanza_size_limit": COMPONENT_LIMIT})
    server.start()
    cfg = write_config(base / "raymuc.toml", server.component_port, secret, base / "data",
                       extra="max_user_conferences = 1000", domain_template="limits.@HOST@",
                       ray_extra=DENSE)
    cfg.write_text(cfg.read_text().replace("[component]\n",
                                           f"[component]\nmax_stanza_size = {MAX_STANZA}\n"))
    service = ServiceProcess(cfg, base / "service.log").start()
    accounts = [(server.register(f"lim{i}", "pw"), "pw") for i in range(3)]
    yield server, service, accounts
    code = service.stop()
    server.stop()
    assert code == 0, service.log_tail()


def run(coro):
    return asyncio.run(coro)


def link_stayed_up(server) -> None:
    """Prosody (at log level info) logs every component connection and disconnection:
    the gateway's reconnection would hide a cut link from the clients' point of view."""
    log = server.log_path.read_text(errors="replace")
    assert f"component disconnected: {DOMAIN}" not in log, server.log_tail()
    assert log.count("External component successfully authenticated") == 1, server.log_tail()


async def domain_answers(client) -> None:
    reply = await iq(client, DOMAIN, f"<query xmlns='{NS_DISCO_INFO}'/>", timeout=10)
    assert reply["type"] == "result"


def test_an_oversized_message_is_refused_and_the_domain_keeps_answering(setup):
    server, service, accounts = setup
    room = new_room(DOMAIN)

    async def scenario():
        async with online(server, accounts) as (alice, bob, carol):
            await create(alice, room, "Alice")
            await enter(bob, room, "Bob")
            big = "x" * (MAX_STANZA + 40 * 1024)      # under c2s, its relay over the component limit
            alice.send_raw(f"<message to={quoteattr(room)} type='groupchat' id='big'>"
                           f"<body>{big}</body></message>")
            refused = await alice.wait_for_stanza(
                lambda s: s.name == "message" and s["id"] == "big", timeout=20)
            assert refused["type"] == "error" and error_of(refused)[0] == "not-acceptable"
            assert "too large" in refused.xml.findtext(".//{*}text", "")
            alice.send_raw(f"<message to={quoteattr(room)} type='groupchat' id='small'>"
                           "<body>after</body></message>")
            got = await bob.wait_for_stanza(lambda s: s.name == "message" and s["id"] in ("big", "small"))
            assert got["id"] == "small" and got["body"] == "after"
            history = [s for s in await enter(carol, room, "Carol")
                       if s.name == "message" and s.xml.find(f"{{{NS_DELAY}}}delay") is not None]
            assert [s["body"] for s in history] == ["after"]
            await domain_answers(carol)

    run(scenario())
    link_stayed_up(server)


def test_the_room_list_is_paged_below_the_limit_and_walks_every_room(setup):
    server, service, accounts = setup
    rooms = sorted(new_room(DOMAIN, "list") for _ in range(100))
    title = "é" * 600                                 # 1200 bytes each: 100 rooms > 96 KiB

    async def scenario():
        async with online(server, accounts[:1]) as (alice,):
            for room in rooms:
                await create(alice, room, "Alice",
                             field("muc#roomconfig_roomname", title),
                             field("muc#roomconfig_publicroom", "1"))
            first = await iq(alice, DOMAIN, f"<query xmlns='{NS_DISCO_ITEMS}'/>")
            assert first["type"] == "result", first
            assert len(str(first).encode()) <= MAX_STANZA
            walked = [i.get("jid") for i in disco_items(first)]
            rsm = first.xml.find(f"{{{NS_DISCO_ITEMS}}}query/{{{NS_RSM}}}set")
            assert rsm is not None and int(rsm.findtext(f"{{{NS_RSM}}}count")) >= len(rooms)
            while rsm is not None and len(walked) < int(rsm.findtext(f"{{{NS_RSM}}}count")):
                after = rsm.findtext(f"{{{NS_RSM}}}last")
                page = await iq(alice, DOMAIN, f"<query xmlns='{NS_DISCO_ITEMS}'><set xmlns="
                                               f"'{NS_RSM}'><after>{after}</after></set></query>")
                assert page["type"] == "result" and len(str(page).encode()) <= MAX_STANZA
                assert disco_items(page)
                walked += [i.get("jid") for i in disco_items(page)]
                rsm = page.xml.find(f"{{{NS_DISCO_ITEMS}}}query/{{{NS_RSM}}}set")
            assert set(rooms) <= set(walked) and len(walked) == len(set(walked))
            await domain_answers(alice)

    run(scenario())
    link_stayed_up(server)
