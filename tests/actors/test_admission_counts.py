"""The counts behind admission (issue 15), pure, with a fake clock: the per-user
creation window, the conference registry's may_start, the live-room cap and its
derivation from node memory."""
from __future__ import annotations

from actors.conferences import ConferenceRegistry
from actors.creation_rate import CreationWindow
from actors.live_rooms import LiveRooms, cluster_cap, node_cap

MiB = 1024 * 1024


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_creation_window_slides():
    w = CreationWindow(60.0)
    assert [w.take("a", 2, t) for t in (0, 1, 2)] == [True, True, False]
    assert w.take("b", 2, 2)                 # per user
    assert not w.take("a", 2, 59.9)
    assert w.take("a", 2, 60.5)              # the first left the window
    w.sweep(500.0)
    assert w.times == {}


def test_may_start_counts_conferences_and_creations():
    clock = Clock()
    reg = ConferenceRegistry(clock=clock)
    holder = ("host", "i1")
    assert reg.reserve(holder, "u@x", "r1@m", 2) and reg.reserve(holder, "u@x", "r2@m", 2)
    assert reg.may_start("u@x", "r3@m", 2, None) == "conferences"
    assert reg.may_start("u@x", "r1@m", 2, None) is None          # already in it
    assert reg.may_start("u@x", "r3@m", None, 1) is None          # no conference limit
    assert reg.may_start("u@x", "r4@m", None, 1) == "rate"
    assert reg.may_start("u@x", "r4@m", None, None) is None       # a wake-up: no rate
    clock.now = 61.0
    assert reg.may_start("u@x", "r4@m", None, 1) is None


def test_live_rooms_count_the_directory_and_pending_starts():
    clock = Clock()
    live = LiveRooms(3, pending_seconds=30.0, clock=clock)
    running = {"a"}
    assert live.admit("b", running, 1) and live.admit("c", running, 1)
    assert not live.admit("d", running, 1)           # 1 running + 2 pending
    assert live.admit("b", running, 1)               # already admitted
    running |= {"b", "c"}                            # the directory now lists them
    assert not live.admit("d", running, 3) and live.pending == {}
    clock.now = 100.0
    running = {"a"}
    assert live.admit("d", running, 1)


def test_the_cap_derives_from_memory_and_placement():
    assert node_cap(1024 * MiB, 0, dense=False) == 9          # 60% of 1 GiB / 64 MiB
    assert node_cap(1024 * MiB, 0, dense=True) == 2457        # / 256 KiB
    assert node_cap(1024 * MiB, 5, dense=False) == 5          # configured
    assert node_cap(0, 0, dense=False) == 1
    assert cluster_cap([1024 * MiB, 2048 * MiB], 0, dense=False) == 9 + 19
