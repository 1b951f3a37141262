"""Run SecantusDB as a child process for development, tests and single-box deployments.

SecantusDB is GPL-2.0-only, so it is only ever executed (`secantusd-py`), never imported.
The child listens on 127.0.0.1 and a free port; its PID and port go to
data_dir/secantus.json so another process (e.g. a later CLI call) can find it.
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

EXECUTABLE = "secantusd-py"
STATE_FILE = "secantus.json"
_HOST = "127.0.0.1"
_PORT_ATTEMPTS = 3  # a free port picked here can be taken by someone else before the child binds it

# Run by the child's own interpreter just before it becomes secantusd: ask the kernel to
# SIGTERM it when the starting thread's process dies, so a killed test run or CLI leaves no
# orphan holding the data directory. PR_SET_PDEATHSIG survives execv.
_PDEATHSIG_EXEC = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit('secantusd launcher: parent exited before start')\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


class EmbeddedMongoError(RuntimeError):
    """SecantusDB could not be started (missing, crashed, or not answering in time)."""


def find_executable() -> str:
    """The secantusd-py next to this interpreter (same venv), else the one on PATH."""
    beside = Path(sys.executable).parent / EXECUTABLE
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(EXECUTABLE)
    if found is None:
        raise EmbeddedMongoError(
            f"{EXECUTABLE} not found next to {sys.executable} or on PATH; "
            "install it with: pip install 'raymuc[embedded]'"
        )
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_HOST, 0))
        return sock.getsockname()[1]


def _uri(port: int) -> str:
    # directConnection: talk to this one server and skip replica-set discovery, so the
    # client never chases the "secantus" set's advertised member list.
    return f"mongodb://{_HOST}:{port}/?retryWrites=false&directConnection=true"


def _pid_runs_secantus(pid: int, storage_path: Path) -> bool:
    """True if `pid` is alive and is the secantusd serving `storage_path` (guards PID reuse)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return any(EXECUTABLE.encode() in arg for arg in cmdline) and str(storage_path).encode() in cmdline


class EmbeddedMongo:
    """A SecantusDB child process bound to one data directory.

    Call start() from a long-lived thread (normally the main thread): if started from the
    main thread, the child is also tied to this process's life via PR_SET_PDEATHSIG.
    """

    def __init__(
        self,
        data_dir: Path,
        cache_size: str = "256M",
        oplog_max_entries: int = 10000,
        log_file: Path | None = None,
        start_timeout: float = 30.0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.cache_size = cache_size
        self.oplog_max_entries = oplog_max_entries
        self.log_file = Path(log_file) if log_file else self.data_dir / "secantusd.log"
        self.start_timeout = start_timeout
        self.extra_args = tuple(extra_args)   # e.g. tests' --enable-test-commands (fail points)
        self._proc: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._lock = threading.Lock()

    @property
    def storage_path(self) -> Path:
        return self.data_dir / "secantus"

    @property
    def uri(self) -> str:
        if self._port is None or not self.running:
            raise EmbeddedMongoError("SecantusDB is not running; call start() first")
        return _uri(self._port)

    @property
    def port(self) -> int | None:
        return self._port if self.running else None

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> EmbeddedMongo:
        """Start the child and wait until it answers ping; a no-op if already running."""
        with self._lock:
            if self.running:
                return self
            existing = self.read_running(self.data_dir)
            if existing is not None:
                raise EmbeddedMongoError(
                    f"another SecantusDB already serves {self.data_dir} at {existing}"
                )
            self.data_dir.mkdir(parents=True, exist_ok=True)
            # An explicit empty config stops secantusd from picking up a stray
            # ./secantusd.toml or ~/.secantus/secantusd.toml (which could e.g. turn on auth).
            config = self.data_dir / "secantusd.toml"
            if not config.exists():
                config.write_text("# RayMUC embedded SecantusDB: all settings are passed as flags\n")
            executable = find_executable()
            began = time.monotonic()
            for attempt in range(1, _PORT_ATTEMPTS + 1):
                port = _free_port()
                log_offset = self.log_file.stat().st_size if self.log_file.exists() else 0
                self._spawn(executable, config, port)
                atexit.register(self.stop)
                try:
                    self._wait_ready(port, log_offset)
                    break
                except BaseException as exc:  # incl. KeyboardInterrupt: never leave a child behind
                    self._reap(timeout=10.0)
                    port_taken = "Address already in use" in self._log_tail(log_offset)
                    if isinstance(exc, EmbeddedMongoError) and port_taken and attempt < _PORT_ATTEMPTS:
                        log.warning("secantus.port_taken port=%d attempt=%d", port, attempt)
                        continue
                    raise
            self._port = port
            self._write_state()
            log.info(
                "secantus.started pid=%d port=%d data_dir=%s startup_s=%.2f",
                self.pid, port, self.data_dir, time.monotonic() - began,
            )
            return self

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the child, SIGKILL it after `timeout` s, and reap it. Idempotent."""
        with self._lock:
            if self._proc is None:
                return
            pid = self._proc.pid
            code = self._reap(timeout)
            self._remove_state(pid)
            self._port = None
            log.info("secantus.stopped pid=%d returncode=%s", pid, code)

    def __enter__(self) -> EmbeddedMongo:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @staticmethod
    def read_running(data_dir: Path) -> str | None:
        """URI of a live SecantusDB started by EmbeddedMongo for `data_dir`, else None."""
        data_dir = Path(data_dir).absolute()
        try:
            state = json.loads((data_dir / STATE_FILE).read_text())
            pid, port = int(state["pid"]), int(state["port"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not _pid_runs_secantus(pid, data_dir / "secantus"):
            return None
        return _uri(port)

    def _spawn(self, executable: str, config: Path, port: int) -> None:
        args = [
            executable,
            "--config", str(config),
            "--host", _HOST,
            "--port", str(port),
            "--storage-path", str(self.storage_path),
            "--cache-size", self.cache_size,
            "--oplog-max-entries", str(self.oplog_max_entries),
            "--log-level", "WARNING",
            *self.extra_args,
        ]
        if threading.current_thread() is threading.main_thread() and sys.platform == "linux":
            # Only the main thread: PDEATHSIG fires when the *thread* that forked exits.
            args = [sys.executable, "-c", _PDEATHSIG_EXEC, str(os.getpid()), *args]
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log_stream:
            self._proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=log_stream,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    def _wait_ready(self, port: int, log_offset: int) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.start_timeout
        client: MongoClient = MongoClient(
            _uri(port), serverSelectionTimeoutMS=250, connectTimeoutMS=250
        )
        try:
            while True:
                if self._proc.poll() is not None:
                    raise EmbeddedMongoError(
                        f"SecantusDB exited with code {self._proc.returncode} during startup; "
                        f"log {self.log_file}:\n{self._log_tail(log_offset)}"
                    )
                try:
                    client.admin.command("ping")
                    return
                except PyMongoError:
                    pass
                if time.monotonic() > deadline:
                    raise EmbeddedMongoError(
                        f"SecantusDB did not answer ping within {self.start_timeout:.0f} s; "
                        f"log {self.log_file}:\n{self._log_tail(log_offset)}"
                    )
                time.sleep(0.05)
        finally:
            client.close()

    def _reap(self, timeout: float) -> int | None:
        """Terminate and wait for the child; returns its exit code."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("secantus.kill pid=%d reason=sigterm_timeout", proc.pid)
                proc.kill()
                proc.wait()
        self._proc = None
        atexit.unregister(self.stop)
        return proc.returncode

    def _log_tail(self, offset: int, lines: int = 40) -> str:
        try:
            with open(self.log_file, "rb") as stream:
                stream.seek(offset)
                text = stream.read().decode("utf-8", "replace")
        except OSError as exc:
            return f"(log unreadable: {exc})"
        return "\n".join(text.splitlines()[-lines:]) or "(log empty)"

    def _write_state(self) -> None:
        state = self.data_dir / STATE_FILE
        tmp = state.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pid": self.pid, "port": self._port, "uri": self.uri}))
        tmp.replace(state)

    def _remove_state(self, pid: int) -> None:
        state = self.data_dir / STATE_FILE
        try:
            if json.loads(state.read_text()).get("pid") == pid:
                state.unlink()
        except (OSError, ValueError):
            pass
