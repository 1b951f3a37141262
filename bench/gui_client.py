"""A desktop client against the demo: Gajim (Debian's 1.7) under Xvfb joins the demo's
lobby through a XEP-0402 bookmark with autojoin, while bob (slixmpp, over the demo's TLS)
talks in it; a screenshot of Gajim's window goes to the results. Run by bench/gui_client.sh,
which installs what it needs; not part of CI.

Gajim refuses to run as root, so it runs as an unprivileged user (--user) with a profile
made here: the account alice@localhost on the demo's port, the password saved in the
profile, and the demo's certificate in Gajim's certificate store (what "trust this
certificate" in Gajim's dialog does)."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import pwd
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from raymuc.demo_process import DemoProcess  # noqa: E402

ROOM = "lobby@conference.localhost"
GAJIM_PYTHON = "/usr/bin/python3"     # Debian's gajim lives in the system interpreter

# Run by GAJIM_PYTHON as the unprivileged user, with Gajim's own settings code.
_SEED = r"""
import json, sys
from gajim.common import app, configpaths
configpaths.init()
configpaths.create_paths()
from gajim.common.settings import Settings
app.settings = Settings()
app.settings.init()
args = json.loads(sys.argv[1])
app.settings.set("use_keyring", False)
app.settings.set("show_help_start_chat", False)
account = "demo"
app.settings.add_account(account)
for key, value in {"name": "alice", "hostname": "localhost", "resource": "gajim.bench",
                   "account_label": "alice@localhost", "use_custom_host": True,
                   "custom_host": "127.0.0.1", "custom_port": args["port"],
                   "custom_type": "START TLS", "savepass": True, "password": "demo",
                   "active": True, "autoconnect": True}.items():
    app.settings.set_account_setting(account, key, value)
app.settings.save()
print(configpaths.get("CERT_STORE"))
"""


def sh(*cmd: str) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{cmd[0]} ... failed ({result.returncode}): {result.stderr[-2000:]}")
    return result


def free_display() -> int:
    for n in range(90, 200):
        if not Path(f"/tmp/.X{n}-lock").exists() and not Path(f"/tmp/.X11-unix/X{n}").exists():
            return n
    raise RuntimeError("no free X display number in :90-:199")


def as_user(user: str, home: Path, display: int) -> tuple[list[str], dict]:
    env = {"HOME": str(home), "DISPLAY": f":{display}", "PATH": "/usr/bin:/bin",
           "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share"),
           "XDG_CACHE_HOME": str(home / ".cache"), "LANG": "C.UTF-8", "NO_AT_BRIDGE": "1"}
    return ["runuser", "-u", user, "--"], env


def tls_context(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))     # trusts the demo's certificate


async def publish_bookmark_and_open_room(port: int, cert: Path, timeline: dict,
                                         gajim_started: asyncio.Event,
                                         done: asyncio.Event) -> None:
    """alice's XEP-0402 bookmark of the lobby (autojoin), published as alice; bob opens
    the lobby (instant room), waits for alice's Gajim to join, and greets her."""
    from slixmpp import ClientXMPP

    async def connected(jid: str) -> ClientXMPP:
        client = ClientXMPP(jid, "demo")
        client.ssl_context = tls_context(cert)
        client.enable_direct_tls = False          # the demo offers STARTTLS only
        client.register_plugin("xep_0030")
        client.register_plugin("xep_0045")
        client.register_plugin("xep_0060")
        client.register_plugin("xep_0163")
        online = asyncio.Event()
        client.add_event_handler("session_start", lambda _e: online.set())
        client.connect("127.0.0.1", port)
        await asyncio.wait_for(online.wait(), 30)
        client.send_presence()
        return client

    alice = await connected("alice@localhost/seed")
    from slixmpp.xmlstream import ET
    conference = ET.fromstring(
        "<conference xmlns='urn:xmpp:bookmarks:1' autojoin='true' name='Lobby'>"
        "<nick>alice</nick></conference>")
    options = alice.plugin["xep_0004"].make_form("submit")
    options.add_field("FORM_TYPE", ftype="hidden",
                      value="http://jabber.org/protocol/pubsub#publish-options")
    options.add_field("pubsub#persist_items", value="true")
    options.add_field("pubsub#access_model", value="whitelist")
    options.add_field("pubsub#max_items", value="max")
    await alice.plugin["xep_0060"].publish("alice@localhost", "urn:xmpp:bookmarks:1", id=ROOM,
                                    payload=conference, options=options, timeout=20)
    timeline["bookmark_published"] = time.time()
    alice.disconnect()

    bob = await connected("bob@localhost/bench")
    presences: asyncio.Queue = asyncio.Queue()
    bob.add_event_handler(f"muc::{ROOM}::presence", presences.put_nowait)
    bob.plugin["xep_0045"].join_muc(ROOM, "bob")
    first = await asyncio.wait_for(presences.get(), 30)
    if "201" in str(first):                  # a new room: take the default configuration
        form = await bob.plugin["xep_0045"].get_room_config(ROOM)
        form["type"] = "submit"
        await bob.plugin["xep_0045"].set_room_config(ROOM, form)
    bob.send_message(mto=ROOM, mbody="Hello from bob: the room was opened before Gajim came",
                     mtype="groupchat")
    gajim_started.set()
    while True:
        presence = await asyncio.wait_for(presences.get(), 120)
        if presence["muc"]["nick"] == "alice" and presence["type"] != "unavailable":
            break
    timeline["gajim_joined"] = time.time()
    bob.send_message(mto=ROOM, mbody="Welcome, alice! This is RayMUC.", mtype="groupchat")
    await done.wait()
    bob.disconnect()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bench/results/gui", help="results folder")
    parser.add_argument("--user", default="raymuc-gui", help="unprivileged user for Gajim")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    try:
        account = pwd.getpwnam(args.user)
    except KeyError:
        print(f"gui_client: no user {args.user!r} (bench/gui_client.sh creates it)", file=sys.stderr)
        return 2
    base = Path(tempfile.mkdtemp(prefix="rmgui-"))
    base.chmod(0o755)           # mkdtemp's 0700 would keep the user out of its home
    home = base / "home"
    home.mkdir()
    os.chown(home, account.pw_uid, account.pw_gid)
    timeline: dict = {"start": time.time()}
    demo = DemoProcess(base)
    display = free_display()
    xvfb = gajim = None
    try:
        demo.start()
        timeline["demo_ready"] = time.time()
        xvfb = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", "1280x800x24", "-ac",
                                 "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        prefix, env = as_user(args.user, home, display)
        store = Path(sh(*prefix, "env", *(f"{k}={v}" for k, v in env.items()), GAJIM_PYTHON,
                        "-c", _SEED, json.dumps({"port": demo.port})).stdout.splitlines()[-1])
        shutil.copy(demo.certificate, store / "raymuc-demo.crt")
        os.chown(store / "raymuc-demo.crt", account.pw_uid, account.pw_gid)

        async def drive() -> None:
            nonlocal gajim
            started, done = asyncio.Event(), asyncio.Event()
            task = asyncio.create_task(publish_bookmark_and_open_room(
                demo.port, demo.certificate, timeline, started, done))
            await asyncio.wait_for(started.wait(), 90)
            gajim = subprocess.Popen([*prefix, "env", *(f"{k}={v}" for k, v in env.items()),
                                      "dbus-run-session", "--", "gajim"],
                                     stdout=open(out / "gajim.log", "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
            timeline["gajim_started"] = time.time()
            while "gajim_joined" not in timeline:
                if task.done():
                    task.result()
                await asyncio.sleep(0.5)
            await asyncio.sleep(5)           # Gajim lists the room with bob's greeting
            shots = [out / "gajim-chat-list.png", out / "gajim-lobby.png"]
            sh("import", "-display", f":{display}", "-window", "root", str(shots[0]))
            # open the room as a user would: click its row in the chat list
            sh(*prefix, "env", f"DISPLAY=:{display}", "xdotool", "mousemove", "240", "166",
               "click", "1")
            await asyncio.sleep(4)
            sh("import", "-display", f":{display}", "-window", "root", str(shots[1]))
            timeline["screenshots"] = [str(s) for s in shots]
            rooms = demo.cli("rooms")
            (out / "raymuc-rooms.txt").write_text(rooms.stdout + rooms.stderr)
            done.set()
            await task
        asyncio.run(asyncio.wait_for(drive(), 300))
    finally:
        for proc in (gajim, xvfb):
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except (ProcessLookupError, PermissionError):
                    proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        code = demo.stop()
        (out / "demo.out").write_text(demo.output())
    t0 = timeline["start"]
    summary = {k: (round(v - t0, 2) if isinstance(v, float) else v) for k, v in timeline.items()}
    summary["demo_exit"] = code
    (out / "gui_client.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
