"""A desktop client against the demo: Gajim (Debian's 1.7) under Xvfb, as a newcomer meets
it. Run by bench/gui_client.sh, which installs what it needs; not part of CI.

With the demo on port 5222 (the default when free) Gajim starts with no account and its
wizard is clicked through as README says: address alice@localhost and password only, the
certificate page ("Add to Trusted Certificates", then Log In), Connect, the password again
(no keyring under Xvfb). Otherwise (--port, or 5222 taken) Gajim gets a profile made here
with the account on the demo's port and the demo's certificate in its store. Either way
alice's XEP-0402 bookmark of the lobby (autojoin, published through the demo's PEP) makes
Gajim join it; bob (slixmpp, over the demo's TLS) greets her; screenshots of each step go
to the results. Clicks are at positions measured on Gajim 1.7.3 in a 1280x800 screen.
Gajim refuses to run as root, so it runs as an unprivileged user (--user)."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from raymuc.demo import port_free  # noqa: E402
from raymuc.demo_lobby import connected_client  # noqa: E402
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


async def publish_bookmark_then_greet(port: int, cert: Path, timeline: dict,
                                     bookmarked: asyncio.Event, done: asyncio.Event) -> None:
    """alice's XEP-0402 bookmark of the lobby (autojoin), published as alice; bob then
    waits in the lobby for alice's Gajim and greets her."""
    from slixmpp.xmlstream import ET
    alice = await connected_client("alice@localhost/seed", "demo", port, cert,
                                   "xep_0004", "xep_0060")
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
    bob = await connected_client("bob@localhost/bench", "demo", port, cert, "xep_0045")
    presences: asyncio.Queue = asyncio.Queue()
    bob.add_event_handler(f"muc::{ROOM}::presence", presences.put_nowait)
    bob.plugin["xep_0045"].join_muc(ROOM, "bob")
    bookmarked.set()
    while True:
        presence = await asyncio.wait_for(presences.get(), 180)
        if presence["muc"]["nick"] == "alice" and presence["type"] != "unavailable":
            break
    timeline["gajim_joined"] = time.time()
    bob.send_message(mto=ROOM, mbody="Welcome, alice! This is RayMUC.", mtype="groupchat")
    await done.wait()
    bob.disconnect()


class Screen:
    """The Xvfb display: clicks and typing as the Gajim user, screenshots to the results."""

    def __init__(self, display: int, prefix: list[str], out: Path, timeline: dict):
        self.display, self.prefix, self.out, self.timeline = display, prefix, out, timeline

    def click(self, x: int, y: int) -> None:
        sh(*self.prefix, "env", f"DISPLAY=:{self.display}", "xdotool", "mousemove", str(x),
           str(y), "click", "1")

    def type(self, text: str) -> None:
        sh(*self.prefix, "env", f"DISPLAY=:{self.display}", "xdotool", "type", "--delay", "40",
           text)

    def shot(self, name: str) -> None:
        path = self.out / name
        sh("import", "-display", f":{self.display}", "-window", "root", str(path))
        self.timeline.setdefault("screenshots", []).append(str(path))


async def wizard(screen: Screen) -> None:
    """Gajim's account wizard as README's step 2: address and password, trust, connect."""
    await asyncio.sleep(8)                       # Gajim up, wizard shown
    screen.click(640, 345)                       # address
    screen.type("alice@localhost")
    screen.click(640, 385)                       # password
    screen.type("demo")
    screen.click(640, 454)                       # Log In
    await asyncio.sleep(6)
    screen.shot("gajim-1-certificate.png")       # "Certificate Verification Failed" page
    screen.click(552, 515)                       # Add to Trusted Certificates
    screen.click(853, 608)                       # Log In
    await asyncio.sleep(6)
    screen.shot("gajim-2-account-added.png")
    screen.click(846, 608)                       # Connect
    await asyncio.sleep(5)
    screen.click(640, 466)                       # Password Required (no keyring): password
    screen.type("demo")
    screen.click(733, 630)                       # Login


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bench/results/gui", help="results folder")
    parser.add_argument("--user", default="raymuc-gui", help="unprivileged user for Gajim")
    parser.add_argument("--port", type=int, help="demo client port (default 5222 when free: "
                                                 "the wizard path; else a made profile)")
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
    port = args.port or (5222 if port_free(5222) else None)
    timeline: dict = {"start": time.time(), "path": "wizard" if port == 5222 else "profile"}
    demo = DemoProcess(base, port)
    display = free_display()
    xvfb = gajim = None
    try:
        demo.start()
        timeline["demo_ready"] = time.time()
        xvfb = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", "1280x800x24", "-ac",
                                 "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        prefix, env = as_user(args.user, home, display)
        screen = Screen(display, prefix, out, timeline)
        if timeline["path"] == "profile":
            store = Path(sh(*prefix, "env", *(f"{k}={v}" for k, v in env.items()), GAJIM_PYTHON,
                            "-c", _SEED, json.dumps({"port": demo.port})).stdout.splitlines()[-1])
            shutil.copy(demo.certificate, store / "raymuc-demo.crt")
            os.chown(store / "raymuc-demo.crt", account.pw_uid, account.pw_gid)

        async def drive() -> None:
            nonlocal gajim
            bookmarked, done = asyncio.Event(), asyncio.Event()
            task = asyncio.create_task(publish_bookmark_then_greet(
                demo.port, demo.certificate, timeline, bookmarked, done))
            await asyncio.wait_for(bookmarked.wait(), 90)
            gajim = subprocess.Popen([*prefix, "env", *(f"{k}={v}" for k, v in env.items()),
                                      "dbus-run-session", "--", "gajim"],
                                     stdout=open(out / "gajim.log", "wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)
            timeline["gajim_started"] = time.time()
            if timeline["path"] == "wizard":
                await wizard(screen)
            while "gajim_joined" not in timeline:
                if task.done():
                    task.result()
                await asyncio.sleep(0.5)
            await asyncio.sleep(5)           # Gajim lists the room with bob's greeting
            screen.shot("gajim-3-chat-list.png")
            screen.click(240, 166)           # open the room: its row in the chat list
            await asyncio.sleep(4)
            screen.shot("gajim-4-lobby.png")
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
