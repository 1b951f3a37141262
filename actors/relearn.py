"""A restarted conference registry shard relearns its counts in seconds, not WARMING.

Restarted empty, a shard would answer "cannot say" (joins refused service-unavailable)
until every host's periodic renewal came in, up to RENEW_EVERY (20 s) later. Instead it
asks the supervisor's directory which hosts are alive and asks each of them to renew
now (RoomHost.renew_conferences); once all have, the counts are complete and the
warming ends. When the directory can't vouch for being complete (the supervisor is
missing, or restarted itself less than DIRECTORY_COMPLETE ago and is still relearning
its own leases) or a host does not answer, the shard keeps the timer: fail closed."""
from __future__ import annotations

import threading
import time

from actors.names import SUPERVISOR_NAME

ASK_TIMEOUT = 10.0
DIRECTORY_COMPLETE = 35.0   # the supervisor's directory, restarted, has every lease by then


def start(registry) -> threading.Thread:
    """Run registry.relearn in a thread of the shard's process (its renewals are calls
    to the shard itself, which must stay free to take them)."""
    thread = threading.Thread(target=registry.relearn, args=(directory_hosts, renew_all),
                              name="registry-relearn", daemon=True)
    thread.start()
    return thread


def directory_hosts() -> list | None:
    import ray
    namespace = ray.get_runtime_context().namespace
    try:
        supervisor = ray.get_actor(SUPERVISOR_NAME, namespace=namespace)
    except ValueError:
        return None
    stats, leases = ray.get([supervisor.stats.remote(), supervisor.leases.remote()],
                            timeout=ASK_TIMEOUT)
    if stats["restarted"] and time.time() - stats["started"] < DIRECTORY_COMPLETE:
        return None
    return sorted({name for name, _incarnation, _node in leases})


def renew_all(names: list) -> bool:
    import ray
    context = ray.get_runtime_context()
    namespace = context.namespace
    shard = int(context.get_actor_name().rsplit("-", 1)[1])    # REGISTRY_NAME-<shard>
    handles = []
    for name in names:
        try:
            handles.append(ray.get_actor(name, namespace=namespace))
        except ValueError:
            continue        # gone since the directory listed it: it holds nothing
    return all(ray.get([h.renew_conferences.remote(shard) for h in handles],
                       timeout=ASK_TIMEOUT))
