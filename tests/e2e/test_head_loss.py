"""Losing the head (issue 14.3): a cluster started as production starts one (a head with
its GCS state in Redis; a worker node with the room and gateway resources joined by
`ray start --address`, where `raymuc run` attaches as on its own pod; the service
joining by `[ray] address`), with real clients. The head's GCS is SIGKILLed: `ray start`
takes the whole head down with it (the head pod's fate), and the head is started again
by the same command. Rooms on the worker node keep their occupants and chat goes on; a
join needing a new room while the head is away is answered, never left hanging; once the
head is back, new rooms start again."""
from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest

from raymuc.raynodes import start_worker_node
from raymuc.rayprocs import RAY_SUBDIR, instance_processes, signal_all
from raymuc.raysession import NODE_TEMP_DIR_ENV, start_local_head, stop_head
from tests.e2e.fault_flow import echo, room_of_two
from tests.e2e.muc import codes, error_condition, join
from tests.e2e.xmpp_clients import connected_client
from tests.fixtures.cluster import capture, environ, gcs_pid, redis_server
from tests.fixtures.service import ServiceProcess, write_config

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.cluster]

DOMAIN = "gcs.localhost"
AWAY = 10.0                   # seconds between the GCS's death and the head's restart
# Raylets, workers and drivers wait this long for a lost GCS before they exit (Ray's
# default is 60 s); the worker node and `raymuc run` get it from their environment.
RECONNECT = {"RAY_gcs_rpc_server_reconnect_timeout_s": "120"}
REFUSALS = ("service-unavailable", "resource-constraint")


@pytest.fixture(scope="module")
def ft_cluster():
    from raymuc.prosody import ProsodyServer
    base = Path(tempfile.mkdtemp(prefix="rmg-"))
    ray_dir = Path(tempfile.mkdtemp(prefix="rg-", dir="/tmp"))     # short: socket paths
    with redis_server() as redis:
        with environ(RAY_REDIS_ADDRESS=redis, RAY_external_storage_namespace="raymuc-ft",
                     **RECONNECT):
            session, head = start_local_head(ray_dir / "head", namespace="raymuc",
                                             dashboard=False, num_cpus=1)
            node = start_worker_node(session, ray_dir / "node",
                                     {"raymuc_room": 16, "raymuc_driver": 1}, num_cpus=2)
        secret = secrets.token_hex(8)
        server = ProsodyServer(base / "prosody", components={DOMAIN: secret})
        server.start()
        cfg = write_config(base / "raymuc.toml", server.component_port, secret, base / "data",
                           domain_template="gcs.@HOST@", ray_extra="",
                           ray_address=session.gcs_address)
        env = {**session.driver_env(), **RECONNECT,
               NODE_TEMP_DIR_ENV: str(node.temp_dir / RAY_SUBDIR)}
        service = ServiceProcess(cfg, base / "service.log", env=env).start()
        accounts = [(server.register(f"g{i}", "pw"), "pw") for i in range(4)]
        restarted: list = []
        try:
            yield head, server, accounts, service, restarted
        finally:
            code = service.stop()
            server.stop()
            node.stop()
            for again in restarted:
                signal_all(instance_processes(again.pid, head.temp_dir), signal.SIGKILL)
            stop_head(head)
            shutil.rmtree(ray_dir, ignore_errors=True)
        assert code == 0, service.log_tail()


def test_rooms_on_a_worker_node_outlive_the_head(ft_cluster):
    head, server, accounts, service, restarted = ft_cluster
    (owner, pw), (bob, _) = accounts[:2]
    room, away, back = (f"{p}{secrets.token_hex(4)}@{DOMAIN}" for p in ("h", "a", "b"))

    async def scenario():
        async with connected_client(owner, pw, "127.0.0.1", server.c2s_port) as o, \
                connected_client(bob, pw, "127.0.0.1", server.c2s_port) as b:
            await room_of_two(o, b, room, "Outlives the head")
            assert await echo(b, o, room, "before")
            again = capture(head.pid)              # the head pod's command
            os.kill(gcs_pid(head.processes()), signal.SIGKILL)
            killed = time.monotonic()
            await asyncio.to_thread(head.popen.wait, 30)   # the whole head goes down
            assert await echo(b, o, room, "while the head is away"), service.log_tail()
            # a new room needs the GCS (actor creation): answered, not left hanging
            asked = time.monotonic()
            pres = await join(o, away, "Owner", timeout=60)
            answered = time.monotonic() - asked
            outcome = error_condition(pres) or ("created" if 201 in codes(pres) else "joined")
            assert outcome in (*REFUSALS, "created"), str(pres)
            await asyncio.sleep(max(0.0, AWAY - (time.monotonic() - killed)))
            # on one machine `ray start` takes the worker node's raylet (it names the
            # GCS address) for a head still running, unless the old head's record is gone
            (head.ray_dir / "ray_current_cluster").unlink(missing_ok=True)
            restarted.append(again.start(head.temp_dir / "restarted.log"))
            back_at = time.monotonic()
            assert await echo(b, o, room, "after the head came back", timeout=30)
            refused = 0
            while True:                      # new rooms start again
                pres = await join(o, back, "Owner", timeout=60)
                if pres["type"] != "error":
                    break
                refused += 1
                assert error_condition(pres) in REFUSALS, str(pres)
                assert time.monotonic() - back_at < 90, str(pres)
                await asyncio.sleep(0.5)
            return outcome, answered, time.monotonic() - back_at, refused
    outcome, answered, started, refused = asyncio.run(scenario())
    print(f"head lost for {AWAY:.0f} s: chat went on; a new room's join answered {outcome} "
          f"after {answered:.1f} s; a new room started {started:.1f} s after the head's "
          f"restart ({refused} joins refused before)")
