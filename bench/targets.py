"""The systems under test. Each knows its MUC domain, its XMPP server's client port, the
processes to measure (grouped by role), and how to make a stored room cold (scenario 5)."""
from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from pathlib import Path

from bench.children import die_with_parent
from bench.ejabberd import EjabberdServer
from bench.prosody_server import BenchProsody
from bench.raymuc_service import RaymucService

log = logging.getLogger("bench.targets")
REPO = Path(__file__).resolve().parent.parent
ALL_SCENARIOS = frozenset({1, 2, 3, 4, 5, 6, 7})


class Target:
    name = ""
    label = ""
    muc_domain = ""
    scenarios: frozenset[int] = ALL_SCENARIOS
    register_inband = False       # accounts made by the client itself (XEP-0077)

    def start(self) -> None: ...
    def stop(self) -> None: ...

    @property
    def c2s_port(self) -> int:
        raise NotImplementedError

    def server_groups(self) -> dict[str, list[int]]:
        raise NotImplementedError

    def muc_groups(self) -> dict[str, list[int]]:
        return {}

    def groups(self) -> dict[str, list[int]]:
        return {**self.server_groups(), **self.muc_groups()}

    async def make_cold(self, rooms: list[str]) -> dict:
        """Take these stored rooms out of memory. 'reconnect': True when clients were cut."""
        raise NotImplementedError

    def info(self) -> dict:
        return {"label": self.label, "muc_domain": self.muc_domain}


class ProsodyBacked(Target):
    def __init__(self, prosody: BenchProsody) -> None:
        self.prosody = prosody

    @property
    def c2s_port(self) -> int:
        return self.prosody.c2s_port

    def server_groups(self) -> dict[str, list[int]]:
        return {"xmpp": self.prosody.processes()}


class RaymucTarget(ProsodyBacked):
    muc_domain = "conference.localhost"

    def __init__(self, prosody: BenchProsody, work_dir: Path, secret: str, rooms_per_actor: int = 1,
                 room_hosts: int | None = None, name: str = "raymuc",
                 scenarios: frozenset[int] = ALL_SCENARIOS, gateway_workers: int = 0) -> None:
        super().__init__(prosody)
        self.name = name
        self.rooms_per_actor = rooms_per_actor
        self.room_hosts = room_hosts if rooms_per_actor > 1 else None
        placement = "one actor per room" if rooms_per_actor == 1 else \
            f"rooms_per_actor={rooms_per_actor}, room_hosts={self.room_hosts or 'default'}"
        if gateway_workers:
            placement += f", {gateway_workers} gateway workers"
        self.label = f"RayMUC ({placement}) behind Prosody"
        self.scenarios = scenarios
        self.gateway_workers = gateway_workers
        self.service = RaymucService(work_dir, prosody.component_port, secret, rooms_per_actor=rooms_per_actor,
                                     room_hosts=self.room_hosts, gateway_workers=gateway_workers)

    def start(self) -> None:
        self.service.start()

    def stop(self) -> None:
        self.service.stop()

    def muc_groups(self) -> dict[str, list[int]]:
        return self.service.processes()

    async def make_cold(self, rooms: list[str]) -> dict:
        return await asyncio.to_thread(self._make_cold, rooms)

    def _make_cold(self, rooms: list[str]) -> dict:
        """One extra Ray driver (bench.raytool) for all rooms: `raymuc hibernate` per room
        would attach a driver per room (seconds each)."""
        done = subprocess.run([sys.executable, "-m", "bench.raytool", "--config", str(self.service.config_path),
                               "cold", *rooms],
                              cwd=REPO, capture_output=True, text=True, timeout=600)
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if not lines:
            raise RuntimeError(f"bench.raytool failed ({done.returncode}): {done.stderr[-2000:]}")
        return {**json.loads(lines[-1]), "reconnect": False}

    def info(self) -> dict:
        return {**super().info(), "rooms_per_actor": self.rooms_per_actor, "room_hosts": self.room_hosts,
                "gateway_workers": self.gateway_workers}


class NullTarget(ProsodyBacked):
    name = "null"
    label = "do-nothing component behind Prosody (component-path ceiling)"
    muc_domain = "null.localhost"
    scenarios = frozenset({1, 2, 3, 7})

    def __init__(self, prosody: BenchProsody, secret: str) -> None:
        super().__init__(prosody)
        self.secret = secret
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.nullmuc", "--port",
                                      str(self.prosody.component_port), "--domain", self.muc_domain,
                                      "--secret", self.secret], cwd=REPO, stdout=subprocess.PIPE,
                                     start_new_session=True, preexec_fn=die_with_parent())
        line = self.proc.stdout.readline()
        if b"nullmuc ready" not in line:
            self.stop()
            raise RuntimeError(f"null component did not start: {line!r}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def muc_groups(self) -> dict[str, list[int]]:
        return {"component": [self.proc.pid] if self.proc else []}


class ProsodyMucTarget(ProsodyBacked):
    scenarios = ALL_SCENARIOS - {7}        # scenario 7 measures the component gateway
    name = "prosody"
    label = "Prosody's built-in MUC"
    muc_domain = "muc.localhost"

    async def make_cold(self, rooms: list[str]) -> dict:
        await asyncio.to_thread(self._restart)
        return {"method": "Prosody restarted; persistent rooms are restored lazily from its "
                          "file storage on their first stanza", "reconnect": True}

    def _restart(self) -> None:
        self.prosody.stop()
        self.prosody.start()


class EjabberdTarget(Target):
    scenarios = ALL_SCENARIOS - {7}
    name = "ejabberd"
    label = "ejabberd's own mod_muc"
    muc_domain = "muc.localhost"
    register_inband = True

    def __init__(self, work_dir: Path) -> None:
        self.server = EjabberdServer(work_dir, muc_domain=self.muc_domain, preload_rooms=False)

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    @property
    def c2s_port(self) -> int:
        return self.server.c2s_port

    def server_groups(self) -> dict[str, list[int]]:
        return {"xmpp": self.server.processes()}

    async def make_cold(self, rooms: list[str]) -> dict:
        await asyncio.to_thread(self.server.restart)
        return {"method": "ejabberd restarted with preload_rooms=false; rooms start from Mnesia "
                          "on their first stanza", "reconnect": True}
