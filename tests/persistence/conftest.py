"""Helpers for tests that need a SecantusDB of their own (restart, stop, crash)."""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def private_data_dir() -> Iterator[Path]:
    data_dir = Path(tempfile.mkdtemp(prefix="rmdb"))
    try:
        yield data_dir
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def secantus_alive(pid: int) -> bool:
    """True if `pid` exists and still runs secantusd (a reused PID would not)."""
    try:
        return b"secantusd" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
