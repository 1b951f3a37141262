"""Sampling profiles of RayMUC's Python processes with py-spy (optional: `--profile`).

py-spy lives in var/bench-deps (run.sh installs it with --profile); it attaches to a pid
from outside, so nothing in RayMUC changes. `--gil` samples only the thread holding the
GIL, so waiting threads (Ray's main loop, pymongo monitors) drop out and the samples show
where Python CPU goes (native work without the GIL, e.g. Ray's C++ core, is not seen);
`--nonblocking` keeps it from pausing the target (py-spy itself still costs some CPU). The raw (collapsed) stacks
are kept next to the results; the summary has the functions with the most samples, by
self time and including callees (file and function, line numbers merged).
"""
from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

from bench.children import die_with_parent

REPO = Path(__file__).resolve().parent.parent
PY_SPY = REPO / "var" / "bench-deps" / "bin" / "py-spy"


def available() -> bool:
    return PY_SPY.exists()


class Profiler:
    def __init__(self, out_dir: Path, label: str, rate: int = 100) -> None:
        self.out_dir, self.label, self.rate = out_dir, label, rate
        self.runs: dict[str, tuple[subprocess.Popen, Path]] = {}

    def start(self, pids: dict[str, int], seconds: float) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for name, pid in pids.items():
            path = self.out_dir / f"{self.label}-{name}-{pid}.txt"
            proc = subprocess.Popen([str(PY_SPY), "record", "--pid", str(pid), "--duration", str(int(seconds)),
                                     "--rate", str(self.rate), "--nonblocking", "--gil", "--format", "raw",
                                     "--output", str(path)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, preexec_fn=die_with_parent())
            self.runs[name] = (proc, path)

    def finish(self, timeout: float = 60.0, top: int = 12) -> dict:
        out = {}
        for name, (proc, path) in self.runs.items():
            try:
                _, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            if not path.exists():
                out[name] = {"error": (err or b"").decode(errors="replace")[-500:]}
                continue
            out[name] = {"file": str(path), **summarize(path.read_text(), top)}
        return out


def _frame(raw: str) -> str:
    """'handle (actors/host.py:63)' -> 'handle (actors/host.py)'; site-packages paths shortened."""
    name, _, where = raw.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    if "site-packages/" in where:
        where = where.split("site-packages/", 1)[1]
    elif str(REPO) in where:
        where = where.split(str(REPO) + "/", 1)[1]
    return f"{name} ({where})" if where else name


def summarize(collapsed: str, top: int = 12) -> dict:
    """Top functions by self samples and by inclusive samples, in % of all samples."""
    self_counts: Counter = Counter()
    incl_counts: Counter = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_frame(f) for f in stack.split(";") if f]
        if not frames:
            continue
        self_counts[frames[-1]] += n
        for frame in set(frames):
            incl_counts[frame] += n
    pct = (lambda c: [(f, round(100 * v / total, 1)) for f, v in c.most_common(top)]) if total else (lambda c: [])
    return {"samples": total, "top_self_pct": pct(self_counts), "top_inclusive_pct": pct(incl_counts)}
