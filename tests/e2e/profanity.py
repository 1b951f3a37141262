"""profanity (Debian's terminal XMPP client) driven through tmux: each instance runs in a
private tmux server (-L) with its own HOME, so nothing of the user's profanity or tmux is
used; the test reads what a user would see on the screen."""
from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import time
from pathlib import Path

TMUX = "tmux"
PROFANITY = "profanity"


class ScreenTimeout(AssertionError):
    pass


class Profanity:
    def __init__(self, home: Path, name: str):
        missing = [b for b in (TMUX, PROFANITY) if shutil.which(b) is None]
        if missing:
            raise AssertionError(f"{' and '.join(missing)} not installed: scripts/setup.sh installs them")
        self.home = home
        # unique per instance: two test runs on one machine must not share a tmux server
        self.socket = f"rmprof-{name}-{os.getpid()}-{secrets.token_hex(3)}"
        home.mkdir(parents=True, exist_ok=True)

    def start(self) -> Profanity:
        self._tmux("new-session", "-d", "-s", "p", "-x", "220", "-y", "60",
                   f"HOME={self.home} XDG_CONFIG_HOME={self.home}/config "
                   f"XDG_DATA_HOME={self.home}/data exec {PROFANITY}")
        self.wait_for(r"Type '/help'")
        return self

    def stop(self) -> None:
        subprocess.run([TMUX, "-L", self.socket, "kill-server"], capture_output=True, check=False)

    def send(self, line: str) -> None:
        # -l: literal text (a leading '/' or a key name is not interpreted by tmux)
        self._tmux("send-keys", "-t", "p", "-l", line)
        self._tmux("send-keys", "-t", "p", "Enter")

    def screen(self) -> str:
        """The visible window, wrapped lines joined; trailing blanks stripped."""
        out = self._tmux("capture-pane", "-p", "-J", "-t", "p")
        return "\n".join(line.rstrip() for line in out.splitlines())

    def wait_for(self, pattern: str, timeout: float = 30.0) -> re.Match:
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.screen())
            if match:
                return match
            if time.monotonic() > deadline:
                raise ScreenTimeout(f"profanity ({self.socket}) never showed /{pattern}/; "
                                    f"screen:\n{self.screen()}")
            time.sleep(0.2)

    def login(self, jid: str, password: str, port: int) -> None:
        """Connect, accept the demo's self-signed certificate as a newcomer would
        ('/tls always', as the demo's banner says), wait until online."""
        self.send(f"/connect {jid} server 127.0.0.1 port {port}")
        self.wait_for(r"Enter password:")
        self.send(password)
        self.wait_for(r"Use '/tls always'")
        self.send("/tls always")
        self.wait_for(re.escape(jid) + r"/\S+ logged in successfully")

    def _tmux(self, *args: str) -> str:
        result = subprocess.run([TMUX, "-L", self.socket, *args], capture_output=True,
                                text=True, timeout=30, check=False)
        if result.returncode != 0:
            raise AssertionError(f"tmux {args[0]} failed: {result.stderr.strip()}")
        return result.stdout
