"""Round trips per hop, to see where latency comes from without instrumenting the systems:
- server: XEP-0199 ping to the XMPP server (c2s only),
- service: disco#info to the MUC domain (Prosody -> component -> Prosody for a component;
  RayMUC answers it in the gateway, without a room call),
- room: disco#info to a room (for RayMUC: gateway -> the room's ordered pipe -> a Ray
  call to the room actor -> back), sampled at rest and during a load window, where it
  waits behind the room's groupchats."""
from __future__ import annotations

import asyncio
import time

from bench.xmppload.client import LeanClient
from bench.xmppload.metrics import summary_ms

DISCO_INFO = "<query xmlns='http://jabber.org/protocol/disco#info'/>"


async def rtt(client: LeanClient, to: str, payload: str, timeout: float = 30.0) -> int:
    began = time.perf_counter_ns()
    await client.iq("get", to, payload, timeout)
    return time.perf_counter_ns() - began


async def hops(client: LeanClient, domain: str, muc_domain: str, room: str, samples: int) -> dict:
    """Sequential samples of each hop, the system otherwise idle."""
    out = {}
    for name, to, payload in (("server_ping", domain, "<ping xmlns='urn:xmpp:ping'/>"),
                              ("service_disco", muc_domain, DISCO_INFO),
                              ("room_disco", room, DISCO_INFO)):
        values = []
        for _ in range(samples):
            values.append(await rtt(client, to, payload))
            await asyncio.sleep(0.01)
        out[name] = summary_ms(values)
    return out


class LoadProbe:
    """Samples room disco#info round trips every `interval` seconds while running."""

    def __init__(self, client: LeanClient, room: str, interval: float = 0.1) -> None:
        self.client, self.room, self.interval = client, room, interval
        self.values: list[int] = []
        self.errors = 0
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            try:
                self.values.append(await rtt(self.client, self.room, DISCO_INFO, timeout=20))
            except Exception:
                self.errors += 1
            await asyncio.sleep(self.interval)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    def summary(self) -> dict:
        return {**summary_ms(self.values), "errors": self.errors}
