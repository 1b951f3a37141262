"""Issue 15, "unbounded processes", measured end to end (real Prosody, slixmpp clients,
`raymuc run` on its own Ray): 500 room creations as fast as one account can send them
start no more room processes than max_room_creations_per_minute allows, and 200 joins
to fresh names from an account at max_user_conferences start none. Processes are
counted by Ray itself: every RoomHost actor whose name is one of these rooms, alive or
already exited (a second Ray driver asks Ray's state API)."""
from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import sys
from xml.sax.saxutils import quoteattr

import pytest

from tests.e2e.muc import NS_MUC, codes, error_condition, join
from tests.e2e.options_stack import REPO, OptionsStack, error_type
from tests.fixtures.service import placement_from_env

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(
    "dense" in placement_from_env(), reason="a room start is a process only with rooms_per_actor = 1")]

RATE, CONFERENCES = 10, 3
EXTRA = f"max_user_conferences = {CONFERENCES}\n"
RAY = f"max_room_creations_per_minute = {RATE}\n"
USERS = ("maker", "hog")


@pytest.fixture(scope="module")
def stack():
    s = OptionsStack("admit", EXTRA, USERS, ray_extra=RAY).start()
    yield s
    s.stop()


_COUNT = """
import json, sys
from pathlib import Path
from raymuc import raysession
session = raysession.RaySession.from_file(Path(sys.argv[1]))
raysession.connect(session, namespace="raymuc")
import ray
# The GCS's actor table through this driver's own connection, dead actors included
# (ray.util.state would look for "the" local Ray, and other Rays may run here).
table = ray._private.state.actors()
print(json.dumps([[a.get("Name", ""), a.get("State")] for a in table.values()
                  if a.get("ActorClassName", "").endswith("RoomHost")]), flush=True)
"""


def room_actors(stack: OptionsStack, prefix: str) -> list[tuple[str, str]]:
    """(name, state) of every RoomHost actor Ray started for rooms named prefix..."""
    result = subprocess.run([sys.executable, "-c", _COUNT, str(stack.base / "data" / "ray-session.json")],
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    return [(n, s) for n, s in json.loads(result.stdout.splitlines()[-1]) if n.startswith(prefix)]


async def answers(client, rooms: list[str], nick: str, timeout: float = 180.0) -> dict[str, object]:
    """The first answer of each room to a join: its self-presence (110) or an error."""
    got: dict[str, object] = {}
    wanted = set(rooms)

    def first_answer(s) -> bool:
        room = str(s["from"]).partition("/")[0]
        return s.name == "presence" and room in wanted and room not in got \
            and (110 in codes(s) or s["type"] == "error")
    while len(got) < len(rooms):
        s = await client.wait_for_stanza(first_answer, timeout)
        got[str(s["from"]).partition("/")[0]] = s
    return got


def raw_join(client, room: str, nick: str) -> None:
    client.send_raw(f"<presence to={quoteattr(f'{room}/{nick}')}><x xmlns='{NS_MUC}'/></presence>")


def raw_leave(client, room: str, nick: str) -> None:
    client.send_raw(f"<presence to={quoteattr(f'{room}/{nick}')} type='unavailable'/>")


def test_500_creations_from_one_account_start_no_more_processes_than_the_rate_allows(stack):
    prefix = f"mk{secrets.token_hex(2)}"
    rooms = [f"{prefix}{i:03d}@{stack.domain}" for i in range(500)]

    async def scenario():
        async with stack.client("maker") as maker:
            for room in rooms:           # create and leave, as fast as the account can send
                raw_join(maker, room, "Maker")
                raw_leave(maker, room, "Maker")
            return await answers(maker, rooms, "Maker")
    got = asyncio.run(scenario())
    created = [r for r, s in got.items() if 201 in codes(s)]
    refused = sorted({(error_condition(s), error_type(s)) for s in got.values() if s["type"] == "error"})
    started = room_actors(stack, prefix)
    print(f"\nmeasure: 500 creation attempts: created={len(created)} processes={len(started)} "
          f"refused={len(got) - len(created)} as {refused}")
    assert len(created) <= RATE and len(started) <= RATE
    assert ("resource-constraint", "wait") in refused
    assert set(refused) <= {("resource-constraint", "wait"), ("service-unavailable", "wait")}


def test_200_joins_to_fresh_names_at_the_conference_limit_start_no_process(stack):
    prefix = f"hg{secrets.token_hex(2)}"
    held = [f"{prefix}h{i}@{stack.domain}" for i in range(CONFERENCES)]
    fresh = [f"{prefix}{i:03d}@{stack.domain}" for i in range(200)]

    async def scenario():
        async with stack.client("hog") as hog:
            for room in held:
                assert 201 in codes(await join(hog, room, "Hog"))
            hog.inbox.drain()
            for room in fresh:
                raw_join(hog, room, "Hog")
            return await answers(hog, fresh, "Hog")
    got = asyncio.run(scenario())
    refused = {(error_condition(s), error_type(s)) for s in got.values()}
    started = room_actors(stack, prefix)
    print(f"\nmeasure: 200 joins at the conference limit: processes={len(started)} "
          f"(the {CONFERENCES} held rooms) refused={sum(s['type'] == 'error' for s in got.values())} "
          f"as {sorted(refused)}")
    assert refused == {("service-unavailable", "wait")}
    assert sorted(n for n, _ in started) == sorted(held)


LIVE = 5


@pytest.fixture(scope="module")
def capped():
    s = OptionsStack("live", "", ("filler",), ray_extra=f"max_live_rooms_per_node = {LIVE}\n").start()
    yield s
    s.stop()


def test_joins_beyond_the_live_room_cap_start_no_process(capped):
    prefix = f"lv{secrets.token_hex(2)}"
    rooms = [f"{prefix}{i:02d}@{capped.domain}" for i in range(50)]

    async def scenario():
        async with capped.client("filler") as filler:
            for room in rooms:
                raw_join(filler, room, "Filler")
            return await answers(filler, rooms, "Filler")
    got = asyncio.run(scenario())
    created = [r for r, s in got.items() if 201 in codes(s)]
    refused = {(error_condition(s), error_type(s)) for s in got.values() if s["type"] == "error"}
    started = room_actors(capped, prefix)
    print(f"\nmeasure: 50 joins with {LIVE} live rooms per node (one node): created={len(created)} "
          f"processes={len(started)} refused as {sorted(refused)}")
    assert len(created) == LIVE and len(started) == LIVE
    assert refused == {("resource-constraint", "wait")}
