"""A flood of stanzas into rooms doesn't grow the gateway without bound: raw clients
write FLOOD groupchats as fast as their sockets take them, a quarter to their rooms, the
rest each to a room that doesn't exist (a host lookup and a storage read each: far fewer
per second than arrive), and the gateway's RSS in the second half of the flood
stays within a bound; every stanza is answered (echoed, or refused with its id).
A real Prosody, `raymuc run` and Ray; the raw client is bench/xmppload's (slixmpp is
too slow per stanza to outrun the gateway). No timing assertions: memory only."""
from __future__ import annotations

import asyncio
import time

import pytest

from bench.xmppload.client import LeanClient
from tests.fixtures.service import private_service, raymuc_cli

pytestmark = pytest.mark.e2e
DOMAIN = "flood.localhost"
USERS = 3
ROOMS_EACH = 10             # max_user_conferences' default
FLOOD = 20_000
GHOST_BODY = "g" * 4096     # what each waiting stanza holds: what an unbounded wait costs
# The old gateway queued every stanza it read (+63 MiB in the second half of this
# flood); bounded queues keep it to a few MiB. Generous: allocator noise, Ray's own.
GROWTH_BOUND = 24 << 20


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


@pytest.fixture(scope="module")
def served():
    with private_service("flood.@HOST@", "", USERS, "fl") as served:
        yield served


def test_a_flood_into_rooms_keeps_the_gateway_memory_bounded(served):
    server, cfg, accounts = served
    pid = raymuc_cli(cfg, "gateway")["pid"]

    async def scenario():
        clients, rooms = [], []
        for u, (jid, password) in enumerate(accounts):
            client = LeanClient(jid.split("@")[0], password, "localhost", "flood")
            await client.connect("127.0.0.1", server.c2s_port)
            for n in range(ROOMS_EACH):
                room = f"flood{u}x{n}@{DOMAIN}"
                joined = await client.join(room, "flooder")
                assert joined.attr("type") != "error", joined.raw
                await client.configure(room, {})
                rooms.append((client, room))
            clients.append(client)

        def answered() -> int:
            return sum(c.counts["message"] for c in clients)     # errors included

        base = answered()
        samples: list[tuple[float, int]] = []
        began = time.monotonic()
        for n in range(FLOOD):
            client, room = rooms[n % len(rooms)]
            if n % 4:       # a room that doesn't exist: a host lookup each, then refused
                client.groupchat(f"ghost{n}@{DOMAIN}", GHOST_BODY, f"f{n}")
            else:
                client.groupchat(room, "flood", f"f{n}")
            if n % 200 == 199:
                samples.append((time.monotonic() - began, rss(pid)))
                await asyncio.sleep(0)         # let the echoes be read
        deadline = time.monotonic() + 600
        while answered() - base < FLOOD and time.monotonic() < deadline:
            samples.append((time.monotonic() - began, rss(pid)))
            await asyncio.sleep(0.25)
        samples.append((time.monotonic() - began, rss(pid)))
        got = answered() - base, sum(c.counts["message_error"] for c in clients)
        for client in clients:
            await client.close()
        return samples, got

    samples, (answered, refused) = asyncio.run(scenario())
    end = samples[-1][0]
    first = [m for t, m in samples if t < end / 2]
    second = [m for t, m in samples if t >= end / 2]
    growth = max(second) - first[-1]
    print(f"flood: {FLOOD} stanzas in {end:.1f}s, answered {answered} (refused {refused}); "
          f"gateway RSS start {samples[0][1] >> 20} MiB, peak {max(m for _, m in samples) >> 20} "
          f"MiB, second-half growth {growth / 2**20:+.1f} MiB")
    assert answered == FLOOD                   # nothing lost: each echoed or refused
    assert growth <= GROWTH_BOUND
