"""bench/memwatch.py and bench/soak.py figures (pure parts): the least-squares slope,
and that a process's slope is fitted over the second half of the run only."""
from __future__ import annotations

from bench.memwatch import MemWatch, slope


def test_slope_of_a_line_and_of_too_few_points():
    assert slope([(0, 1), (1, 3), (2, 5)]) == 2
    assert slope([(0, 1), (1, 3)]) is None
    assert slope([(1, 1), (1, 2), (1, 3)]) is None


def test_rss_slope_uses_the_second_half_only():
    watch = MemWatch(driver=0)
    mib = 2 ** 20
    # grows 10 MiB/min during warm-up (first minute), flat after
    watch.roles[1] = "GatewayActor"
    watch.samples[1] = [(t, (100 + min(t, 60) / 6) * mib) for t in range(0, 121, 5)]
    [row] = watch.report(duration=120)
    assert row["slope_mib_per_min"] == 0 and row["peak_mib"] == 110
