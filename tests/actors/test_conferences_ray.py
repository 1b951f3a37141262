"""max_user_conferences with real registry actors on a real local Ray: a join whose
count can't be checked in time (a registry that is busy past the deadline, or killed)
is refused, never admitted unchecked; the count is sharded by user and stays exact
across room hosts."""
from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from actors import conferences
from actors.conferences import ConferenceRegistry, ensure_registry
from actors.host_conferences import HostConferences
from actors.core import commands as c
from actors.core.effects import ErrorOut
from actors.core.policy import ServicePolicy
from actors.core.state import RoomSeed
from actors.settings import ServiceSettings
from tests.actors.lifecycle_ray import wait_until

pytestmark = pytest.mark.usefixtures("ray_session")
DOMAIN = "conference.localhost"
SERVICE = ServiceSettings(ServicePolicy(DOMAIN), RoomSeed(), max_user_conferences=2)
ALICE, BOB = "alice@localhost/a", "bob@localhost/b"


class BusyRegistry(ConferenceRegistry):
    """A registry actor that takes longer over a reservation than any host waits."""

    def reserve(self, *args):
        time.sleep(60)
        return super().reserve(*args)


@pytest.fixture
def namespace(ray_session):
    import ray
    ns = f"cf-{uuid.uuid4().hex[:8]}"
    yield ns
    for actor in ray.util.list_named_actors(all_namespaces=True):
        if actor["namespace"] == ns:
            ray.kill(ray.get_actor(actor["name"], namespace=ns))


def join(jid: str, room: str):
    return c.Presence(jid, "Nick", True, muc=True, id=f"j-{room}")


def admit(host: HostConferences, jid: str, room: str) -> tuple:
    return asyncio.run(host.admit(f"{room}@{DOMAIN}", join(jid, room), SERVICE, None))


def refusal_text(refused: tuple) -> str:
    [deliver] = refused
    assert isinstance(deliver.stanza, ErrorOut)
    assert (deliver.stanza.error.condition, deliver.stanza.error.type) == ("service-unavailable", "wait")
    return deliver.stanza.error.text


def test_a_join_is_refused_when_the_registry_does_not_answer_in_time(namespace, monkeypatch):
    import ray
    monkeypatch.setattr(conferences, "RESERVE_TIMEOUT", 1.0)
    busy = ray.remote(BusyRegistry).options(namespace=namespace, num_cpus=0).remote()
    host = HostConferences(namespace, "room-host-001", {}, locate=lambda *_: busy)
    began = time.monotonic()
    refused = admit(host, ALICE, "r1")
    assert "try again" in refusal_text(refused)
    assert time.monotonic() - began < 30                   # the deadline, not the registry
    assert host.entries() == []                           # nothing counted as held


def gone(handle) -> bool:
    import ray
    try:
        ray.get(handle.stats.remote(), timeout=10)
        return False
    except ray.exceptions.RayActorError:
        return True


def test_a_join_is_refused_when_the_registry_is_gone(namespace):
    import ray
    registry = ray.remote(ConferenceRegistry).options(namespace=namespace, num_cpus=0).remote()
    ray.get(registry.stats.remote(), timeout=60)
    ray.kill(registry, no_restart=True)
    wait_until(lambda: gone(registry))          # ray.kill returns before the actor is dead
    host = HostConferences(namespace, "room-host-001", {}, locate=lambda *_: registry)
    assert "try again" in refusal_text(admit(host, ALICE, "r1"))


def test_the_count_is_sharded_by_user_and_exact_across_hosts(namespace):
    import ray
    ensure_registry(namespace)
    names = {a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
             if a["namespace"] == namespace}
    assert names == {f"raymuc-conferences-{i}" for i in range(conferences.REGISTRY_SHARDS)}
    one, two = (HostConferences(namespace, f"room-host-00{i}", {}) for i in (1, 2))
    assert admit(one, ALICE, "r1") == () and admit(two, ALICE, "r2") == ()
    assert "too many rooms" in refusal_text(admit(one, ALICE, "r3"))
    assert admit(two, BOB, "r3") == ()
    counts = [ray.get(ray.get_actor(name, namespace=namespace).count.remote("alice@localhost"),
                      timeout=60) for name in sorted(names)]
    assert sorted(counts) == [0] * (len(names) - 1) + [2]  # all of Alice's rooms on one shard
