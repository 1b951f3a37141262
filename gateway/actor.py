"""The gateway as a named Ray actor, so rooms and the supervisor can push stanzas to
it (deep-hibernation notices, delayed messages) and SREs see it in the dashboard.

Fault contract: it holds no room state. If its process dies, Ray restarts it and the
driver's watchdog calls `ensure_started` again (idempotent): it reconnects (the XMPP
server kicks the old connection) and finds the rooms by name. Stanzas in flight at
the crash are lost, as with any component restart. `emit` is not idempotent."""
from __future__ import annotations

import logging

# The gateway's name lives with the other Ray names: room hosts and the supervisor push to it.
from actors.placement import GATEWAY_NAME
GATEWAY_OPTIONS = dict(
    num_cpus=0,            # placement only; it is I/O-bound and must not block room hosts
    max_concurrency=1000,  # async actor: inbound stanzas and pushes interleave on one loop
    max_restarts=-1,
    max_task_retries=0,
)


class GatewayActor:
    def __init__(self, spec: dict):
        self.spec = spec
        self.gateway = None

    async def ensure_started(self) -> bool:
        """Connect the components unless already done. Returns True when it started now."""
        if self.gateway is not None:
            return False
        logging.basicConfig(level=self.spec.get("loglevel", "WARNING").upper(),
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")
        from gateway.app import Gateway
        from gateway.stanza_size import DEFAULT_MAX_STANZA
        from persistence.store import RoomStore
        s = self.spec
        store = RoomStore.from_uri(s["mongo_uri"], cached_rooms=0)   # it only reads
        self.gateway = Gateway(s["domains"], s["host"], s["port"], s["secret"], s["placement"],
                               s["settings"], store, access=s["access"],
                               max_stanza=s.get("max_stanza", DEFAULT_MAX_STANZA))
        if s.get("workers"):
            from gateway.workers import WorkerFeeds
            self.gateway.workers = WorkerFeeds(s, s["workers"], s["placement"].namespace,
                                               self.gateway.send_effects)
        await self.gateway.start(timeout=None)
        return True

    async def wait_online(self, timeout: float = 30.0) -> bool:
        import asyncio
        comps = self.gateway.components.values()
        try:
            await asyncio.wait_for(asyncio.gather(*(c.online.wait() for c in comps)), timeout)
            return True
        except asyncio.TimeoutError:
            return False

    async def emit(self, room_jid: str, effects) -> None:
        """Send effects a room produced outside a stanza's call (pushes)."""
        self.gateway.send_effects(room_jid, effects)

    async def write(self, batch: list[tuple[str, str]]) -> None:
        """Stanzas rendered by a gateway worker (gateway/workers.py), in its order."""
        self.gateway.write(batch)

    async def stop(self) -> None:
        if self.gateway is not None:
            await self.gateway.stop()
            if self.gateway.workers is not None:
                self.gateway.workers.stop()

    async def stats(self) -> dict:
        if self.gateway is None:
            return {}
        import os
        out = {"pid": os.getpid(), **self.gateway.router.stats}   # the pid: for py-spy and faults
        if self.gateway.workers is not None:
            out["workers"] = await self.gateway.workers.stats()
            out["feed_lost"] = self.gateway.workers.lost
            out["feed_refused"] = self.gateway.workers.refused
        return out


def start_gateway(namespace: str, spec: dict):
    import ray
    from actors.placement import gateway_options
    actor = ray.remote(GatewayActor).options(name=GATEWAY_NAME, namespace=namespace,
                                             **GATEWAY_OPTIONS, **gateway_options()
                                             ).remote(spec)
    ray.get(actor.ensure_started.remote())
    return actor

