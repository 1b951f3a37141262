"""The control actors killed for real (SIGKILL): the supervisor (directory, hibernation,
live-room cap) and a max_user_conferences registry shard. Neither is on the path of a
groupchat, so chat goes on; what needs them is refused while they are away, never
admitted unchecked and never left hanging, and works again once Ray has restarted them."""
from __future__ import annotations

import asyncio
import os
import secrets
import signal
import time

import pytest

from actors.conferences import TOO_MANY, UNCHECKED, shard_of
from tests.e2e.fault_flow import echo, room_of_two
from tests.e2e.muc import create_instant, error_condition, join
from tests.e2e.xmpp_clients import connected_client
from tests.fixtures.faults import DOMAIN, MAX_USER_CONFERENCES
from tests.fixtures.service import raymuc_cli

pytestmark = [pytest.mark.e2e, pytest.mark.faults]


def error_text(stanza) -> str:
    return "".join(t.text or "" for t in stanza.xml.iter() if t.tag.endswith("}text"))


def rooms_json(cfg) -> dict:
    return raymuc_cli(cfg, "rooms", "--json")


async def until_admitted(client, room: str, nick: str, since: float, refused: list) -> float:
    """Joins `room` until it is admitted; every refusal must be a precise one (collected
    in `refused`), every answer within the join's timeout. Seconds since `since`."""
    while True:
        pres = await join(client, room, nick, timeout=20)
        if pres["type"] != "error":
            return time.monotonic() - since
        refused.append(error_condition(pres))
        assert time.monotonic() - since < 90, refused
        await asyncio.sleep(0.5)


def test_a_sigkilled_supervisor_comes_back_and_chat_never_stops(faults_service):
    server, cfg = faults_service.server, faults_service.config
    (owner, pw), (bob, _) = faults_service.take(2)
    room, fresh = (f"{p}{secrets.token_hex(4)}@{DOMAIN}" for p in ("v", "w"))

    async def scenario():
        async with connected_client(owner, pw, "127.0.0.1", server.c2s_port) as o, \
                connected_client(bob, pw, "127.0.0.1", server.c2s_port) as b:
            await room_of_two(o, b, room, "Supervised")
            pid = (await asyncio.to_thread(rooms_json, cfg))["supervisor"]["pid"]
            killed = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            assert await echo(b, o, room, "while the supervisor is away")
            refused: list = []
            # a new room asks the supervisor for the live-room cap: refused until it is back
            created = await until_admitted(o, fresh, "Owner", killed, refused)
            assert set(refused) <= {"service-unavailable"}, refused
            assert await echo(b, o, room, "after")

            def listed():           # the directory is rebuilt from the hosts' leases
                got = rooms_json(cfg)
                return got["supervisor"]["pid"] != pid and \
                    {room, fresh} <= {r["jid"] for r in got["rooms"]}
            while not await asyncio.to_thread(listed):
                assert time.monotonic() - killed < 90, "the directory did not heal"
                await asyncio.sleep(1)
            return created, time.monotonic() - killed, len(refused)
    created, healed, refused = asyncio.run(scenario())
    print(f"supervisor SIGKILL: new room admitted after {created:.1f} s ({refused} refused "
          f"service-unavailable), directory healed after {healed:.1f} s")


def test_a_sigkilled_registry_shard_fails_closed_and_recovers(faults_service):
    server, cfg = faults_service.server, faults_service.config
    (owner, pw), (bob, _) = faults_service.take(2)
    rooms = [f"c{i}{secrets.token_hex(4)}@{DOMAIN}" for i in range(MAX_USER_CONFERENCES + 1)]

    async def scenario():
        async with connected_client(owner, pw, "127.0.0.1", server.c2s_port) as o, \
                connected_client(bob, pw, "127.0.0.1", server.c2s_port) as b:
            await room_of_two(o, b, rooms[0], "Counted")
            for extra in rooms[1:MAX_USER_CONFERENCES]:
                assert (await join(b, extra, "Bob"))["type"] != "error"
            # bob is at the limit; the shard that counts him is killed
            shard = shard_of(bob.split("/")[0])
            pid = (await asyncio.to_thread(rooms_json, cfg))["registry"][shard]["pid"]
            killed = time.monotonic()
            os.kill(pid, signal.SIGKILL)
            assert await echo(b, o, rooms[0], "while the registry is away")
            over = rooms[MAX_USER_CONFERENCES]
            await create_instant(o, over, "Owner")    # an unlocked room; bob may not enter
            refused = []
            while time.monotonic() - killed < 60:     # never admitted past the limit
                pres = await join(b, over, "Bob", timeout=20)
                assert pres["type"] == "error", "admitted past max_user_conferences"
                assert error_condition(pres) == "service-unavailable", str(pres)
                refused.append(error_text(pres))
                assert refused[-1] in (TOO_MANY, UNCHECKED), refused
                if refused[-1] == TOO_MANY:
                    break                             # the count is known again
                await asyncio.sleep(0.5)
            counted_again = time.monotonic() - killed
            assert refused[-1] == TOO_MANY, refused
            b.send_presence(pto=f"{rooms[1]}/Bob", ptype="unavailable")   # one slot free
            admitted = await until_admitted(b, over, "Bob", killed, [])
            assert await echo(b, o, over, "in the third room")
            return counted_again, admitted, refused.count(UNCHECKED)
    counted, admitted, unavailable = asyncio.run(scenario())
    print(f"registry shard SIGKILL: limit enforced again after {counted:.1f} s "
          f"({unavailable} joins refused as unchecked meanwhile), a freed slot used "
          f"after {admitted:.1f} s")
