"""[ray] gateway_workers (gateway/workers.py): the gateway keeps the component
connection and hands rooms to worker processes by hash; every room keeps its order
through both Ray hops, service-level queries stay with the gateway, and a killed
worker is replaced by Ray while the other worker's rooms go on."""
from __future__ import annotations

import asyncio
import os
import secrets
import signal
import time
from pathlib import Path

import pytest

from gateway.workers import shard_of
from tests.e2e.muc import create_instant, join, say
from tests.e2e.muc_flow import disco_features, iq
from tests.e2e.xmpp_clients import connected_client
from tests.fixtures.service import private_service, raymuc_cli

pytestmark = pytest.mark.e2e
DOMAIN = "gw.localhost"
WORKERS = 2
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"


@pytest.fixture(scope="module")
def served():
    with private_service("gw.@HOST@", f"gateway_workers = {WORKERS}", 2, "g") as served:
        yield served


def gateway_stats(cfg: Path) -> dict:
    return raymuc_cli(cfg, "gateway")


def rooms_on_every_worker(per_worker: int) -> list[str]:
    rooms, counts = [], [0] * WORKERS
    while min(counts) < per_worker:
        room = f"w{secrets.token_hex(4)}@{DOMAIN}"
        shard = shard_of(room, WORKERS)
        if counts[shard] < per_worker:
            counts[shard] += 1
            rooms.append(room)
    return rooms


async def until_bodies(client, want: dict[str, list[str]], timeout: float = 30.0) -> dict:
    got: dict[str, list[str]] = {room: [] for room in want}
    deadline = time.monotonic() + timeout
    while any(len(got[r]) < len(want[r]) for r in want) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        for s in client.inbox.drain():
            if s.name == "message" and s["type"] == "groupchat":
                room = str(s["from"]).split("/")[0]
                if room in got:
                    got[room].append(s["body"])
    return got


def test_rooms_on_both_workers_keep_their_order_and_the_service_answers(served):
    server, cfg, (alice, bob) = served
    rooms = rooms_on_every_worker(2)

    async def scenario():
        async with connected_client(*alice, "127.0.0.1", server.c2s_port) as a, \
                connected_client(*bob, "127.0.0.1", server.c2s_port) as b:
            for room in rooms:
                await create_instant(a, room, "Alice")
                await join(b, room, "Bob")
            b.inbox.drain()
            want = {room: [f"{room[:9]}-{n}" for n in range(25)] for room in rooms}
            for n in range(25):                      # interleaved bursts: one write, many rooms
                for room in rooms:
                    await say(a, room, want[room][n])
            got = await until_bodies(b, want)
            assert got == want
            info = await iq(b, DOMAIN, f"<query xmlns='{NS_DISCO_INFO}'/>")
            assert "http://jabber.org/protocol/muc" in disco_features(info)

    asyncio.run(scenario())
    stats = gateway_stats(cfg)
    assert len(stats["workers"]) == WORKERS
    assert all(w["stanzas"] >= 2 * 27 for w in stats["workers"])   # joins + messages per worker
    assert stats["stanzas"] == 0          # the gateway routed nothing itself
    assert stats["feed_lost"] == 0 and all(w["lost"] == 0 for w in stats["workers"])


def test_a_killed_worker_is_replaced_and_the_other_workers_rooms_go_on(served):
    server, cfg, (alice, bob) = served
    rooms = rooms_on_every_worker(1)
    victim = {w["index"]: w["pid"] for w in gateway_stats(cfg)["workers"]}[0]
    [on_victim] = [r for r in rooms if shard_of(r, WORKERS) == 0]
    [other] = [r for r in rooms if r != on_victim]

    async def scenario():
        async with connected_client(*alice, "127.0.0.1", server.c2s_port) as a, \
                connected_client(*bob, "127.0.0.1", server.c2s_port) as b:
            for room in rooms:
                await create_instant(a, room, "Alice")
                await join(b, room, "Bob")
            os.kill(victim, signal.SIGKILL)
            b.inbox.drain()
            await say(a, other, "unaffected")
            assert (await until_bodies(b, {other: ["unaffected"]}))[other] == ["unaffected"]
            deadline = time.monotonic() + 60          # Ray restarts the worker
            while time.monotonic() < deadline:
                await say(a, on_victim, "back")
                got = await until_bodies(b, {on_victim: ["back"]}, timeout=2)
                if got[on_victim]:
                    return
            raise AssertionError("the killed worker's rooms did not come back")

    asyncio.run(scenario())
    assert {w["index"]: w["pid"] for w in gateway_stats(cfg)["workers"]}[0] != victim
