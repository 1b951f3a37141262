"""A private Prosody plus `raymuc run` with a test module's own mod_muc options, on its
own component domain, with fixed accounts the config can name (acl, default_room
affiliations). One per test module: a service start costs ~10 s."""
from __future__ import annotations

import secrets
import subprocess
import sys
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path
from xml.sax.saxutils import quoteattr

from raymuc.prosody import ProsodyServer
from tests.e2e.muc import NS_STANZAS
from tests.e2e.xmpp_clients import connected_client
from tests.fixtures.service import ServiceProcess, placement_from_env, write_config

PASSWORD = "pw-options"
REPO = Path(__file__).resolve().parents[2]


class OptionsStack:
    def __init__(self, name: str, extra: str, users: tuple[str, ...], ray_extra: str = ""):
        self.name = name                                  # component label, e.g. "access"
        self.ray_extra = ray_extra                        # [ray] lines of its own
        self.domain = f"{name}.localhost"
        self.extra = extra
        self.users = users
        self.base = Path(tempfile.mkdtemp(prefix=f"rmo-{name[:6]}-"))
        self.secret = secrets.token_hex(8)
        self.prosody = ProsodyServer(self.base / "prosody", components={self.domain: self.secret})
        self.service: ServiceProcess | None = None
        self.config_path = self.base / "raymuc.toml"
        self.runs = 0

    def start(self) -> "OptionsStack":
        self.prosody.start()
        for user in self.users:
            self.prosody.register(user, PASSWORD)
        write_config(self.config_path, self.prosody.component_port, self.secret,
                     self.base / "data", extra=self.extra, domain_template=f"{self.name}.@HOST@",
                     ray_extra=f"{placement_from_env()}\n{self.ray_extra}")
        self.start_service()
        return self

    def start_service(self) -> None:
        self.runs += 1
        self.service = ServiceProcess(self.config_path, self.base / f"service{self.runs}.log").start()

    def stop_service(self) -> None:
        if self.service is not None:
            code = self.service.stop()
            tail = self.service.log_tail()
            self.service = None
            assert code == 0, f"raymuc run exited with {code}; log:\n{tail}"

    def restart_service(self) -> None:
        self.stop_service()
        self.start_service()

    def stop(self) -> None:
        try:
            self.stop_service()
        finally:
            self.prosody.stop()

    def jid(self, user: str) -> str:
        return f"{user}@localhost"

    def room(self, prefix: str = "r") -> str:
        return f"{prefix}{secrets.token_hex(3)}@{self.domain}"

    @asynccontextmanager
    async def client(self, user: str):
        async with connected_client(self.jid(user), PASSWORD, "127.0.0.1",
                                    self.prosody.c2s_port) as c:
            yield c

    def service_log(self) -> str:
        return (self.base / f"service{self.runs}.log").read_text(errors="replace")

    def raymuc(self, *args: str) -> subprocess.CompletedProcess:
        """Run a `raymuc` subcommand against this service (a second Ray driver)."""
        return subprocess.run([sys.executable, "-m", "raymuc.cli", *args, "--config",
                               str(self.config_path)], capture_output=True, text=True,
                              timeout=120, cwd=REPO)


def error_text(stanza) -> str:
    node = stanza.xml.find(f"{{jabber:client}}error/{{{NS_STANZAS}}}text")
    return node.text if node is not None and node.text else ""


def error_type(stanza) -> str:
    node = stanza.xml.find("{jabber:client}error")
    return node.get("type", "") if node is not None else ""


async def leave(client, room: str, nick: str) -> None:
    full = f"{room}/{nick}"
    client.send_raw(f"<presence to={quoteattr(full)} type='unavailable'/>")
    await client.wait_for_stanza(lambda s: s.name == "presence" and str(s["from"]) == full
                                 and s["type"] == "unavailable")


_KILL = """
import sys, time
from pathlib import Path
from raymuc import raysession
session = raysession.RaySession.from_file(Path(sys.argv[1]))
raysession.connect(session, namespace=sys.argv[2])
import ray
handle = ray.get_actor(sys.argv[3], namespace=sys.argv[2])
ray.kill(handle, no_restart=False)      # a crash: Ray restarts it under the same name
print("killed", flush=True)
"""


def crash_actor(stack: OptionsStack, name: str, namespace: str = "raymuc") -> None:
    """Kill a room host's process for real (from a second Ray driver)."""
    result = subprocess.run([sys.executable, "-c", _KILL, str(stack.base / "data" / "ray-session.json"),
                             namespace, name], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert "killed" in result.stdout, result.stdout + result.stderr
