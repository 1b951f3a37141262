"""Storage faults MongoDB reports (failCommand fail points) and a full disk under the
room logs: what the owner is told is what is stored, and nobody is thrown out."""
from __future__ import annotations

import asyncio
import os
import secrets
import time

import pytest
from pymongo import MongoClient

from tests.e2e.fault_flow import disco_name, echo, occupant_nicks, room_of_two, stored_name
from tests.e2e.muc import error_condition, field, owner_submit, say
from tests.e2e.xmpp_clients import connected_client
from tests.fixtures.faults import DOMAIN

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

# failCommand as a replica set reports its faults; the room's saves are "update" commands
FAULTS = {
    # the primary is shutting down, for longer than the host retries a save (15 s)
    "down": ({"mode": "alwaysOn"}, {"errorCode": 91}, "service-unavailable"),
    # applied on the primary, not acknowledged by the majority in time
    "unreplicated": ({"mode": {"times": 1}},
                     {"writeConcernError": {"code": 64, "errmsg": "waiting for replication"}},
                     "result"),
}


def fail_point(uri: str, mode, data: dict | None = None) -> None:
    with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        client.admin.command({"configureFailPoint": "failCommand", "mode": mode,
                              **({"data": {"failCommands": ["update"], **data}} if data else {})})


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_storage_fault_on_a_config_change(faults_service, fault):
    (mode, data, expected) = FAULTS[fault]
    server, cfg, uri = faults_service.server, faults_service.config, faults_service.mongo.uri
    (owner, pw), (bob, _) = faults_service.take(2)
    room = f"f{fault[:4]}{secrets.token_hex(3)}@{DOMAIN}"

    async def scenario():
        async with connected_client(owner, pw, "127.0.0.1", server.c2s_port) as o, \
                connected_client(bob, pw, "127.0.0.1", server.c2s_port) as b:
            await room_of_two(o, b, room, "Before")
            fail_point(uri, mode, data)
            started = time.monotonic()
            try:
                reply = await owner_submit(o, room, field("muc#roomconfig_roomname", "During"),
                                           timeout=60)
            finally:
                fail_point(uri, "off")
            print(f"{fault}: answered after {time.monotonic() - started:.1f} s")
            told = reply["type"] if reply["type"] == "result" else error_condition(reply)
            assert await echo(b, o, room, "chat goes on")
            nicks = await occupant_nicks(cfg, room)          # nobody was thrown out
            return told, str(reply), await disco_name(b, room), nicks
    told, reply, live, nicks = asyncio.run(scenario())
    assert told == expected, reply
    name = "During" if expected == "result" else "Before"
    assert (live, stored_name(uri, room)) == ([name], name)   # told == live == stored
    assert nicks == ["Bob", "Owner"]


def test_a_full_disk_under_the_room_logs(faults_service):
    server, cfg, logs = faults_service.server, faults_service.config, faults_service.log_dir
    (owner, pw), (bob, _) = faults_service.take(2)
    room = f"disk{secrets.token_hex(3)}@{DOMAIN}"
    room_dir = logs / room

    async def scenario():
        async with connected_client(owner, pw, "127.0.0.1", server.c2s_port) as o, \
                connected_client(bob, pw, "127.0.0.1", server.c2s_port) as b:
            await room_of_two(o, b, room, "Logged")
            assert (await owner_submit(o, room, field("muc#roomconfig_enablelogging", "1"))
                    )["type"] == "result"
            await say(b, room, "x" * 200)
            await asyncio.sleep(1)
            assert any(room_dir.rglob("*.txt")), "the room is not logged"
            filler = logs / "filler"
            with open(filler, "wb") as f:            # the disk fills up (tmpfs, 1 MiB)
                try:
                    while True:
                        f.write(b"\0" * 4096)
                        f.flush()
                except OSError:
                    pass
            try:
                started = time.monotonic()
                for n in range(20):              # lines that no longer fit
                    assert await echo(b, o, room, f"while full {n} " + "y" * 3000)
                full_for = time.monotonic() - started
                assert (await owner_submit(o, room, field("muc#roomconfig_roomname", "Full"))
                        )["type"] == "result"
            finally:
                os.remove(filler)
            assert await echo(b, o, room, "disk has room again")
            await asyncio.sleep(1)
            return full_for, await occupant_nicks(cfg, room)
    full_for, nicks = asyncio.run(scenario())
    assert nicks == ["Bob", "Owner"]
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(room_dir.rglob("*.txt")))
    assert "disk has room again" in text                  # logging came back by itself
    for line in text.splitlines():                        # whole lines, never half of one
        assert line.startswith(("[", "  ")), repr(line[:80])
    lost = sum(f"while full {n} " in text for n in range(20))
    print(f"chat unaffected by the full disk ({full_for:.1f} s for 20 messages); "
          f"{20 - lost} of 20 lines not logged while full")
