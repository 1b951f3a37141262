"""Ray session layer: a private Ray head on 127.0.0.1, and attaching more drivers to it.

Ray 2.60 facts this module is built on (checked against the installed source):
- Token auth. A process uses a token only when RAY_AUTH_MODE=token is in its environment;
  it then reads the token from RAY_AUTH_TOKEN (the raw value), else the file named by
  RAY_AUTH_TOKEN_PATH, else ~/.ray/auth_token. `ray start --head` enables auth only if a
  token already exists somewhere; `ray.init()` of a new local cluster writes one to the
  machine-wide ~/.ray/auth_token. We do neither: each private head gets its own random
  token in <temp_dir>/auth_token (0600) and RAY_AUTH_MODE=token + RAY_AUTH_TOKEN_PATH.
  A driver joining by explicit address without RAY_AUTH_MODE=token sends no token: its
  ray.init hangs ~20 s, then raises ConnectionError. The dashboard HTTP API wants
  "Authorization: Bearer <token>" (401 without it, 403 with a wrong one).
- Loopback. With RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 Ray resolves its node IP to 127.0.0.1
  instead of the machine address; we also pass --node-ip-address/--dashboard-host.
- Fixed default ports that collide between two Rays on one machine: GCS 6379, dashboard
  8265, ray client 10001, worker ports 10002-19999, and two ports only settable by env:
  DASHBOARD_METRIC_PORT (44227) and AUTOSCALER_METRIC_PORT (44217). We set all of them.
- SIGTERM to `ray start --block` first drains the node for up to 30 s
  (RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S); a head holding a detached actor never finishes
  draining, so we set it to 0.
- Children of `ray start --block` die with it (Ray sets PR_SET_PDEATHSIG on them); workers
  get their own process group but stay in the session we create, so the session id finds
  every process of one head. `ray stop` would kill every Ray on the machine: never used.
"""
from __future__ import annotations

import ctypes
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from raymuc.rayhealth import NODE_LOSS_ENV
from raymuc.rayports import PortPlan, reserve_ports, split_address  # noqa: F401
from raymuc.rayprocs import RAY_SUBDIR, instance_processes, pid_alive, signal_all, wait_gone  # noqa: F401

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
DEFAULT_NAMESPACE = "raymuc"
SESSION_FILE_NAME = "session.json"
TOKEN_FILE_NAME = "auth_token"
HEAD_LOG_NAME = "head.log"

# Ray gets <temp_dir>/ray as its temp dir. Ray chmods its temp dir to 0777 (again each time
# a driver connects) so users can share /tmp/ray; our temp_dir stays 0700 around it, which
# keeps other users away from the token, the session file and Ray's logs and sockets.
# Unix sockets live at <temp_dir>/ray/session_<date>_<time>_<usec>_<pid>/sockets/plasma_store;
# sun_path holds 107 bytes, the part after temp_dir takes up to ~70.
MAX_TEMP_DIR_LEN = 36

# Each head owns one slot of 512 consecutive ports: 11 fixed ones, then its worker ports.
# Slots lie above Ray client's 23000-24000 pool and below the kernel's ephemeral range
# (32768+), so port-0 servers and outgoing connections never take them. A free-port check
# alone is not enough: another head's worker ports are only bound while its workers run.
_START_ATTEMPTS = 3  # a port can still be taken between our check and Ray's bind

# Every Ray process of ours (head, workers, drivers) gets these.
BASE_ENV: Mapping[str, str] = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # else 127.0.0.1 becomes the machine address
    "RAY_USAGE_STATS_ENABLED": "0",
}

_AUTH_MODE = "RAY_AUTH_MODE"
_AUTH_TOKEN = "RAY_AUTH_TOKEN"
_AUTH_TOKEN_PATH = "RAY_AUTH_TOKEN_PATH"
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class RaySessionError(RuntimeError):
    """A Ray head could not be started, reached, attached to or stopped."""


class SessionFileError(ValueError):
    """A session file is missing, unreadable or malformed."""


@dataclass(frozen=True)
class RaySession:
    """Everything another process needs to attach to one Ray cluster.

    token_file is None when the token comes from the environment (joined cluster) or the
    cluster has no auth; node_ip is None when Ray should detect the driver's own address.
    """

    gcs_address: str
    dashboard_url: str | None
    temp_dir: Path | None
    token_file: Path | None
    node_ip: str | None
    namespace: str
    head_pid: int | None = None

    def token(self) -> str | None:
        """The auth token, read from token_file (None without a token file)."""
        if self.token_file is None:
            return None
        try:
            return self.token_file.read_text().strip() or None
        except OSError as exc:
            raise RaySessionError(f"cannot read Ray auth token file {self.token_file}: {exc}") from exc

    def auth_headers(self) -> dict[str, str]:
        """HTTP headers for the dashboard API (empty when there is no token file)."""
        token = self.token()
        return {"Authorization": f"Bearer {token}"} if token else {}

    def driver_env(self) -> dict[str, str]:
        """Env vars that let a child process (python driver or `ray` CLI) reach this cluster.

        Merge into a copy of os.environ; drop RAY_AUTH_TOKEN from it when token_file is set,
        because RAY_AUTH_TOKEN takes precedence over RAY_AUTH_TOKEN_PATH.
        """
        env = dict(BASE_ENV)
        env["RAY_ADDRESS"] = self.gcs_address
        if self.token_file is not None:
            env[_AUTH_MODE] = "token"
            env[_AUTH_TOKEN_PATH] = str(self.token_file)
        return env

    def to_file(self, path: Path) -> None:
        """Write as JSON, readable by the owner only; atomic so readers never see half a file."""
        data = {key: (str(value) if isinstance(value, Path) else value) for key, value in asdict(self).items()}
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(tmp, path)

    @classmethod
    def from_file(cls, path: Path) -> RaySession:
        path = Path(path)
        try:
            raw = path.read_text()
        except FileNotFoundError:
            raise SessionFileError(f"Ray session file {path} does not exist (is `raymuc run` running?)") from None
        except OSError as exc:
            raise SessionFileError(f"cannot read Ray session file {path}: {exc}") from exc
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SessionFileError(f"Ray session file {path} is not JSON: {exc}") from exc
        return cls.from_mapping(data, source=str(path))

    @classmethod
    def from_mapping(cls, data: Any, source: str = "session") -> RaySession:
        if not isinstance(data, dict):
            raise SessionFileError(f"{source}: expected a JSON object, got {type(data).__name__}")
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SessionFileError(f"{source}: unknown keys {unknown}")
        for required in ("gcs_address", "namespace"):
            if not isinstance(data.get(required), str) or not data[required]:
                raise SessionFileError(f"{source}: '{required}' must be a non-empty string")
        for optional in ("dashboard_url", "temp_dir", "token_file", "node_ip"):
            if data.get(optional) is not None and not isinstance(data[optional], str):
                raise SessionFileError(f"{source}: '{optional}' must be a string or null")
        head_pid = data.get("head_pid")
        if head_pid is not None and (isinstance(head_pid, bool) or not isinstance(head_pid, int) or head_pid <= 0):
            raise SessionFileError(f"{source}: 'head_pid' must be a positive integer or null")
        try:
            split_address(data["gcs_address"])
        except ValueError as exc:
            raise SessionFileError(f"{source}: {exc}") from None
        return cls(
            gcs_address=data["gcs_address"],
            dashboard_url=data.get("dashboard_url"),
            temp_dir=Path(data["temp_dir"]) if data.get("temp_dir") else None,
            token_file=Path(data["token_file"]) if data.get("token_file") else None,
            node_ip=data.get("node_ip"),
            namespace=data["namespace"],
            head_pid=head_pid,
        )


@dataclass(frozen=True)
class HeadProcess:
    """The `ray start --head --block` process we launched; its pid is also its session id."""

    popen: subprocess.Popen
    temp_dir: Path
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def ray_dir(self) -> Path:
        return self.temp_dir / RAY_SUBDIR

    def processes(self) -> list[int]:
        return instance_processes(self.pid, self.temp_dir)


def _pdeathsig_preexec(parent_pid: int):
    """preexec_fn: SIGTERM the head if the thread that started it dies (even by SIGKILL)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # resolved before fork: the child only calls it
    prctl = libc.prctl
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent_pid:  # parent already gone before prctl took effect
            os._exit(1)

    return preexec


def _head_env(token_file: Path, ports: PortPlan) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("RAY_ADDRESS", _AUTH_TOKEN)}
    env = {**NODE_LOSS_ENV, **env}  # an operator's own values win
    env.update(BASE_ENV)
    env.update(
        {
            _AUTH_MODE: "token",
            _AUTH_TOKEN_PATH: str(token_file),
            "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0",
            "DASHBOARD_METRIC_PORT": str(ports.dashboard_metrics),
            "AUTOSCALER_METRIC_PORT": str(ports.autoscaler_metrics),
        }
    )
    return env


def _head_command(
    temp_dir: Path, ports: PortPlan, dashboard: bool, num_cpus: int | None, object_store_memory: int | None
) -> list[str]:
    command = [
        sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--block",
        f"--node-ip-address={LOOPBACK}",
        f"--port={ports.gcs}",
        f"--include-dashboard={'true' if dashboard else 'false'}",
        f"--dashboard-host={LOOPBACK}",
        f"--dashboard-port={ports.dashboard}",
        f"--node-manager-port={ports.node_manager}",
        f"--object-manager-port={ports.object_manager}",
        f"--ray-client-server-port={ports.ray_client}",
        f"--dashboard-agent-listen-port={ports.dashboard_agent_listen}",
        f"--dashboard-agent-grpc-port={ports.dashboard_agent_grpc}",
        f"--runtime-env-agent-port={ports.runtime_env_agent}",
        f"--metrics-export-port={ports.metrics_export}",
        f"--min-worker-port={ports.min_worker}",
        f"--max-worker-port={ports.max_worker}",
        f"--temp-dir={temp_dir / RAY_SUBDIR}",
        "--disable-usage-stats",
        "--log-style=record",
        "--log-color=false",
    ]
    if num_cpus is not None:
        command.append(f"--num-cpus={num_cpus}")
    if object_store_memory is not None:
        command.append(f"--object-store-memory={object_store_memory}")
    return command


def _validate_start_args(temp_dir: Path, namespace: str, num_cpus: int | None, object_store_memory: int | None) -> None:
    if not temp_dir.is_absolute():
        raise ValueError(f"Ray temp dir must be absolute, got {str(temp_dir)!r}")
    if len(str(temp_dir)) > MAX_TEMP_DIR_LEN:
        raise ValueError(
            f"Ray temp dir {str(temp_dir)!r} is {len(str(temp_dir))} chars; at most {MAX_TEMP_DIR_LEN} "
            "fit Ray's unix socket paths (use e.g. tempfile.mkdtemp(prefix='rm-', dir='/tmp'))"
        )
    if not namespace or not isinstance(namespace, str):
        raise ValueError("Ray namespace must be a non-empty string")
    if num_cpus is not None and (isinstance(num_cpus, bool) or not isinstance(num_cpus, int) or num_cpus < 0):
        raise ValueError(f"num_cpus must be a non-negative integer, got {num_cpus!r}")
    if object_store_memory is not None and (
        isinstance(object_store_memory, bool) or not isinstance(object_store_memory, int) or object_store_memory <= 0
    ):
        raise ValueError(f"object_store_memory must be a positive number of bytes, got {object_store_memory!r}")


def _write_token(temp_dir: Path) -> Path:
    token_file = temp_dir / TOKEN_FILE_NAME
    fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))  # 256 bits, the same as Ray's own generator
    return token_file


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _tcp_accepts(port: int, host: str = LOOPBACK) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy


def _dashboard_status(url: str, headers: Mapping[str, str]) -> int | None:
    request = urllib.request.Request(url, headers=dict(headers))
    try:
        with _NO_PROXY_OPENER.open(request, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


class _HeadExited(RaySessionError):
    """ray start ended before the head was ready (typically a port taken meanwhile)."""


def _ray_address_file(temp_dir: Path) -> Path:
    return temp_dir / RAY_SUBDIR / "ray_current_cluster"  # ray start writes it once Node() is up


def _wait_until_ready(head: HeadProcess, session: RaySession, timeout: float) -> None:
    """Ready = `ray start` recorded our GCS address (GCS and raylet are up) and, with a
    dashboard, the dashboard answers our token with 200."""
    deadline = time.monotonic() + timeout
    headers = session.auth_headers()
    address_file = _ray_address_file(head.temp_dir)
    while time.monotonic() < deadline:
        if head.popen.poll() is not None:
            raise _HeadExited(
                f"ray start exited with code {head.popen.returncode} before the head was ready; "
                f"log {head.log_path}:\n{_log_tail(head.log_path)}"
            )
        try:
            ready = address_file.read_text().strip() == session.gcs_address
        except OSError:
            ready = False
        if ready and session.dashboard_url is not None:
            ready = _dashboard_status(f"{session.dashboard_url}/api/version", headers) == 200
        if ready:
            return
        time.sleep(0.2)
    raise RaySessionError(f"Ray head not ready after {timeout:.0f}s; log {head.log_path}:\n{_log_tail(head.log_path)}")


def start_local_head(
    temp_dir: Path,
    namespace: str = DEFAULT_NAMESPACE,
    dashboard: bool = True,
    num_cpus: int | None = None,
    object_store_memory: int | None = None,
    *,
    startup_timeout: float = 90.0,
    die_with_parent: bool = True,
) -> tuple[RaySession, HeadProcess]:
    """Start a private Ray head on 127.0.0.1 in its own process session; return once reachable.

    temp_dir becomes 0700 and holds auth_token and session.json (0600), head.log and
    Ray's own temp dir "ray". With
    die_with_parent the head gets SIGTERM when the calling *thread* ends, so a crashed or
    SIGKILLed service leaves no Ray behind; that is why it must be called from the main thread.
    """
    temp_dir = Path(temp_dir)
    _validate_start_args(temp_dir, namespace, num_cpus, object_store_memory)
    if die_with_parent and threading.current_thread() is not threading.main_thread():
        raise RaySessionError(
            "start_local_head(die_with_parent=True) must run in the main thread: the kernel "
            "signals the head when the thread that started it exits"
        )
    existing = temp_dir / SESSION_FILE_NAME
    if existing.exists():
        try:
            old = RaySession.from_file(existing)
        except SessionFileError:
            old = None
        if old is not None and old.head_pid is not None and pid_alive(old.head_pid):
            raise RaySessionError(f"{temp_dir} already belongs to a running Ray head (pid {old.head_pid})")
    temp_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp_dir.chmod(0o700)
    token_file = _write_token(temp_dir)
    for attempt in range(1, _START_ATTEMPTS + 1):
        try:
            return _launch_head(
                temp_dir, token_file, namespace, dashboard, num_cpus, object_store_memory,
                startup_timeout, die_with_parent,
            )
        except _HeadExited as exc:
            if attempt == _START_ATTEMPTS:
                raise
            log.warning("ray.head.start_retry attempt=%d error=%s", attempt, str(exc).splitlines()[0])
    raise AssertionError("unreachable")


def _launch_head(
    temp_dir: Path, token_file: Path, namespace: str, dashboard: bool, num_cpus: int | None,
    object_store_memory: int | None, startup_timeout: float, die_with_parent: bool,
) -> tuple[RaySession, HeadProcess]:
    ports, slot_fd = reserve_ports()
    log_path = temp_dir / HEAD_LOG_NAME
    command = _head_command(temp_dir, ports, dashboard, num_cpus, object_store_memory)
    _ray_address_file(temp_dir).unlink(missing_ok=True)  # a previous head's would look "ready"
    started = time.monotonic()
    try:
        with open(log_path, "ab") as log_file:
            popen = subprocess.Popen(
                command,
                env=_head_env(token_file, ports),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own session id: how stop_head finds all its processes
                preexec_fn=_pdeathsig_preexec(os.getpid()) if die_with_parent else None,
                pass_fds=(slot_fd,),  # `ray start` now holds the port slot for its lifetime
            )
    finally:
        os.close(slot_fd)
    head = HeadProcess(popen=popen, temp_dir=temp_dir, log_path=log_path)
    session = RaySession(
        gcs_address=f"{LOOPBACK}:{ports.gcs}",
        dashboard_url=f"http://{LOOPBACK}:{ports.dashboard}" if dashboard else None,
        temp_dir=temp_dir,
        token_file=token_file,
        node_ip=LOOPBACK,
        namespace=namespace,
        head_pid=popen.pid,
    )
    try:
        _wait_until_ready(head, session, startup_timeout)
    except BaseException:
        try:
            stop_head(head)
        except RaySessionError as exc:  # keep the start failure as the error the caller sees
            log.error("ray.head.cleanup_failed pid=%d error=%s", head.pid, exc)
        raise
    session.to_file(temp_dir / SESSION_FILE_NAME)
    log.info(
        "ray.head.started pid=%d gcs=%s dashboard=%s temp_dir=%s seconds=%.1f",
        popen.pid, session.gcs_address, session.dashboard_url, temp_dir, time.monotonic() - started,
    )
    return session, head


def stop_head(head: HeadProcess, timeout: float = 20.0) -> None:
    """Stop only this head: SIGTERM its `ray start`, then SIGKILL whatever of it is left.

    Raises RaySessionError if any of its processes survives SIGKILL.
    """
    started = time.monotonic()
    if head.popen.poll() is None:
        head.popen.send_signal(signal.SIGTERM)  # ray start tears its children down itself
    left = wait_gone(head, timeout)
    if left:
        log.warning("ray.head.kill pid=%d reason=sigterm_timeout leftover=%s", head.pid, left)
        signal_all(left, signal.SIGKILL)
        left = wait_gone(head, 10.0)
    try:
        head.popen.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    if left:
        raise RaySessionError(f"Ray head {head.pid}: processes {left} survived SIGKILL")
    log.info(
        "ray.head.stopped pid=%d returncode=%s seconds=%.1f",
        head.pid, head.popen.returncode, time.monotonic() - started,
    )


@contextmanager
def running_head(temp_dir: Path, **start_kwargs: Any) -> Iterator[tuple[RaySession, HeadProcess]]:
    """start_local_head ... stop_head, also on exceptions (SIGTERM needs a handler that raises)."""
    session, head = start_local_head(temp_dir, **start_kwargs)
    try:
        yield session, head
    finally:
        stop_head(head)


def _reset_ray_auth_cache() -> None:
    """Make an already-imported Ray re-read RAY_AUTH_MODE and the token from os.environ.

    Uses the same private hooks Ray's own ray.init uses; harmless if they move.
    """
    try:
        from ray._raylet import AuthenticationTokenLoader, Config

        Config.initialize("")
        AuthenticationTokenLoader.instance().reset_cache()
    except (ImportError, AttributeError) as exc:
        log.warning("ray.auth.reset_unavailable error=%s", exc)


def _keep_loopback_in_imported_ray() -> None:
    """Ray reads RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER once, when ray_constants is imported. If
    ray was imported before we set it, ray.init would still rewrite 127.0.0.1 to the machine
    address and retry a GCS that is not listening there, forever. Apply the env value late.
    """
    constants = sys.modules.get("ray._private.ray_constants")
    if constants is not None and getattr(constants, "ENABLE_RAY_CLUSTER", False):
        constants.ENABLE_RAY_CLUSTER = False
        log.info("ray.loopback.late_env reason=ray_imported_before_env")


def _apply_driver_env(session: RaySession) -> None:
    os.environ.update(BASE_ENV)
    _keep_loopback_in_imported_ray()
    if session.token_file is not None:
        if not session.token_file.is_file():
            raise RaySessionError(f"Ray auth token file {session.token_file} does not exist (head stopped?)")
        if os.environ.pop(_AUTH_TOKEN, None) is not None:
            # It would take precedence over our token file and hold some other cluster's token.
            log.warning("ray.auth.env_token_ignored reason=session_has_token_file")
        os.environ[_AUTH_MODE] = "token"
        os.environ[_AUTH_TOKEN_PATH] = str(session.token_file)
    elif _AUTH_MODE not in os.environ and _env_token_source()[0] != "none":
        # Ray only auto-enables auth for address="auto"; an explicit address needs the mode set.
        os.environ[_AUTH_MODE] = "token"
    _reset_ray_auth_cache()


# The Ray temp dir of the node whose raylet a driver attaches to (docs/sre.md).
NODE_TEMP_DIR_ENV = "RAYMUC_RAY_NODE_TEMP_DIR"


def connect(session: RaySession, namespace: str | None = None, log_to_driver: bool = False, **init_kwargs: Any):
    """ray.init() this process as a driver of the session's cluster; returns Ray's context."""
    import ray

    namespace = namespace or session.namespace
    host, port = split_address(session.gcs_address)
    if ray.is_initialized():
        raise RaySessionError("this process is already connected to Ray; call ray.shutdown() first")
    # Fail fast with a clear message; ray.init would retry for ~20 s and then say little.
    if host in _LOOPBACK_HOSTS and not _tcp_accepts(port, host):
        raise RaySessionError(f"no Ray GCS listening at {session.gcs_address} (head stopped?)")
    _apply_driver_env(session)
    if session.node_ip is not None:
        init_kwargs.setdefault("_node_ip_address", session.node_ip)
    if os.environ.get(NODE_TEMP_DIR_ENV):
        # several raylets on one address (one machine, tests): attach to this one, not
        # to the head Ray prefers, so that the driver does not share the head's fate
        init_kwargs.setdefault("_temp_dir", os.environ[NODE_TEMP_DIR_ENV])
    context = ray.init(address=session.gcs_address, namespace=namespace, log_to_driver=log_to_driver, **init_kwargs)
    log.info("ray.driver.connected gcs=%s namespace=%s", session.gcs_address, namespace)
    return context


def _env_token_source() -> tuple[str, Path | None]:
    """Where Ray would find a token for a cluster we did not start, in Ray's own order:
    ("env", None) for RAY_AUTH_TOKEN, ("file", path) for RAY_AUTH_TOKEN_PATH or
    ~/.ray/auth_token, ("none", None) when there is none.
    """
    if os.environ.get(_AUTH_TOKEN):
        return "env", None
    if os.environ.get(_AUTH_TOKEN_PATH):
        return "file", Path(os.environ[_AUTH_TOKEN_PATH])
    default = Path.home() / ".ray" / "auth_token"
    return ("file", default) if default.is_file() else ("none", None)


def _resolve_auto_address() -> str:
    explicit = os.environ.get("RAY_ADDRESS", "").strip()
    if explicit and explicit not in ("auto", "local"):
        return explicit
    from ray._private import services

    found = services.find_bootstrap_address(None)  # what the last plain `ray start` recorded
    if not found:
        raise RaySessionError("address 'auto': no running Ray found (RAY_ADDRESS unset, no /tmp/ray cluster file)")
    return found


def attach_or_start(
    address: str, temp_root: Path, namespace: str = DEFAULT_NAMESPACE, **start_kwargs: Any
) -> tuple[RaySession, HeadProcess | None]:
    """'local' -> start a private head in a fresh dir under temp_root (HeadProcess returned);
    'auto' or 'host:port' -> describe an existing cluster (no HeadProcess; call connect()).
    """
    if not isinstance(address, str) or not address.strip():
        raise ValueError("Ray address must be 'local', 'auto' or 'host:port'")
    address = address.strip()
    if address == "local":
        temp_root = Path(temp_root)
        temp_root.mkdir(parents=True, exist_ok=True)
        temp_dir = Path(tempfile.mkdtemp(prefix="rm-", dir=temp_root))
        return start_local_head(temp_dir, namespace=namespace, **start_kwargs)
    if start_kwargs:
        raise ValueError(f"options {sorted(start_kwargs)} only apply to address 'local'")
    if address == "auto":
        address = _resolve_auto_address()
    if address.startswith("ray://"):
        raise ValueError(f"Ray client addresses ({address}) are not supported; use the GCS 'host:port'")
    host, port = split_address(address)
    # An explicit RAY_AUTH_MODE=disabled wins over a token file lying around.
    disabled = os.environ.get(_AUTH_MODE, "").lower() == "disabled"
    token_source, token_file = ("disabled", None) if disabled else _env_token_source()
    session = RaySession(
        gcs_address=f"{host}:{port}",
        dashboard_url=None,  # known to the cluster, not to us; ask Ray after connect()
        temp_dir=None,
        token_file=token_file,
        node_ip=LOOPBACK if host in _LOOPBACK_HOSTS else None,
        namespace=namespace,
    )
    log.info("ray.cluster.join gcs=%s token=%s", session.gcs_address, token_source)
    return session, None
