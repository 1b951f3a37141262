"""A private, throwaway Prosody 0.12 for the demo command, end-to-end tests and the benchmark.

It runs Debian's /usr/bin/prosody in the foreground as a child process, with its own config,
data, pidfile and log under `work_dir`, listening on free loopback ports only. Nothing of the
system Prosody (/etc/prosody, /var/lib/prosody, the service) is used or touched.

Security is deliberately relaxed for loopback use: no rate limits, no server-to-server, and
in the bare profile (tests, benchmark) plaintext SASL PLAIN without TLS; the demo's full
profile requires TLS with a self-signed certificate (raymuc/prosody_config.py). Never expose
this on a real network.
"""
from __future__ import annotations

import atexit
import logging
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

from raymuc.netutil import LOOPBACK, free_port, port_accepts
from raymuc.prosody_config import render_config

log = logging.getLogger(__name__)

PROSODY_BIN = "/usr/bin/prosody"
PROSODYCTL_BIN = "/usr/bin/prosodyctl"
LOG_LEVELS = ("debug", "info", "warn", "error")

# Prosody keeps running when a listener cannot bind; it only logs this line.
_BIND_FAILURE = "Failed to open server port"
_START_ATTEMPTS = 3
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


class ProsodyError(RuntimeError):
    """Prosody could not be configured, started, stopped or asked to create an account."""


def check_domain(domain: str, what: str = "domain") -> str:
    """Return `domain` if it is a plain lowercase DNS name, else raise ValueError saying why."""
    if not isinstance(domain, str) or not _DOMAIN_RE.match(domain):
        raise ValueError(
            f"invalid {what} {domain!r}: expected a lowercase DNS name such as 'localhost' "
            "or 'conference.localhost' (letters, digits, '-', dot-separated labels)"
        )
    return domain


class ProsodyServer:
    """A private Prosody child process; see the module docstring.

    Usage:
        server = ProsodyServer(tmp, components={"conference.localhost": "secret"})
        server.start()
        server.register("alice", "pw")   # alice@localhost
        ... connect clients to (127.0.0.1, server.c2s_port), components to server.component_port
        server.stop()
    """

    def __init__(
        self,
        work_dir: str | os.PathLike[str],
        domain: str = "localhost",
        components: Mapping[str, str] | None = None,
        builtin_muc: str | None = None,
        log_level: str = "warn",
        *,
        c2s_port: int | None = None,
        component_port: int | None = None,
        stanza_size_limits: Mapping[str, int] | None = None,
        prosody_bin: str = PROSODY_BIN,
        prosodyctl_bin: str = PROSODYCTL_BIN,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.domain = check_domain(domain, "VirtualHost domain")
        self.components = dict(components or {})
        for component, secret in self.components.items():
            check_domain(component, "component domain")
            if not isinstance(secret, str) or not secret:
                raise ValueError(f"component {component!r} needs a non-empty secret string")
        self.builtin_muc = None if builtin_muc is None else check_domain(builtin_muc, "builtin MUC domain")
        taken = [self.domain, *self.components, *([self.builtin_muc] if self.builtin_muc else [])]
        if len(set(taken)) != len(taken):
            raise ValueError(f"VirtualHost, components and builtin MUC must be distinct domains, got {taken}")
        if log_level not in LOG_LEVELS:
            raise ValueError(f"invalid Prosody log level {log_level!r}: expected one of {', '.join(LOG_LEVELS)}")
        self.log_level = log_level
        self.stanza_size_limits = dict(stanza_size_limits or {})
        for name, size in self.stanza_size_limits.items():
            if not name.endswith("_stanza_size_limit") or not re.fullmatch(r"[a-z0-9_]+", name) \
                    or not isinstance(size, int) or isinstance(size, bool) or size <= 0:
                raise ValueError(f"invalid stanza size limit {name} = {size!r}: expected e.g. "
                                 "component_stanza_size_limit = 65536")
        self.tls = tls   # (certificate, key): the full profile of raymuc/prosody_config.py
        self.work_dir = Path(work_dir).resolve()
        self.prosody_bin = prosody_bin
        self.prosodyctl_bin = prosodyctl_bin
        for name, port in (("c2s_port", c2s_port), ("component_port", component_port)):
            if port is not None and (not isinstance(port, int) or not 0 < port < 65536):
                raise ValueError(f"invalid {name} {port!r}: expected an integer 1-65535, or None to pick one")
        # Fixed ports are kept across restarts; automatic ones are re-picked if a bind fails.
        self._fixed_c2s_port = c2s_port
        self._fixed_component_port = component_port
        self.c2s_port: int | None = c2s_port
        self.component_port: int | None = component_port
        self._process: subprocess.Popen[bytes] | None = None
        self._atexit_registered = False

    # -- paths -------------------------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        return self.work_dir / "prosody.cfg.lua"

    @property
    def log_path(self) -> Path:
        return self.work_dir / "prosody.log"

    @property
    def console_path(self) -> Path:
        """Prosody's stdout/stderr: config parse errors land here, before logging is set up."""
        return self.work_dir / "prosody.console"

    @property
    def data_path(self) -> Path:
        return self.work_dir / "data"

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 20.0) -> None:
        """Write the config, start Prosody, and return once it answers c2s streams (and the
        component port accepts, if components are configured). Retries with fresh ports if an
        automatically picked port was taken meanwhile.

        Raises ProsodyError with the log tail if it exits or is not ready within `timeout`.
        """
        if self.running:
            return
        if not Path(self.prosody_bin).exists():
            raise ProsodyError(f"{self.prosody_bin} not found: install Prosody 0.12 (scripts/setup.sh does)")
        for attempt in range(1, _START_ATTEMPTS + 1):
            self._pick_ports()
            self._write_config()
            began = time.monotonic()
            self._spawn()
            outcome = self._wait_ready(timeout)
            if outcome == "ready":
                log.info(
                    "prosody.started pid=%s c2s_port=%s component_port=%s seconds=%.2f work_dir=%s",
                    self.pid, self.c2s_port, self.component_port, time.monotonic() - began, self.work_dir,
                )
                return
            tail = self.log_tail()
            self.stop()
            if outcome == "port_taken" and attempt < _START_ATTEMPTS and self._ports_are_automatic():
                log.warning("prosody.port_taken attempt=%d c2s_port=%s component_port=%s",
                            attempt, self.c2s_port, self.component_port)
                self.c2s_port, self.component_port = self._fixed_c2s_port, self._fixed_component_port
                continue
            raise ProsodyError(f"Prosody did not start ({outcome}); work_dir={self.work_dir}\n{tail}")
        raise AssertionError("unreachable")  # the loop always returns or raises

    def stop(self, timeout: float = 5.0) -> None:
        """Stop Prosody (SIGTERM, then SIGKILL after `timeout`). Safe to call repeatedly."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("prosody.kill pid=%s reason=no_exit_after_sigterm", process.pid)
            process.kill()
            process.wait(timeout=timeout)
        log.info("prosody.stopped pid=%s returncode=%s", process.pid, process.returncode)

    def __enter__(self) -> ProsodyServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- accounts ----------------------------------------------------------------------------

    def register(self, user: str, password: str, timeout: float = 30.0) -> str:
        """Create (or re-password) account user@domain; works while the server runs.

        Uses prosodyctl with this server's config (about 60 ms per call); the running server
        reads accounts from disk on each login, so no reload is needed. Prosody stores the
        nodeprep'd (e.g. lowercased) username. Returns the bare JID as given.
        """
        if not isinstance(user, str) or not user or any(c in user for c in "@/ \t\r\n\0"):
            raise ValueError(f"invalid XMPP username {user!r}: non-empty, without '@', '/', whitespace or NUL")
        if not isinstance(password, str) or not password or "\0" in password:
            raise ValueError("password must be a non-empty string without NUL characters")
        if not self.config_path.exists():
            self._write_config()
        result = subprocess.run(
            [self.prosodyctl_bin, "--config", str(self.config_path), "register", user, self.domain, password],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False,
        )
        if result.returncode != 0:
            detail = (result.stdout + result.stderr).strip() or f"exit code {result.returncode}"
            raise ProsodyError(f"prosodyctl register {user}@{self.domain} failed: {detail}")
        return f"{user}@{self.domain}"

    # -- diagnostics -------------------------------------------------------------------------

    def log_tail(self, lines: int = 40) -> str:
        """Last lines of Prosody's console output and log file, for error messages."""
        parts = []
        for path in (self.console_path, self.log_path):
            try:
                text = path.read_text(errors="replace")
            except FileNotFoundError:
                continue
            if text.strip():
                parts.append(f"--- {path.name} ---\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(parts) or "(Prosody wrote no output)"

    # -- internals ---------------------------------------------------------------------------

    def _ports_are_automatic(self) -> bool:
        return self._fixed_c2s_port is None or self._fixed_component_port is None

    def _pick_ports(self) -> None:
        if self.c2s_port is None:
            self.c2s_port = free_port()
        while self.component_port is None or self.component_port == self.c2s_port:
            self.component_port = free_port()

    def _write_config(self) -> None:
        self._pick_ports()
        for directory in (self.work_dir, self.data_path, self.work_dir / "certs"):
            directory.mkdir(parents=True, exist_ok=True)
        assert self.c2s_port is not None and self.component_port is not None
        self.config_path.write_text(render_config(
            work_dir=self.work_dir, domain=self.domain, c2s_port=self.c2s_port,
            component_port=self.component_port, components=self.components,
            builtin_muc=self.builtin_muc, log_level=self.log_level, tls=self.tls,
            stanza_size_limits=self.stanza_size_limits,
        ))

    def _spawn(self) -> None:
        # Truncate old output so readiness checks and error tails only see this run.
        self.log_path.write_text("")
        with self.console_path.open("wb") as console:
            self._process = subprocess.Popen(
                [self.prosody_bin, "--config", str(self.config_path), "-F"],
                stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                cwd=self.work_dir,
                # Own session: a Ctrl-C meant for the parent must not kill Prosody mid-teardown.
                start_new_session=True,
            )
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True

    def _wait_ready(self, timeout: float) -> str:
        """Return 'ready', 'port_taken', 'exited' or 'timeout'."""
        assert self._process is not None and self.c2s_port and self.component_port
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return "exited"
            if _BIND_FAILURE in self._read_log():
                return "port_taken"
            # A bare TCP accept could come from whoever squats the port. Stream features prove
            # Prosody serves c2s, and that its single startup pass (every listener, every host)
            # has finished, so a bind failure would already be in the log by now.
            if self._c2s_speaks_xmpp():
                if _BIND_FAILURE in self._read_log():
                    return "port_taken"
                # The component listener only opens when an external Component is configured.
                if not self.components or port_accepts(self.component_port):
                    return "ready"
            time.sleep(0.05)
        return "timeout"

    def _c2s_speaks_xmpp(self) -> bool:
        assert self.c2s_port is not None
        header = (
            f"<?xml version='1.0'?><stream:stream to='{self.domain}' xmlns='jabber:client' "
            "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
        )
        try:
            with socket.create_connection((LOOPBACK, self.c2s_port), timeout=1.0) as sock:
                sock.sendall(header.encode())
                received = b""
                while b"</stream:features>" not in received and len(received) < 65536:
                    chunk = sock.recv(4096)
                    if not chunk:
                        return False
                    received += chunk
                sock.sendall(b"</stream:stream>")
                return True
        except OSError:
            return False

    def _read_log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
