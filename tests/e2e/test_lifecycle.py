"""Room lifecycle end to end, through Prosody and `raymuc run`, with timeouts of a few
hundred ms: hibernation, deep hibernation by the supervisor (the owner told with 332,
the room's actor gone from Ray), recreation by a join with the room intact, the
metrics scraped from /metrics over HTTP, a SIGKILLed room actor recovering, two
gateways (two extra Ray drivers) waking one room at once, and the operator commands."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.e2e.muc import codes, item
from tests.e2e.muc_flow import NS_DISCO_INFO, configure, create, enter, field, iq, occupant_id, \
    presence_from
from tests.e2e.options_stack import REPO, OptionsStack, leave

pytestmark = pytest.mark.e2e
HIBERNATE_MS, CHECK_MS, DEEP_MS = 300, 200, 600
EXTRA = f"""
hibernate_timeout = {HIBERNATE_MS}
hibernated_room_check_interval = {CHECK_MS}
hibernated_room_timeout = {DEEP_MS}
[instrumentation]
probe_interval = 1
[instrumentation.prometheus]
host = "127.0.0.1"
port = 0
"""
PERSISTENT = field("muc#roomconfig_persistentroom", "1")
LABEL = '{host_type="localhost"}'


@pytest.fixture(scope="module")
def stack():
    s = OptionsStack("life", EXTRA, ("owner", "guest", "bob")).start()
    yield s
    s.stop()


def run(coro):
    return asyncio.run(coro)


def metrics(stack: OptionsStack) -> dict[str, float]:
    url = json.loads((stack.base / "data" / "metrics-endpoint.json").read_text())["url"]
    with urllib.request.urlopen(url, timeout=10) as r:
        text = r.read().decode()
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in text.splitlines() if line and not line.startswith("#")}


def counter(stack, name: str) -> float:
    return metrics(stack)[f"{name}_total{LABEL}"]


def gauges(stack) -> tuple[float, float]:
    m = metrics(stack)
    return m[f"mod_muc_rooms_online{LABEL}"], m[f"mod_muc_rooms_hibernated{LABEL}"]


def wait_until(condition, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.2)
    return value


def room_process(stack, room: str) -> dict | None:
    """The room's actor as `raymuc room` shows it; None when the room is not in memory
    (one room per actor: no actor by that name; dense placement: not in its host)."""
    result = stack.raymuc("room", room)
    if result.returncode == 1:
        assert "not running" in result.stdout or '"state": null' in result.stdout, \
            result.stdout + result.stderr
        return None
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


async def hibernation_notice(client, room: str, nick: str, timeout: float = 30.0):
    return await client.wait_for_stanza(
        lambda s: s.name == "presence" and str(s["from"]) == f"{room}/{nick}"
        and s["type"] == "unavailable" and 332 in codes(s), timeout)


def disco_name(stanza) -> str:
    return stanza.xml.find(f"{{{NS_DISCO_INFO}}}query/{{{NS_DISCO_INFO}}}identity").get("name")


def test_idle_rooms_hibernate_then_deep_hibernate_and_a_join_recreates_them(stack):
    room = stack.room("deep")
    hibernations = counter(stack, "mod_muc_hibernations_count")
    deep = counter(stack, "mod_muc_deep_hibernations_count")
    recreations = counter(stack, "mod_muc_process_recreations_count")

    async def before():
        async with stack.client("owner") as owner, stack.client("guest") as guest:
            await create(owner, room, "Owner", PERSISTENT,
                         field("muc#roomconfig_roomname", "Sleepy Room"))
            owner.send_raw(f"<message to='{room}' type='groupchat'><subject>Dreams</subject>"
                           "</message>")
            joined = await enter(guest, room, "Guest")
            guest_id = occupant_id([s for s in joined if 110 in codes(s)][0])
            await leave(guest, room, "Guest")              # the owner alone: it may go
            notice = await hibernation_notice(owner, room, "Owner")
            it = item(notice)
            assert (it.get("affiliation"), it.get("role")) == ("owner", "none")
            assert it.find("{http://jabber.org/protocol/muc#user}reason").text == \
                "Room hibernation"
            return guest_id
    guest_id = run(before())
    assert counter(stack, "mod_muc_hibernations_count") > hibernations
    wait_until(lambda: counter(stack, "mod_muc_deep_hibernations_count") > deep)
    assert room_process(stack, room) is None                   # its actor is gone from Ray
    listed = stack.raymuc("rooms")
    assert listed.returncode == 0 and room not in listed.stdout, listed.stdout + listed.stderr

    async def after():
        async with stack.client("guest") as guest, stack.client("owner") as owner:
            seq = await enter(guest, room, "Guest")
            mine = [s for s in seq if 110 in codes(s)][0]
            assert 201 not in codes(mine) and occupant_id(mine) == guest_id   # same secret
            assert seq[-1]["subject"] == "Dreams"
            info = await iq(guest, room, f"<query xmlns='{NS_DISCO_INFO}'/>")
            assert disco_name(info) == "Sleepy Room"
            feats = {f.get("var") for f in info.xml.iter(f"{{{NS_DISCO_INFO}}}feature")}
            assert "muc_persistent" in feats
            back = [s for s in await enter(owner, room, "Owner") if 110 in codes(s)][0]
            assert item(back).get("affiliation") == "owner"
    run(after())
    wait_until(lambda: counter(stack, "mod_muc_process_recreations_count") == recreations + 1)


def test_the_gauges_follow_the_rooms(stack):
    wait_until(lambda: gauges(stack) == (0, 0))                # earlier rooms are gone
    kept, temporary = stack.room("kept"), stack.room("temp")

    async def scenario():
        async with stack.client("owner") as owner, stack.client("bob") as bob:
            await create(owner, kept, "Owner", PERSISTENT)
            await enter(bob, kept, "Bob")                      # a non-owner keeps it up
            await create(bob, temporary, "Bob")
            wait_until(lambda: gauges(stack) == (2, 2))        # both idle
            deep = counter(stack, "mod_muc_deep_hibernations_count")
            await leave(bob, kept, "Bob")                      # the owner alone: deep
            await hibernation_notice(owner, kept, "Owner")
            wait_until(lambda: gauges(stack) == (1, 1))
            assert counter(stack, "mod_muc_deep_hibernations_count") == deep + 1
            await leave(bob, temporary, "Bob")                 # a temporary room just closes
            wait_until(lambda: gauges(stack) == (0, 0))
    run(scenario())


def test_a_sigkilled_room_actor_recovers_with_what_it_confirmed(stack):
    room = stack.room("crash")

    async def scenario():
        async with stack.client("owner") as owner, stack.client("guest") as guest:
            await create(owner, room, "Owner", PERSISTENT)
            await enter(guest, room, "Guest")                  # keeps it from deep hibernation
            pid = room_process(stack, room)["process"]["pid"]
            reply = await configure(owner, room, field("muc#roomconfig_roomname", "Survivor"))
            assert reply["type"] == "result"
            os.kill(pid, signal.SIGKILL)                       # right after the confirmation
            info = await iq(guest, room, f"<query xmlns='{NS_DISCO_INFO}'/>")
            assert info["type"] == "result" and disco_name(info) == "Survivor"
            return pid
    old = run(scenario())
    now = room_process(stack, room)
    assert now is None or now["process"]["pid"] != old         # back in a new process


_GATEWAY_DRIVER = """
import asyncio, json, sys, time
from pathlib import Path
from raymuc import raysession, wiring
from raymuc.config import load_config
from raymuc.service import SESSION_FILE
config_path, room, go = sys.argv[1:4]
config = load_config(config_path)
data = Path(config.storage.data_dir)
uri = json.loads((data / "mongo" / "secantus.json").read_text())["uri"]
raysession.connect(raysession.RaySession.from_file(data / SESSION_FILE),
                   namespace=config.ray.namespace)
import ray
from actors import placement as pl
from actors.core import commands as c
from gateway.router import RoomRouter
from persistence.store import RoomStore
placement = wiring.placement(config)
router = RoomRouter(placement, wiring.host_settings(config, uri), RoomStore.from_uri(uri),
                    lambda *a: None)
print("ready", flush=True)
time.sleep(max(0.0, float(go) - time.time()))
effects = asyncio.run(router.call(room, c.Ping("carol@localhost/c", "race")))  # wakes it; a disco is answered from storage
actor = router.handles[placement.actor_name(room)]._actor_id.hex()   # the actor it reached
print("result", type(effects[0].stanza).__name__, actor, flush=True)
"""


def test_two_gateways_waking_one_room_at_once_get_one_actor(stack):
    room = stack.room("race")

    async def create_and_leave():
        async with stack.client("owner") as owner:
            await create(owner, room, "Owner", PERSISTENT)
            await leave(owner, room, "Owner")
    run(create_and_leave())
    wait_until(lambda: room_process(stack, room) is None)      # deep-hibernated
    recreations = counter(stack, "mod_muc_process_recreations_count")
    go = time.time() + 25
    drivers = [subprocess.Popen([sys.executable, "-c", _GATEWAY_DRIVER, str(stack.config_path),
                                 room, str(go)], cwd=REPO, stdout=subprocess.PIPE, text=True,
                                env=dict(os.environ, PYTHONPATH=str(REPO))) for _ in range(2)]
    try:
        assert [d.stdout.readline().strip() for d in drivers] == ["ready", "ready"]
        results = [d.stdout.readline().split() for d in drivers]
        assert [d.wait(60) for d in drivers] == [0, 0]
    finally:
        for d in drivers:
            d.kill()
    assert results[0][:2] == ["result", "IqResult"] and results[0] == results[1]   # one actor
    wait_until(lambda: counter(stack, "mod_muc_process_recreations_count") == recreations + 1)


def test_operators_list_hibernate_and_stop_rooms_by_hand(stack):
    kept, temporary = stack.room("ops"), stack.room("opt")

    async def raymuc(*args):
        return await asyncio.to_thread(stack.raymuc, *args)     # clients stay responsive

    async def keep_awake(client, room):
        """Stanzas faster than hibernate_timeout: the sweep never sees it idle."""
        while True:
            client.send_raw(f"<message to='{room}' type='groupchat'><body>.</body></message>")
            await asyncio.sleep(HIBERNATE_MS / 3000)

    async def scenario():
        async with stack.client("owner") as owner, stack.client("bob") as bob:
            await create(owner, kept, "Owner", PERSISTENT,
                         field("muc#roomconfig_roomname", "Ops Room"))
            await enter(bob, kept, "Bob")
            await create(bob, temporary, "Bob")
            listed = json.loads((await raymuc("rooms", "--json")).stdout)
            mine = {r["jid"]: r for r in listed["rooms"] if r["jid"] in (kept, temporary)}
            assert (mine[kept]["title"], mine[kept]["occupants"], mine[kept]["persistent"]) == \
                ("Ops Room", 2, True)
            assert mine[temporary]["persistent"] is False
            assert listed["supervisor"]["metrics_url"].endswith("/metrics")
            refused = await raymuc("hibernate", kept)
            assert refused.returncode == 1 and "others than its owners" in refused.stdout
            unforced = await raymuc("stop-room", temporary)
            assert unforced.returncode == 2 and "--force" in unforced.stderr
            stopped = await raymuc("stop-room", "--force", temporary)
            assert stopped.returncode == 0, stopped.stdout + stopped.stderr
            out = await presence_from(bob, f"{temporary}/Bob", unavailable=True)
            assert 332 in codes(out)
            await leave(bob, kept, "Bob")
            awake = asyncio.create_task(keep_awake(owner, kept))
            try:
                done = await raymuc("hibernate", kept)        # by hand, awake or not
                await hibernation_notice(owner, kept, "Owner")
            finally:
                awake.cancel()
            assert done.returncode == 0, done.stdout + done.stderr
            assert json.loads(done.stdout)["told"] == [f"{stack.jid('owner')}/{owner.boundjid.resource}"]
    run(scenario())
