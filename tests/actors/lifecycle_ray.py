"""Shared pieces of the lifecycle tests on a real local Ray: a namespace of their own
with a real supervisor, room host actors created by a real RoomRouter, a gateway
stand-in actor that records what rooms push, and clean-up of every actor."""
from __future__ import annotations

import asyncio
import time
import uuid
from types import MappingProxyType

from actors.core import commands as c
from actors.core.policy import ServicePolicy
from actors.core.state import RoomSeed
from actors.placement import Placement
from actors.settings import HostSettings, ServiceSettings
from actors.supervisor import SupervisorSettings, start_supervisor
from gateway.router import RoomRouter

DOMAIN = "conference.localhost"
OWNER, BOB = "owner@localhost/o", "bob@localhost/b"
PERSISTENT = RoomSeed(config={"persistent": True, "title": "Kept"})


class GatewayProbe:
    """Stands in for the gateway actor ("raymuc-gateway"): records pushed effects."""

    def __init__(self):
        self.got: list[tuple[str, tuple]] = []

    async def emit(self, room_jid: str, effects) -> None:
        self.got.append((room_jid, tuple(effects)))

    def take(self) -> list:
        got, self.got = self.got, []
        return got


class Cluster:
    def __init__(self, mongo_uri: str, database: str, **host):
        import ray
        from actors.placement import GATEWAY_NAME
        self.ns = f"lc-{uuid.uuid4().hex[:8]}"
        host.setdefault("hibernate_timeout", 200)
        host.setdefault("hibernated_room_timeout", 300)
        host.setdefault("directory_renew", 0.5)
        self.settings = HostSettings(
            MappingProxyType({DOMAIN: ServiceSettings(ServicePolicy(DOMAIN), PERSISTENT)}),
            mongo_uri, database=database, namespace=self.ns, **host)
        self.placement = Placement(self.ns)
        self.gateway = ray.remote(GatewayProbe).options(name=GATEWAY_NAME, namespace=self.ns,
                                                        num_cpus=0).remote()
        self.supervisor = None

    def start_supervisor(self, **kw):
        kw.setdefault("check_interval", 0.1)
        kw.setdefault("hibernated_room_timeout", 0.3)
        kw.setdefault("probe_interval", 0.2)
        kw.setdefault("prometheus", ("127.0.0.1", 0))
        kw.setdefault("lease", 5.0)
        kw.setdefault("call_timeout", 3.0)
        self.sup_settings = SupervisorSettings(
            namespace=self.ns, placement=self.placement,
            host_types=MappingProxyType({DOMAIN: "localhost"}), **kw)
        self.supervisor, stats = start_supervisor(self.sup_settings)
        return stats

    def router(self, store, sink=None) -> RoomRouter:
        return RoomRouter(self.placement, self.settings, store, sink or (lambda *a: None))

    def stats(self) -> dict:
        import ray
        return ray.get(self.supervisor.stats.remote(), timeout=30)

    def counter(self, name: str) -> float:
        return self.stats()["metrics"].get(name, {}).get("localhost", 0)

    def rooms(self) -> list:
        import ray
        return ray.get(self.supervisor.list_rooms.remote(DOMAIN), timeout=30)

    def host(self, room: str):
        from actors.placement import find_host
        return find_host(self.placement, self.placement.actor_name(room))

    def pushed(self) -> list:
        import ray
        return ray.get(self.gateway.take.remote(), timeout=30)

    def close(self) -> None:
        import ray
        for actor in ray.util.list_named_actors(all_namespaces=True):
            if actor["namespace"] == self.ns:
                try:
                    ray.kill(ray.get_actor(actor["name"], namespace=self.ns))
                except ValueError:
                    pass


def wait_until(condition, timeout: float = 30.0, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(every)


def run(coro):
    return asyncio.run(coro)


def join(jid, nick, **kw):
    return c.Presence(jid, nick, True, muc=True, **kw)


async def create_persistent(router, room: str, owner: str = OWNER) -> None:
    await router.call(room, join(owner, "Owner"))
    await router.call(room, c.OwnerSet(owner, "cfg", form=c.Form("submit")))
