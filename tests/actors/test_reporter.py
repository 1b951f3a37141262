"""A room host's reports to a supervisor that takes none (stuck) are bounded: at most
MAX_UNANSWERED wait in the host's process, the rest are dropped (the next renewal
carries the truth), and once it answers again reports flow. Real Ray; a stand-in
supervisor actor that blocks until told."""
from __future__ import annotations

import time

import ray

from actors import reporter as reporter_module
from actors.reporter import Reporter


@ray.remote(max_concurrency=64)   # threads: release() runs beside the stuck reports
class _Supervisor:
    def __init__(self):
        self.open = False
        self.reports = 0

    def report(self, n):
        while not self.open:
            time.sleep(0.05)
        self.reports += 1

    def release(self):
        self.open = True

    def count(self):
        return self.reports


def test_reports_to_a_stuck_supervisor_are_bounded(ray_session, monkeypatch):
    monkeypatch.setattr(reporter_module, "MAX_UNANSWERED", 20, raising=False)
    supervisor = _Supervisor.remote()
    reporter = Reporter("raymuc-test")
    reporter._handle = supervisor
    for n in range(50):
        reporter.send("report", n)
    assert len(reporter.unanswered) == 20 and reporter.dropped == 30
    ray.get(supervisor.release.remote())
    ray.wait(list(reporter.unanswered), num_returns=20, timeout=30)
    reporter.send("report", 50)            # answered ones are forgotten: room again
    assert reporter.dropped == 30
    ray.wait(list(reporter.unanswered), num_returns=len(reporter.unanswered), timeout=30)
    assert ray.get(supervisor.count.remote()) == 21
    ray.kill(supervisor)
