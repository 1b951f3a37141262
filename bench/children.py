"""Child processes of the benchmark die with it, even if it is SIGKILLed (Linux)."""
from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent():
    """preexec_fn for subprocess.Popen: SIGTERM the child when the spawning thread ends.
    Spawn from the main thread (the kernel ties it to the thread, not the process)."""
    if not sys.platform.startswith("linux"):
        return None
    parent = os.getpid()
    prctl = ctypes.CDLL(None, use_errno=True).prctl   # resolved before fork

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:       # the parent died before prctl took effect
            os._exit(1)
    return preexec
