"""Finding and stopping every process of one private Ray head (by session id and temp dir)."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

RAY_SUBDIR = "ray"   # Ray's own temp dir inside ours (Ray makes it 0777)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _proc_ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 4 follows the parenthesised command name, which may itself contain spaces.
    return int(stat.rsplit(")", 1)[1].split()[1])


def _own_lineage() -> set[int]:
    lineage, pid = set(), os.getpid()
    while pid and pid not in lineage:
        lineage.add(pid)
        pid = _proc_ppid(pid) or 0
    return lineage


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def instance_processes(head_pid: int, temp_dir: Path) -> list[int]:
    """Live pids of one head started by start_local_head: its process session (gcs, raylet,
    dashboard, agents, workers) plus any Ray process whose command line names its temp dir
    (in case one left the session). Works from any process, given session.head_pid/temp_dir.

    Never includes this process or its ancestors, nor processes of other users.
    """
    excluded = _own_lineage()
    marker = str(Path(temp_dir) / RAY_SUBDIR)
    uid = os.getuid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        if pid in excluded:
            continue
        try:
            if os.stat(f"/proc/{pid}").st_uid != uid or _is_zombie(pid):
                continue
            in_session = os.getsid(pid) == head_pid
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ProcessLookupError):
            continue  # exited while we looked
        # Ray's own daemons name the session dir or --temp-dir; a driver or CLI that merely
        # mentions our session.json must not match.
        names_us = (f"{marker}/session_" in cmdline or f"--temp-dir={marker}" in cmdline) and (
            "/ray/" in cmdline or " -m ray." in cmdline
        )
        if in_session or names_us:
            found.append(pid)
    return sorted(found)


def signal_all(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def wait_gone(head, timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while True:
        head.popen.poll()  # reap the leader so it does not linger as a zombie
        left = head.processes()
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.1)
