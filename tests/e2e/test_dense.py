"""Dense placement (issue 8): several rooms share one host actor, each still its own
room: same host while it lives, a hard cap per host, recovery after the host is killed."""
from __future__ import annotations

import asyncio
import os
import secrets
import signal
import time

import pytest

from tests.e2e.muc import codes, create_instant, error_condition, field, groupchat_from, join, \
    owner_submit, say
from tests.e2e.xmpp_clients import connected_client
from tests.fixtures.service import private_service, raymuc_cli

pytestmark = pytest.mark.e2e
DOMAIN = "dense.localhost"


@pytest.fixture(scope="module")
def dense():
    with private_service("dense.@HOST@", "rooms_per_actor = 2\nroom_hosts = 1", 3, "d") as served:
        yield served


def test_rooms_share_a_host_up_to_its_capacity_and_survive_its_crash(dense):
    server, cfg, (alice, bob, carol) = dense
    r1, r2, r3 = (f"{n}{secrets.token_hex(3)}@{DOMAIN}" for n in ("one", "two", "three"))

    async def fill():
        async with connected_client(*alice, "127.0.0.1", server.c2s_port) as a, \
                connected_client(*bob, "127.0.0.1", server.c2s_port) as b:
            for room in (r1, r2):
                await create_instant(a, room, "Alice")
                reply = await owner_submit(a, room, field("muc#roomconfig_persistentroom", "1")
                                           + field("muc#roomconfig_roomname", f"Name {room[:3]}"))
                assert reply["type"] == "result"
            full = await join(b, r3, "Bob")          # the single host holds 2 rooms already
            assert full["type"] == "error" and error_condition(full) == "resource-constraint"
            await join(b, r1, "Bob")
            await say(b, r1, "before the crash")
            await groupchat_from(a, f"{r1}/Bob", "before the crash")

    asyncio.run(fill())
    first, second = raymuc_cli(cfg, "room", r1), raymuc_cli(cfg, "room", r2)
    assert first["actor"] == second["actor"] == "room-host-000"
    assert first["process"]["pid"] == second["process"]["pid"]
    assert first["state"]["jid"] == r1 and second["state"]["jid"] == r2

    os.kill(first["process"]["pid"], signal.SIGKILL)   # the host dies with both rooms in it
    time.sleep(1)

    async def after():
        async with connected_client(*carol, "127.0.0.1", server.c2s_port) as c:
            for room in (r1, r2):
                pres = await join(c, room, "Carol")
                assert pres["type"] != "error" and 201 not in codes(pres), pres
            c.send_raw(f"<iq type='get' to='{r2}' id='i2'>"
                       "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
            info = await c.wait_for_stanza(lambda s: s.name == "iq" and s["id"] == "i2")
            ident = info.xml.find(".//{http://jabber.org/protocol/disco#info}identity")
            assert ident.get("name") == f"Name {r2[:3]}"

    asyncio.run(after())
    again = raymuc_cli(cfg, "room", r1)
    assert again["actor"] == "room-host-000" and again["process"]["pid"] != first["process"]["pid"]
