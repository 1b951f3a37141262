"""Storage faults MongoDB reports (failCommand fail points): what the owner is told is
what is stored, and nobody is thrown out."""
from __future__ import annotations

import asyncio
import errno
import os
import secrets
import time
from pathlib import Path

import pytest
from pymongo import MongoClient

from tests.e2e.fault_flow import disco_name, echo, occupant_nicks, room_of_two, stored_name
from tests.e2e.muc import error_condition, field, owner_submit
from tests.e2e.xmpp_clients import connected_client
from tests.fixtures.faults import DOMAIN

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

# failCommand as a replica set reports its faults; the room's saves are "update" commands
FAULTS = {
    # the primary is shutting down, for longer than the host retries a save (15 s)
    "down": ("alwaysOn", {"errorCode": 91}, "service-unavailable"),
    # a failover: the save fails once with "not primary"; retried, it lands
    "stepdown": ({"times": 1}, {"errorCode": 189}, "result"),
    # applied on the primary, not replicated in time: retried, found stored
    "unreplicated": ({"times": 1}, {"writeConcernError": {
        "code": 64, "errmsg": "waiting for replication timed out"}}, "result"),
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


def fill(disk: Path) -> Path:
    """Fills `disk` to the last byte with one file; only this file is written there."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    chunk = b"\0" * 4096
    try:
        while True:
            try:
                os.write(fd, chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                if len(chunk) == 1:
                    return filler
                chunk = chunk[:len(chunk) // 2]     # down to the last free byte
    finally:
        os.close(fd)


def test_a_full_disk_under_the_room_logs(faults_service):
    server, disk = faults_service.server, faults_service.log_dir
    (owner, pw), (bob, _) = faults_service.take(2)
    room = f"d{secrets.token_hex(4)}@{DOMAIN}"

    async def scenario():
        async with connected_client(owner, pw, "127.0.0.1", server.c2s_port) as o, \
                connected_client(bob, pw, "127.0.0.1", server.c2s_port) as b:
            await room_of_two(o, b, room, "Logged")
            reply = await owner_submit(o, room, field("muc#roomconfig_enablelogging", "1"))
            assert reply["type"] == "result", str(reply)
            assert await echo(b, o, room, "before the disk filled")
            filler = await asyncio.to_thread(fill, disk)
            try:
                for n in range(5):                  # nothing can be logged: chat goes on
                    assert await echo(b, o, room, f"while full {n} " + "x" * 200)
            finally:
                filler.unlink()
            assert await echo(b, o, room, "after space came back")
    asyncio.run(scenario())
    text = "".join(p.read_text("utf-8") for p in sorted(disk.rglob("*.txt"))
                   if room.split("@")[0] in str(p))
    assert "before the disk filled" in text and "after space came back" in text, text
    assert text.endswith("\n")
    for line in text.splitlines():              # no half line: each begins as a line does
        assert line.startswith("["), (line, text)
