"""The demo as a newcomer meets it (README, docs/sre.md): `raymuc demo` with its TLS Prosody,
two real profanity clients under tmux that create, configure and talk in a room, and the
operator side: `raymuc dashboard` (URL and token that open the dashboard), `raymuc rooms`
printing only its answer, the driver's start lines at the default loglevel, and room actors'
stderr free of deprecation warnings."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from raymuc.demo_process import DemoProcess
from tests.e2e.profanity import Profanity

pytestmark = pytest.mark.e2e

LOBBY = "lobby@conference.localhost"
ROOM = "tea@conference.localhost"


@pytest.fixture(scope="module")
def demo():
    base = Path(tempfile.mkdtemp(prefix="rmdemo-"))
    running = DemoProcess(base).start()
    yield running
    code = running.stop()
    output = running.output()
    shutil.rmtree(base, ignore_errors=True)
    assert code == 0, f"raymuc demo exited with {code}:\n{output[-3000:]}"


def test_banner_names_port_accounts_room_dashboard_and_token_command(demo):
    out = demo.output()
    assert f"Prosody on 127.0.0.1:{demo.port}, STARTTLS required" in out
    assert "alice@localhost, bob@localhost, carol@localhost  (password: demo)" in out
    assert f"Try a room  : {LOBBY}  (persistent, public, owned by alice)" in out
    assert "could not open the lobby" not in out
    assert re.search(r"Dashboard   : http://127\.0\.0\.1:\d+", out)
    assert f"raymuc dashboard --config {demo.config}" in out
    # the start lines docs/sre.md quotes, at the demo's loglevel "warning"
    for line in ("INFO raymuc.service ray.started dashboard=http://127.0.0.1:",
                 "INFO raymuc.service service.supervisor_ready metrics=",
                 "INFO raymuc.service service.ready domains=conference.localhost"):
        assert line in out


def test_profanity_users_create_configure_and_talk_in_a_room(demo):
    homes = demo.base / "clients"
    alice, bob = Profanity(homes / "alice", "a"), Profanity(homes / "bob", "b")
    try:
        alice.start().login("alice@localhost", "demo", demo.port)
        bob.start().login("bob@localhost", "demo", demo.port)
        # a server with carbons (profanity enables them at login)
        assert "carbons" not in alice.screen()
        alice.send(f"/join {ROOM}")
        alice.wait_for(r"Room locked, requires configuration")
        alice.send("/room config")
        form = alice.wait_for(r"\[field\d+\] Make room persistent: (TRUE|FALSE)")
        assert "Maximum number of occupants" in alice.screen()
        assert form.group(1) == "FALSE"
        alice.send("/form submit")
        alice.wait_for(r"Room configuration successful")
        bob.send(f"/join {ROOM}")
        bob.wait_for(r"You have joined the room as bob")
        alice.wait_for(r"(?m)^.*Participants\n.*\sbob$")     # the occupants panel
        alice.send("hello from alice")
        bob.wait_for(r"alice: hello from alice")
        bob.send("hi alice, bob here")
        alice.wait_for(r"bob: hi alice, bob here")
        # the operator's view of it: only the answer, no Ray log lines
        rooms = demo.cli("rooms")
        assert rooms.returncode == 0, rooms.stderr
        assert rooms.stdout.startswith("ROOM ") and rooms.stderr == ""
        assert re.search(re.escape(ROOM) + r"\s+2\s+awake\s+no", rooms.stdout), rooms.stdout
        # the demo opened its lobby in advance
        assert re.search(re.escape(LOBBY) + r"\s+0\s+awake\s+yes\s+yes\s+Lobby", rooms.stdout), rooms.stdout
        assert "INFO" not in rooms.stdout
        # the dashboard's Logs tab: the supervisor's rooms file (one probe: 15 s)
        rooms_file = ray_logs(demo) / "raymuc-rooms.log"
        deadline = time.monotonic() + 40
        pattern = re.escape(ROOM) + r"\s+2\s+no\s+awake\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ"
        while not (rooms_file.exists() and re.search(pattern, rooms_file.read_text())):
            assert time.monotonic() < deadline, \
                rooms_file.read_text() if rooms_file.exists() else "no rooms file"
            time.sleep(1)
    finally:
        alice.stop()
        bob.stop()
    warned = [p.name for p in ray_logs(demo).glob("worker-*.err")
              if "DeprecationWarning" in p.read_text()]
    assert warned == [], f"deprecation warnings in {warned}"


def ray_logs(demo) -> Path:
    session = json.loads((demo.data_dir / "raymuc" / "ray-session.json").read_text())
    return Path(session["temp_dir"]) / "ray" / "session_latest" / "logs"


def test_dashboard_command_gives_a_url_and_the_token_it_accepts(demo):
    shown = demo.cli("dashboard")
    assert shown.returncode == 0 and shown.stderr == "", shown.stderr
    url = re.search(r"Dashboard: (http://\S+)", shown.stdout).group(1)
    token = re.search(r"Token:\s+([0-9a-f]{64})", shown.stdout).group(1)
    as_json = json.loads(demo.cli("dashboard", "--json").stdout)
    assert as_json == {"url": url, "token": token}
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def status(headers: dict) -> int:
        try:
            with opener.open(urllib.request.Request(f"{url}/api/version", headers=headers),
                             timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
    assert status({"Authorization": f"Bearer {token}"}) == 200
    assert status({}) == 401


def test_an_operator_command_piped_into_head_ends_quietly(demo):
    out = subprocess.run(f"{sys.executable} -m raymuc.cli rooms --config {demo.config} | head -1",
                         shell=True, capture_output=True, text=True, timeout=120)
    assert out.stdout.startswith("ROOM ") and out.stderr == "", out.stderr


def test_dashboard_command_without_a_running_service_says_so(tmp_path):
    config = tmp_path / "raymuc.toml"
    config.write_text(f'[general]\nhosts = ["localhost"]\n[storage]\nmongo_uri = "embedded"\n'
                      f'data_dir = "{tmp_path / "data"}"\n[component]\nport = 5347\npassword = "x"\n')
    out = subprocess.run([sys.executable, "-m", "raymuc.cli", "dashboard", "--config", str(config)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "no running service found" in out.stderr and "Traceback" not in out.stderr


def test_the_server_offers_what_todays_clients_ask_for_at_login(demo):
    """Prosody's full profile (raymuc/prosody_config.py): what Gajim, Dino and Conversations
    look for on the server and on the account, seen by a client over the demo's TLS."""
    import asyncio

    from raymuc.demo_lobby import connected_client

    async def features() -> tuple[set, set, set]:
        client = await connected_client("carol@localhost/check", "demo", demo.port,
                                        demo.certificate, "xep_0030")
        try:
            disco = client.plugin["xep_0030"]
            server = await disco.get_info(jid="localhost", timeout=10)
            account = await disco.get_info(jid="carol@localhost", timeout=10)
            stream = set(client.features)
            return (set(server["disco_info"]["features"]),
                    set(account["disco_info"]["features"]), stream)
        finally:
            client.disconnect()
    server, account, stream = asyncio.run(asyncio.wait_for(features(), 60))
    assert {"urn:xmpp:carbons:2", "urn:xmpp:blocking", "vcard-temp", "jabber:iq:version",
            "urn:xmpp:time", "urn:xmpp:ping"} <= server
    # PEP on the account, with XEP-0402 bookmarks and their compat node (Gajim, Conversations)
    assert {"urn:xmpp:mam:2", "http://jabber.org/protocol/pubsub#publish",
            "http://jabber.org/protocol/pubsub#publish-options",
            "urn:xmpp:bookmarks:1#compat"} <= account
    assert "starttls" in stream, stream     # the demo requires TLS
