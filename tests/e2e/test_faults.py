"""Faults injected for real, survived with nothing acknowledged lost, as clients see them."""
from __future__ import annotations

import asyncio
import os
import secrets
import signal
import time

import pytest

from tests.e2e.muc import ROOM_DOMAIN, codes, create_instant, field, groupchat_from, join, \
    owner_submit, say
from tests.e2e.muc_flow import iq
from tests.e2e.xmpp_clients import connected_client
from tests.fixtures.service import raymuc_cli

pytestmark = [pytest.mark.e2e, pytest.mark.faults]
NS_INFO = "http://jabber.org/protocol/disco#info"


def test_sigkilled_room_host_tells_its_occupants_and_takes_them_back(raymuc_service, prosody,
                                                                    xmpp_account):
    owner, bob = xmpp_account(), xmpp_account()
    room = f"k{secrets.token_hex(4)}@{ROOM_DOMAIN}"
    cfg = raymuc_service.config_path

    def lost(stanza, nick) -> bool:
        return (stanza.name == "presence" and stanza["type"] == "unavailable"
                and str(stanza["from"]) == f"{room}/{nick}" and {110, 332} <= codes(stanza))

    async def scenario():
        async with connected_client(*owner, "127.0.0.1", prosody.c2s_port) as o, \
                connected_client(*bob, "127.0.0.1", prosody.c2s_port) as b:
            await create_instant(o, room, "Owner")
            assert (await owner_submit(o, room, field("muc#roomconfig_persistentroom", "1")
                                       + field("muc#roomconfig_roomname", "Survivor")))["type"] \
                == "result"
            await join(b, room, "Bob")
            await say(b, room, "before")
            await groupchat_from(o, f"{room}/Bob", "before")
            pid = (await asyncio.to_thread(raymuc_cli, cfg, "room", room))["process"]["pid"]
            killed = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            await o.wait_for_stanza(lambda s: lost(s, "Owner"), 30)
            await b.wait_for_stanza(lambda s: lost(s, "Bob"), 30)
            told_after = time.monotonic() - killed
            for client, nick in ((o, "Owner"), (b, "Bob")):        # what clients do on 332
                pres = await join(client, room, nick)
                assert pres["type"] != "error" and 201 not in codes(pres), str(pres)
            await say(b, room, "after")
            await groupchat_from(o, f"{room}/Bob", "after")
            info = await iq(b, room, f"<query xmlns='{NS_INFO}'/>")
            names = [i.get("name") for i in info.xml.iter(f"{{{NS_INFO}}}identity")]
            assert names == ["Survivor"]                          # stored state intact
            return told_after
    told_after = asyncio.run(scenario())
    print(f"occupants told {told_after:.2f} s after the SIGKILL")
