"""`raymuc demo` as a child process, up once its banner is printed: what the real-client
test (tests/e2e/test_demo_clients.py) and the GUI client run (bench/gui_client.py) start."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from raymuc.netutil import free_port

BANNER_END = "Stop with Ctrl-C."


class DemoProcess:
    def __init__(self, base: Path, c2s_port: int | None = None):
        self.base = base
        self.port = c2s_port or free_port()
        self.data_dir = base / "demo"
        self.config = self.data_dir / "raymuc.toml"
        self.out = base / "demo.out"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 150.0) -> DemoProcess:
        self.base.mkdir(parents=True, exist_ok=True)
        with open(self.out, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "raymuc.cli", "demo", "--data-dir", str(self.data_dir),
                 "--c2s-port", str(self.port)], stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=dict(os.environ, PYTHONUNBUFFERED="1"),
                start_new_session=True)
        deadline = time.monotonic() + timeout
        while BANNER_END not in self.output():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"raymuc demo did not come up:\n{self.output()}")
            time.sleep(0.3)
        return self

    def output(self) -> str:
        try:
            return self.out.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    @property
    def certificate(self) -> Path:
        return Path(re.search(r"Certificate : (\S+)", self.output()).group(1))

    def stop(self) -> int | None:
        """Ctrl-C, as the banner says; the exit code (None if it was never started)."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(10)

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """An operator command against this demo (`raymuc rooms`, `raymuc dashboard`...)."""
        return subprocess.run([sys.executable, "-m", "raymuc.cli", *args, "--config", str(self.config)],
                              capture_output=True, text=True, timeout=120)
