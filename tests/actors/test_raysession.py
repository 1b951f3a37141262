"""The Ray session layer against a real private Ray head (see tests/fixtures/ray.py)."""
from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import ray

from raymuc.rayports import PORT_SLOT_SIZE
from raymuc.raysession import (
    RaySession,
    SessionFileError,
    attach_or_start,
    instance_processes,
    split_address,
    start_local_head,
    stop_head,
)

REPO = Path(__file__).resolve().parents[2]

# A second driver: attaches from the session file only, finds the actor by name, calls it.
SECOND_DRIVER = """
import json, sys
from pathlib import Path
import ray  # imported before connect() on purpose: the late-env path must still stay on loopback
from raymuc.raysession import RaySession, connect
session = RaySession.from_file(Path(sys.argv[1]))
connect(session, namespace=sys.argv[2])
handle = ray.get_actor(sys.argv[3])
print(json.dumps({"answer": ray.get(handle.where.remote())}))
"""

# Creates a detached actor in whatever cluster the session file names, then exits.
ACTOR_CREATOR = """
import sys
from pathlib import Path
import ray
from raymuc.raysession import RaySession, connect
connect(RaySession.from_file(Path(sys.argv[1])))

@ray.remote(num_cpus=0, max_concurrency=1)
class Keeper:
    def ping(self):
        return "pong"

keeper = Keeper.options(name="keeper", lifetime="detached").remote()
print(ray.get(keeper.ping.remote()))
"""

# Starts a private head, announces its session file, then waits to be killed.
HEAD_OWNER = """
import sys, time
from pathlib import Path
from raymuc.raysession import start_local_head, SESSION_FILE_NAME
session, head = start_local_head(Path(sys.argv[1]), dashboard=False)
print(session.temp_dir / SESSION_FILE_NAME, flush=True)
time.sleep(600)
"""


@ray.remote(num_cpus=0, max_concurrency=1)
class Where:
    """Tiny actor that tells which process it lives in."""

    def where(self) -> dict:
        return {
            "pid": os.getpid(),
            "node_ip": ray.util.get_node_ip_address(),
            "cluster_env": os.environ.get("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"),
        }


def clean_env(**extra: str) -> dict[str, str]:
    """Our environment minus every RAY_* setting (connect() put some there): a child must
    get address, token and loopback from the session file alone."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("RAY_")}
    env.update(extra)
    return env


def run_python(code: str, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO, env=env if env is not None else clean_env(), capture_output=True, text=True, timeout=timeout,
    )


def http_get(url: str, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


@pytest.fixture
def named_actor(ray_session: RaySession):
    name = f"room-{uuid.uuid4().hex[:8]}"
    handle = Where.options(name=name, lifetime="detached").remote()
    yield name, ray.get(handle.where.remote())["pid"]
    ray.kill(handle)


# --- second driver -------------------------------------------------------------------------


def test_second_driver_finds_detached_named_actor(ray_session: RaySession, named_actor) -> None:
    name, pid = named_actor
    session_file = ray_session.temp_dir / "session.json"
    done = run_python(SECOND_DRIVER, str(session_file), "raymuc-test", name)
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])["answer"]
    # Same actor process; workers inherit the head's env, so they stay on loopback too.
    assert answer == {"pid": pid, "node_ip": "127.0.0.1", "cluster_env": "0"}
    assert os.getpid() != pid


def test_second_driver_in_other_namespace_does_not_see_actor(ray_session: RaySession, named_actor) -> None:
    name, _ = named_actor
    done = run_python(SECOND_DRIVER, str(ray_session.temp_dir / "session.json"), "elsewhere", name)
    assert done.returncode != 0
    assert "ValueError" in done.stderr and name in done.stderr


def test_driver_without_token_is_refused(ray_session: RaySession) -> None:
    code = "import sys, ray; ray.init(address=sys.argv[1], log_to_driver=False); print('connected')"
    # Fewer GCS retries: without a token Ray would otherwise retry for ~20 s before failing.
    base = clean_env(RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0", RAY_NUM_REDIS_GET_RETRIES="2")
    with_token = run_python(code, ray_session.gcs_address, env={**base, **ray_session.driver_env()})
    assert with_token.returncode == 0 and "connected" in with_token.stdout, with_token.stderr[-3000:]
    without = run_python(code, ray_session.gcs_address, env=base)
    assert without.returncode != 0
    assert "Failed to connect to Ray cluster" in without.stderr


def test_ray_cli_lists_actor_with_driver_env(ray_session: RaySession, named_actor) -> None:
    name, _ = named_actor
    env = clean_env(**ray_session.driver_env())
    ray_cli = [sys.executable, "-m", "ray.scripts.scripts"]
    done = subprocess.run(
        [*ray_cli, "list", "actors", "--address", ray_session.gcs_address, "--filter", f"name={name}"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert name in done.stdout and "ALIVE" in done.stdout


# --- dashboard / state API -----------------------------------------------------------------


def test_dashboard_api_requires_the_token(ray_session: RaySession, named_actor) -> None:
    name, _ = named_actor
    url = f"{ray_session.dashboard_url}/api/v0/actors?filter_keys=name&filter_predicates=%3D&filter_values={name}"
    assert http_get(url, {})[0] == 401
    assert http_get(url, {"Authorization": "Bearer " + "0" * 64})[0] == 403
    status, body = http_get(url, ray_session.auth_headers())
    assert status == 200, body
    actors = json.loads(body)["data"]["result"]["result"]
    assert [actor["name"] for actor in actors] == [name]


def test_state_api_lists_actor(ray_session: RaySession, named_actor) -> None:
    from ray.util.state import list_actors

    name, pid = named_actor
    actors = list_actors(address=ray_session.dashboard_url, filters=[("name", "=", name)])
    assert [(actor.name, actor.state, actor.pid) for actor in actors] == [(name, "ALIVE", pid)]


# --- loopback only -------------------------------------------------------------------------


def _decode_address(hex_address: str) -> tuple[ipaddress._BaseAddress, int]:
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    # /proc/net stores each 32-bit word of the address in host (little-endian) order.
    swapped = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return ipaddress.ip_address(swapped), int(port, 16)


def _bound_sockets() -> dict[int, tuple[str, ipaddress._BaseAddress, int]]:
    """inode -> (proto, address, port) for TCP listeners and bound UDP sockets."""
    found = {}
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        lines = Path(f"/proc/net/{proto}").read_text().splitlines()[1:]
        for line in lines:
            columns = line.split()
            address, port = _decode_address(columns[1])
            listening = columns[3] == "0A" if proto.startswith("tcp") else port != 0
            if listening:
                found[int(columns[9])] = (proto, address, port)
    return found


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    except OSError:
        pass
    return inodes


def _is_loopback(address: ipaddress._BaseAddress) -> bool:
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def test_all_listening_sockets_are_on_loopback(ray_session: RaySession, ray_head, named_actor) -> None:
    _, head = ray_head
    pids = head.processes() + [os.getpid()]  # the head's processes and this driver
    bound = _bound_sockets()
    ours = {(pid, *bound[inode]) for pid in pids for inode in _socket_inodes(pid) if inode in bound}
    _, gcs_port = split_address(ray_session.gcs_address)
    assert any(port == gcs_port for _, _, _, port in ours)  # we really looked at the head's sockets
    assert len({pid for pid, *_ in ours}) >= 5  # gcs, raylet, dashboard, agents, workers, driver
    exposed = sorted((pid, proto, str(address), port) for pid, proto, address, port in ours if not _is_loopback(address))
    assert exposed == []


def test_socket_scan_flags_a_wildcard_listener() -> None:
    """The scan above would catch a Ray process listening on all interfaces."""
    with socket.socket() as listener:
        listener.bind(("0.0.0.0", 0))
        listener.listen()
        port = listener.getsockname()[1]
        bound = _bound_sockets()
        mine = [bound[inode] for inode in _socket_inodes(os.getpid()) if inode in bound]
    assert [(proto, str(address)) for proto, address, p in mine if p == port] == [("tcp", "0.0.0.0")]
    assert not _is_loopback(ipaddress.ip_address("0.0.0.0"))


# --- stopping --------------------------------------------------------------------------------


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"  # dead, only waiting for a parent that is not ours to reap it


def test_stop_head_stops_only_its_own_processes(ray_session: RaySession, named_actor) -> None:
    name, actor_pid = named_actor
    session, head = attach_or_start("local", Path("/tmp"), dashboard=False, num_cpus=1)
    try:
        assert head is not None
        # Each head owns its own port range, worker ports included.
        assert abs(split_address(session.gcs_address)[1] - split_address(ray_session.gcs_address)[1]) >= PORT_SLOT_SIZE
        created = run_python(ACTOR_CREATOR, str(session.temp_dir / "session.json"))
        assert created.returncode == 0 and "pong" in created.stdout, created.stderr[-3000:]
        before = head.processes()
        assert head.pid in before and len(before) >= 4  # ray start, gcs, raylet, agents, the actor
    finally:
        stop_head(head)
        shutil.rmtree(session.temp_dir, ignore_errors=True)
    assert head.processes() == []
    assert all(_gone(pid) for pid in before)
    # The session's own Ray is untouched.
    assert ray.get(ray.get_actor(name).where.remote())["pid"] == actor_pid


def test_head_dies_with_its_owner(ray_session: RaySession) -> None:
    temp_dir = Path(tempfile.mkdtemp(prefix="rm-", dir="/tmp"))
    owner = subprocess.Popen(
        [sys.executable, "-c", HEAD_OWNER, str(temp_dir)],
        cwd=REPO, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        session_file = Path(owner.stdout.readline().strip())
        session = RaySession.from_file(session_file)
        before = instance_processes(session.head_pid, temp_dir)
        assert session.head_pid in before and len(before) >= 3
        owner.send_signal(signal.SIGKILL)  # no cleanup code of the owner runs
        owner.wait(timeout=10)
        deadline = time.monotonic() + 60
        while instance_processes(session.head_pid, temp_dir) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert instance_processes(session.head_pid, temp_dir) == []
        assert all(_gone(pid) for pid in before)
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait()
        shutil.rmtree(temp_dir, ignore_errors=True)


# --- session file and addresses --------------------------------------------------------------


def test_head_files_are_private(ray_session: RaySession) -> None:
    assert ray_session.temp_dir.stat().st_mode & 0o777 == 0o700
    assert ray_session.token_file.stat().st_mode & 0o777 == 0o600
    assert (ray_session.temp_dir / "session.json").stat().st_mode & 0o777 == 0o600
    assert len(ray_session.token()) == 64


def test_session_file_round_trip_is_private(tmp_path: Path) -> None:
    session = RaySession(
        gcs_address="127.0.0.1:26000", dashboard_url="http://127.0.0.1:26001", temp_dir=Path("/tmp/rm-x"),
        token_file=Path("/tmp/rm-x/auth_token"), node_ip="127.0.0.1", namespace="raymuc", head_pid=4242,
    )
    path = tmp_path / "session.json"
    session.to_file(path)
    assert RaySession.from_file(path) == session
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ("[]", "expected a JSON object"),
        ('{"namespace": "x"}', "'gcs_address' must be a non-empty string"),
        ('{"gcs_address": "127.0.0.1", "namespace": "x"}', "is not 'host:port'"),
        ('{"gcs_address": "h:1", "namespace": "x", "head_pid": "12"}', "'head_pid' must be a positive integer"),
        ('{"gcs_address": "h:1", "namespace": "x", "colour": "red"}', "unknown keys ['colour']"),
    ],
)
def test_bad_session_file_gives_precise_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "session.json"
    path.write_text(content)
    with pytest.raises(SessionFileError, match=re.escape(message)):
        RaySession.from_file(path)


def test_missing_session_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(SessionFileError, match="does not exist"):
        RaySession.from_file(tmp_path / "nope.json")


@pytest.mark.parametrize("address", ["", "nohost", "h:0", "h:70000", "h:port", "a:1:2"])
def test_bad_addresses_are_rejected(address: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        attach_or_start(address, tmp_path)


def test_join_existing_cluster_by_address_starts_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("t" * 64)
    monkeypatch.delenv("RAY_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
    monkeypatch.setenv("RAY_AUTH_TOKEN_PATH", str(token_file))
    session, head = attach_or_start("127.0.0.1:26379", tmp_path, namespace="ns")
    assert head is None
    assert (session.gcs_address, session.token_file, session.node_ip, session.namespace) == (
        "127.0.0.1:26379", token_file, "127.0.0.1", "ns",
    )
    assert list(tmp_path.iterdir()) == [token_file]


def test_auto_address_comes_from_ray_address(ray_session: RaySession, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RAY_ADDRESS", ray_session.gcs_address)
    session, head = attach_or_start("auto", tmp_path)
    assert head is None and session.gcs_address == ray_session.gcs_address


def test_long_temp_dir_is_refused_before_starting() -> None:
    long_dir = Path("/tmp") / ("x" * 60)
    with pytest.raises(ValueError, match="unix socket"):
        start_local_head(long_dir)
    assert not long_dir.exists()
