"""Where a room lives in Ray, and the one place Ray actor options are set.

rooms_per_actor = 1: each room is its own detached actor named by its room JID.
rooms_per_actor > 1: rooms are hashed onto a fixed set of named host actors."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

HOST_OPTIONS = dict(
    num_cpus=0,               # rooms are I/O-bound; never starve the gateway of CPU slots
    lifetime="detached",      # a room outlives the gateway that created it
    max_restarts=-1,          # Ray restarts a crashed host; rooms reload from MongoDB
    max_task_retries=0,       # a stanza is applied once; never replay it
    max_concurrency=1000,     # async host; one stanza at a time per room via its lock
    scheduling_strategy="SPREAD",   # hosts spread over the cluster's nodes
)


# Per-call options of the stanza path (gateway -> host, gateway <-> workers): no task
# events, so hundreds of calls per second do not each become a task record sent to the
# GCS for the dashboard (measured: ~9% more calls per second through one host).
HOT_CALL_OPTIONS = dict(enable_task_events=False)


@dataclass(frozen=True)
class Placement:
    namespace: str = "raymuc"
    rooms_per_actor: int = 1
    host_count: int = 64      # hosts for dense placement

    @property
    def dense(self) -> bool:
        return self.rooms_per_actor > 1

    def actor_name(self, room_jid: str) -> str:
        if not self.dense:
            return room_jid
        digest = hashlib.blake2b(room_jid.encode(), digest_size=8).digest()
        return f"room-host-{int.from_bytes(digest, 'big') % self.host_count:03d}"


ROOM_RESOURCE = "raymuc_room"     # advertised by the Kubernetes worker group (k8s/raycluster.yaml)
_advertised: dict[str, bool] = {}


def advertised(resource: str) -> bool:
    """Whether the cluster offers a custom resource; asked once per process."""
    if resource not in _advertised:
        import ray
        _advertised[resource] = resource in ray.cluster_resources()
    return _advertised[resource]


def custom_resources(resource: str, amount: float) -> dict:
    """Ask for a custom resource only where the cluster has it, so local runs still place."""
    return {"resources": {resource: amount}} if advertised(resource) else {}


def host_class():
    import ray
    from actors.host import RoomHost
    return ray.remote(RoomHost)


def find_host(placement: Placement, name: str):
    """The live host actor with this name, or None."""
    import ray
    try:
        return ray.get_actor(name, namespace=placement.namespace)
    except ValueError:
        return None


def host_gone(exc: BaseException) -> bool:
    """Whether a failed call means its actor died or is restarting (Ray's actor-died and
    actor-unavailable errors), not that the actor raised: only then may a caller look
    the actor up again and retry. An actor's own exception arrives as a RayTaskError,
    which also subclasses its cause's type (an actor that died under the host's call)."""
    from ray.exceptions import ActorDiedError, ActorUnavailableError, RayTaskError
    return isinstance(exc, (ActorDiedError, ActorUnavailableError)) \
        and not isinstance(exc, RayTaskError)


def get_or_create_host(placement: Placement, name: str, settings):
    """Create the named host unless it exists (two gateways can't make two)."""
    return host_class().options(name=name, namespace=placement.namespace, get_if_exists=True,
                                **HOST_OPTIONS, **custom_resources(ROOM_RESOURCE, 1)
                                ).remote(settings, name)


GATEWAY_NAME = "raymuc-gateway"   # the gateway actor (gateway/actor.py), named for pushes


def find_gateway(namespace: str):
    """The gateway actor rooms and the supervisor push stanzas to, or None."""
    import ray
    try:
        return ray.get_actor(GATEWAY_NAME, namespace=namespace)
    except ValueError:
        return None
