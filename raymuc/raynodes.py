"""More Ray nodes on this machine, joined to a private head (raysession.start_local_head):
how the multi-node tests get a real cluster of several raylets on 127.0.0.1, each with
its own custom resources (e.g. {"raymuc_room": 4}), that can be lost for real.

Each node is a `ray start --address=<head> --block` in its own process session with its
own temp dir and its own port slot, so `kill` (SIGKILL to every process of that session:
raylet, agents, the actors' workers) is a node lost with its machine, and touches no
other node. The head's token reaches it by RAY_AUTH_TOKEN_PATH, as for drivers."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from raymuc.rayports import reserve_ports
from raymuc.rayprocs import RAY_SUBDIR, instance_processes, signal_all
from raymuc.raysession import LOOPBACK, MAX_TEMP_DIR_LEN, RaySession, RaySessionError, \
    _pdeathsig_preexec

NODE_LOG_NAME = "node.log"
# `ray start` refuses to join a head unless RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=1, and with it
# rewrites 127.0.0.1 to the machine's address. The node's own process lifts the refusal
# and keeps the loopback address; its children keep the env value 0 (loopback).
_START = ("import sys, ray._private.ray_constants as k, ray._private.services as s; "
          "k.ENABLE_RAY_CLUSTER = True; s.resolve_ip_for_localhost = lambda host: host; "
          "from ray.scripts.scripts import main; sys.argv[0] = 'ray'; main()")


@dataclass(frozen=True)
class NodeProcess:
    """A `ray start --block` worker node; its pid is also its process session id."""
    popen: subprocess.Popen
    temp_dir: Path
    resources: dict

    @property
    def pid(self) -> int:
        return self.popen.pid

    def processes(self) -> list[int]:
        return instance_processes(self.pid, self.temp_dir)

    def raylet_pid(self) -> int | None:
        for pid in self.processes():
            try:
                if b"/raylet" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]:
                    return pid
            except OSError:
                continue
        return None

    def kill(self) -> list[int]:
        """The node is lost: SIGKILL every process of it at once (no drain, no goodbye)."""
        pids = self.processes()
        signal_all(pids, signal.SIGKILL)
        self.popen.poll()
        return pids

    def stop(self, timeout: float = 20.0) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.processes() and time.monotonic() < deadline:
            self.popen.poll()
            time.sleep(0.1)
        signal_all(self.processes(), signal.SIGKILL)
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def _node_env(session: RaySession) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "RAY_AUTH_TOKEN")}
    env.update(session.driver_env())
    env.pop("RAY_ADDRESS", None)
    env["RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S"] = "0"
    return env


def start_worker_node(session: RaySession, temp_dir: Path, resources: dict,
                      num_cpus: int = 1, object_store_memory: int = 128 * 1024 * 1024,
                      timeout: float = 60.0) -> NodeProcess:
    """Join one more raylet to the session's head; return once Ray lists it alive."""
    temp_dir = Path(temp_dir)
    if len(str(temp_dir)) > MAX_TEMP_DIR_LEN:
        raise ValueError(f"node temp dir {temp_dir} is too long for Ray's socket paths")
    temp_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    ports, slot_fd = reserve_ports()
    command = [
        sys.executable, "-c", _START, "start", "--block",
        f"--address={session.gcs_address}", f"--node-ip-address={LOOPBACK}",
        f"--node-manager-port={ports.node_manager}",
        f"--object-manager-port={ports.object_manager}",
        f"--dashboard-agent-listen-port={ports.dashboard_agent_listen}",
        f"--dashboard-agent-grpc-port={ports.dashboard_agent_grpc}",
        f"--runtime-env-agent-port={ports.runtime_env_agent}",
        f"--metrics-export-port={ports.metrics_export}",
        f"--min-worker-port={ports.min_worker}", f"--max-worker-port={ports.max_worker}",
        f"--temp-dir={temp_dir / RAY_SUBDIR}", f"--num-cpus={num_cpus}",
        f"--object-store-memory={object_store_memory}",
        f"--resources={json.dumps(resources)}",
        "--disable-usage-stats", "--log-style=record", "--log-color=false",
    ]
    try:
        with open(temp_dir / NODE_LOG_NAME, "ab") as log_file:
            popen = subprocess.Popen(command, env=_node_env(session), stdin=subprocess.DEVNULL,
                                     stdout=log_file, stderr=subprocess.STDOUT,
                                     start_new_session=True,
                                     preexec_fn=_pdeathsig_preexec(os.getpid()),
                                     pass_fds=(slot_fd,))
    finally:
        os.close(slot_fd)
    node = NodeProcess(popen, temp_dir, dict(resources))
    deadline = time.monotonic() + timeout
    address_file = temp_dir / RAY_SUBDIR / "ray_current_cluster"
    while not address_file.exists():
        if popen.poll() is not None or time.monotonic() > deadline:
            node.stop()
            tail = (temp_dir / NODE_LOG_NAME).read_text(errors="replace")[-3000:]
            raise RaySessionError(f"Ray worker node did not start:\n{tail}")
        time.sleep(0.2)
    return node
