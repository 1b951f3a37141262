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


ROOM_RESOURCE = "raymuc_room"     # room nodes (k8s/raycluster.yaml's "rooms" worker group)
HEAD_RESOURCE = "raymuc_head"     # the head pod on Kubernetes, behind Service raymuc-metrics
DRIVER_RESOURCE = "raymuc_driver"  # the driver pod on Kubernetes: XMPP leaves from there
_ASK_AGAIN = 10.0                 # seconds: a resource not seen yet (nodes still joining)
_advertised: dict[str, float] = {}   # resource -> when to ask again (inf: it is there)


def advertised(resource: str) -> bool:
    """Whether the cluster offers a custom resource. Once seen it is taken as there for
    good; while not seen the cluster is asked again every _ASK_AGAIN s, so a driver that
    started before the room nodes joined still pins later hosts to them."""
    import time
    if time.monotonic() >= _advertised.get(resource, 0.0):
        import ray
        there = resource in ray.cluster_resources()
        _advertised[resource] = float("inf") if there else time.monotonic() + _ASK_AGAIN
    return _advertised[resource] == float("inf")


def custom_resources(resource: str, amount: float) -> dict:
    """Ask for a custom resource only where the cluster has it, so local runs still place."""
    return {"resources": {resource: amount}} if advertised(resource) else {}


def here() -> str | None:
    """The Ray node id of this process (None outside Ray)."""
    try:
        import ray
        return ray.get_runtime_context().get_node_id() if ray.is_initialized() else None
    except Exception:
        return None


# The resource Ray gives the head node alone (1.0). Soft node affinity to the head was
# tried: Ray spilled 3 of 4 zero-CPU actors onto room nodes (measured, Ray 2.60).
HEAD_NODE = "node:__internal_head__"


def control_placement(head_advertised: bool, share: float = 0.1) -> dict:
    """Ray options placing a control actor (supervisor, registry shard) where a room
    node's loss can't take it (and with it the directory that says whom to tell):
    Kubernetes (raymuc_head advertised) on the head pod, whose port 9464 the metrics
    Service selects; elsewhere on the head node (its loss ends the cluster anyway; with
    GCS fault tolerance the restarted head takes them back)."""
    return dict(resources={HEAD_RESOURCE if head_advertised else HEAD_NODE: share})


def control_options(share: float = 0.1) -> dict:
    return control_placement(advertised(HEAD_RESOURCE), share)


def gateway_options(share: float = 0.1) -> dict:
    """The gateway and its workers: on nodes advertising raymuc_driver when there are, else
    on the head node, never on a room node whose loss would take them along (Ray's
    default placement spreads zero-CPU actors over every node, room nodes too)."""
    return dict(resources={DRIVER_RESOURCE if advertised(DRIVER_RESOURCE) else HEAD_NODE: share})


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


async def back_up(handle) -> dict:
    """Returns once the host answers again: an idempotent call that Ray keeps (retries)
    while the host restarts, instead of failing it as it does a stanza (never retried)."""
    return await handle.whoami.options(max_task_retries=-1, **HOT_CALL_OPTIONS).remote()


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
