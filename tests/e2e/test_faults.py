"""Faults injected for real, survived with nothing acknowledged lost, as clients see them."""
from __future__ import annotations

import asyncio
import os
import secrets
import signal
import time

import pytest

from tests.e2e.muc import ROOM_DOMAIN, codes, error_condition, field, groupchat_from, join, \
    owner_submit, persistent_room, say
from tests.e2e.muc_flow import iq
from tests.e2e.xmpp_clients import connected_client
from tests.e2e.fault_flow import echo, room_of_two
from tests.fixtures.faults import DOMAIN
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
            await persistent_room(o, room, "Survivor")
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


def test_a_sigkilled_gateway_comes_back_and_the_room_goes_on(faults_service):
    server, cfg = faults_service.server, faults_service.config
    (owner, pw), (bob, _) = faults_service.take(2)
    room = f"g{secrets.token_hex(4)}@{DOMAIN}"

    async def scenario():
        async with connected_client(owner, pw, "127.0.0.1", server.c2s_port) as o, \
                connected_client(bob, pw, "127.0.0.1", server.c2s_port) as b:
            await room_of_two(o, b, room, "Through it all")
            assert await echo(b, o, room, "before")
            pid = (await asyncio.to_thread(raymuc_cli, cfg, "gateway"))["pid"]
            killed = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            n = 0
            while not await echo(b, o, room, f"after {n}", timeout=2.0):   # lost meanwhile
                n += 1
                assert time.monotonic() - killed < 60, "the gateway did not come back"
            back_after = time.monotonic() - killed
            # the rooms kept running: both are still inside, nobody had to rejoin
            assert (await asyncio.to_thread(raymuc_cli, cfg, "gateway"))["pid"] != pid
            state = (await asyncio.to_thread(raymuc_cli, cfg, "room", room))["state"]
            assert sorted(o["nick"] for o in state["occupants"]) == ["Bob", "Owner"]
            return back_after
    print(f"groupchat flowed again {asyncio.run(scenario()):.1f} s after the gateway's SIGKILL")


def test_storage_frozen_for_10_s_refuses_changes_loses_nothing_and_chat_goes_on(faults_service):
    server, cfg = faults_service.server, faults_service.config
    (owner, pw), (bob, _) = faults_service.take(2)
    room = f"s{secrets.token_hex(4)}@{DOMAIN}"

    async def scenario():
        async with connected_client(owner, pw, "127.0.0.1", server.c2s_port) as o, \
                connected_client(bob, pw, "127.0.0.1", server.c2s_port) as b:
            await room_of_two(o, b, room, "Before")
            db = faults_service.mongo.pid
            os.kill(db, signal.SIGSTOP)                  # frozen: connections hang, no errors
            thaw = asyncio.get_running_loop().call_later(10, os.kill, db, signal.SIGCONT)
            try:
                assert await echo(b, o, room, "while frozen")    # chat needs no storage
                o.send_raw(f"<iq type='set' to='{room}' id='during'><query xmlns="
                           "'http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
                           "type='submit'>" + field("muc#roomconfig_roomname", "During")
                           + "</x></query></iq>")
                # answered when storage comes back, or when the host stops retrying (15 s)
                reply = await o.wait_for_stanza(lambda s: s.name == "iq" and s["id"] == "during",
                                                60)
                during = reply["type"], error_condition(reply)
            finally:
                thaw.cancel()
                os.kill(db, signal.SIGCONT)              # harmless if already thawed
            # what the owner was told is what is stored: the name only if it said result
            expected = "During" if during[0] == "result" else "Before"
            if during[0] == "error":
                assert during[1] == "service-unavailable", during
            assert (await owner_submit(o, room, ""))["type"] == "result"   # storage is back
            return expected, during
    expected, during = asyncio.run(scenario())
    done = raymuc_cli(cfg, "stop-room", room)             # out of memory: next load is storage's
    assert done["done"], done

    async def reload():
        async with connected_client(bob, pw, "127.0.0.1", server.c2s_port) as b:
            info = await iq(b, room, f"<query xmlns='{NS_INFO}'/>")
            return [i.get("name") for i in info.xml.iter(f"{{{NS_INFO}}}identity")]
    assert asyncio.run(reload()) == [expected]
    print(f"config change while storage was frozen: {during}")


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_a_restarted_xmpp_server_leaves_no_ghosts(faults_service, how):
    """Every client session ends with the server; the gateway reconnects and the room
    asks who is still there (actors/core/probe.py): the old sessions leave (333), so new
    ones take their nicks again, and the persistent room's state is intact."""
    server, cfg = faults_service.server, faults_service.config
    (owner, pw), (bob, _) = faults_service.take(2)
    room = f"p{how[3:].lower()}{secrets.token_hex(3)}@{DOMAIN}"

    async def before():
        async with connected_client(owner, pw, "127.0.0.1", server.c2s_port) as o, \
                connected_client(bob, pw, "127.0.0.1", server.c2s_port) as b:
            await room_of_two(o, b, room, "Outlived")
            assert await echo(b, o, room, "before")
            if how == "SIGKILL":
                os.kill(server.pid, signal.SIGKILL)
            await asyncio.to_thread(server.stop)       # SIGTERM; reaps a killed one
            await asyncio.to_thread(server.start)
            return time.monotonic()
    restarted = asyncio.run(before())

    def nicks() -> list:
        return sorted(o["nick"] for o in raymuc_cli(cfg, "room", room)["state"]["occupants"])
    while nicks():                                  # ghosts: the sessions ended with Prosody
        assert time.monotonic() - restarted < 60, nicks()
        time.sleep(0.5)
    cleared = time.monotonic() - restarted

    async def after():
        async with connected_client(owner, pw, "127.0.0.1", server.c2s_port) as o, \
                connected_client(bob, pw, "127.0.0.1", server.c2s_port) as b:
            for client, nick in ((o, "Owner"), (b, "Bob")):     # a new resource, same nick
                pres = await join(client, room, nick)
                # after a SIGTERM Prosody tells the room its sessions ended before the
                # gateway is back: until then Prosody itself answers "component unavailable"
                while error_condition(pres) == "remote-server-timeout":
                    assert time.monotonic() - restarted < 60, str(pres)
                    await asyncio.sleep(0.5)
                    pres = await join(client, room, nick)
                assert pres["type"] != "error" and 201 not in codes(pres), str(pres)
            assert await echo(b, o, room, "after")
            info = await iq(b, room, f"<query xmlns='{NS_INFO}'/>")
            assert [i.get("name") for i in info.xml.iter(f"{{{NS_INFO}}}identity")] == ["Outlived"]
    asyncio.run(after())
    print(f"Prosody {how}: ghosts gone {cleared:.1f} s after it was back")
