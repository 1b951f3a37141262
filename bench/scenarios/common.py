"""What every scenario shares: the run context, client pools, room creation, and turning
CPU samples into per-delivery figures."""
from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.profile import Profile
from bench.targets import Target
from bench.xmppload.client import LeanClient, XmppError, is_error, status_codes

PASSWORD = "bench-pw"
SERVER_GROUP = "xmpp"
GENERATOR_GROUP = "generator"


def user(i: int) -> str:
    return f"b{i:04d}"


@dataclass
class Ctx:
    target: Target
    profile: Profile
    profile_dir: Path | None = None     # py-spy output; None: no profiling windows
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    clients: list[LeanClient] = field(default_factory=list)    # every client made, for closing

    def room(self, kind: str, i: int = 0) -> str:
        return f"{kind}-{self.tag}-{i}@{self.target.muc_domain}"

    async def connect(self, indexes: list[int], resource: str) -> list[LeanClient]:
        """Log in user(i) for each index (bounded concurrency); raise on the first failure."""
        gate = asyncio.Semaphore(self.profile.setup_concurrency * 4)
        made = [LeanClient(user(i), PASSWORD, "localhost", resource) for i in indexes]
        self.clients.extend(made)

        async def one(client: LeanClient) -> None:
            async with gate:
                await client.connect("127.0.0.1", self.target.c2s_port,
                                     register=self.target.register_inband)
        await asyncio.gather(*(one(c) for c in made))
        return made

    async def disconnect(self, clients: list[LeanClient]) -> None:
        gone = set(map(id, clients))
        self.clients = [c for c in self.clients if id(c) not in gone]
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)

    async def close_all(self) -> None:
        clients, self.clients = self.clients, []
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


async def create_room(client: LeanClient, room: str, nick: str, *, persistent: bool = False) -> float:
    """Join as the first occupant and submit the owner form when the room is new (RayMUC
    and ejabberd lock new rooms until then; Prosody's harness MUC does not). Seconds taken."""
    began = time.perf_counter()
    presence = await client.join(room, nick)
    if is_error(presence):
        raise XmppError(f"creating {room} failed: {presence.raw[:300]!r}")
    if persistent:
        await client.configure(room, {"muc#roomconfig_persistentroom": "1"})
    elif 201 in status_codes(presence):
        await client.configure(room)
    return time.perf_counter() - began


async def join_all(members: list[LeanClient], room: str, nick_prefix: str, start: int = 0) -> list[float]:
    """Everyone joins at once; seconds per join. Raises if any join is refused."""
    async def one(i: int, client: LeanClient) -> float:
        began = time.perf_counter()
        presence = await client.join(room, f"{nick_prefix}{i}")
        if is_error(presence):
            raise XmppError(f"{client.jid} could not join {room}: {presence.raw[:300]!r}")
        return time.perf_counter() - began
    return list(await asyncio.gather(*(one(start + i, c) for i, c in enumerate(members))))


def cpu_figures(cpu: dict[str, float], deliveries: int, target: Target) -> dict:
    """CPU seconds per group over a window, and µs per delivered stanza split three ways:
    the XMPP server, the MUC (RayMUC's processes, or the component), the generator."""
    wall = cpu.get("wall") or 0.0
    muc = {k: v for k, v in cpu.items() if k not in (SERVER_GROUP, GENERATOR_GROUP, "wall")}
    split = {"server": cpu.get(SERVER_GROUP, 0.0), "muc": round(sum(muc.values()), 3),
             "generator": cpu.get(GENERATOR_GROUP, 0.0)}
    if target.name == "prosody" or target.name == "ejabberd":
        split["muc"] = None     # the MUC runs inside the server process
    per = {k: (round(v / deliveries * 1e6, 1) if v is not None and deliveries else None)
           for k, v in split.items()}
    return {"cpu_s": cpu, "cpu_split_s": split, "cpu_us_per_delivery": per,
            "cpu_util_pct": {k: round(v / wall * 100, 1) for k, v in cpu.items()
                             if k != "wall" and wall}}
