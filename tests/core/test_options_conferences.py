"""max_user_conferences: the cluster-wide registry's counting and its fault contract
(leases, restarted hosts, rooms moving host), on a fake clock. The Ray wiring is
exercised end to end in tests/e2e/test_options_limits.py."""
from __future__ import annotations

from actors.conferences import ConferenceRegistry

A = ("room-host-001", "inc-a")
B = ("room-host-002", "inc-b")
ALICE = "alice@localhost"


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def registry(lease=60.0):
    clock = Clock()
    return ConferenceRegistry(lease, clock), clock


def test_nth_room_admitted_n_plus_1th_refused_across_hosts():
    r, _ = registry()
    assert r.reserve(A, ALICE, "r1@muc", 3)
    assert r.reserve(B, ALICE, "r2@muc", 3)
    assert r.reserve(A, ALICE, "r3@muc", 3)
    assert not r.reserve(B, ALICE, "r4@muc", 3)
    assert r.count(ALICE) == 3
    assert r.reserve(B, "bob@localhost", "r4@muc", 3)      # counted per user


def test_same_room_again_takes_no_second_slot():
    r, _ = registry()
    assert r.reserve(A, ALICE, "r1@muc", 1)
    assert r.reserve(A, ALICE, "r1@muc", 1)
    assert r.count(ALICE) == 1


def test_release_frees_a_slot_and_is_idempotent():
    r, _ = registry()
    r.reserve(A, ALICE, "r1@muc", 1)
    assert not r.reserve(A, ALICE, "r2@muc", 1)
    r.release(A, ALICE, "r1@muc")
    r.release(A, ALICE, "r1@muc")
    assert r.reserve(A, ALICE, "r2@muc", 1)


def test_limit_zero_admits_nobody():
    r, _ = registry()
    assert not r.reserve(A, ALICE, "r1@muc", 0)


def test_a_stale_release_from_the_old_host_keeps_the_new_reservation():
    r, _ = registry()
    r.reserve(A, ALICE, "r1@muc", 2)
    r.reserve(B, ALICE, "r1@muc", 2)          # the room moved to host B
    r.release(A, ALICE, "r1@muc")             # A's late release must not free B's
    assert r.count(ALICE) == 1
    assert r.held[B] == {(ALICE, "r1@muc")} and not r.held.get(A)


def test_restarted_host_drops_what_its_predecessor_held():
    r, _ = registry()
    r.reserve(A, ALICE, "r1@muc", 1)
    restarted = (A[0], "inc-new")
    assert r.drop_predecessors(*restarted) == 1
    assert r.reserve(restarted, ALICE, "r2@muc", 1)
    assert r.drop_predecessors(*restarted) == 0          # never drops itself


def test_expired_lease_stops_counting_renewal_keeps_it():
    r, clock = registry(lease=60)
    r.reserve(A, ALICE, "r1@muc", 1)
    r.reserve(B, "bob@localhost", "r2@muc", 1)
    clock.now += 50
    r.renew(B, [("bob@localhost", "r2@muc")])
    clock.now += 20                                      # A silent for 70 s, B for 20 s
    assert r.reserve(B, ALICE, "r3@muc", 1)              # A's reservation expired
    assert not r.reserve(A, "bob@localhost", "r4@muc", 1)   # B's still counts


def test_renew_replaces_the_holders_entries_and_rebuilds_a_restarted_registry():
    r, _ = registry()
    r.reserve(A, ALICE, "r1@muc", 5)
    r.reserve(A, ALICE, "r2@muc", 5)
    r.renew(A, [(ALICE, "r2@muc"), (ALICE, "r3@muc")])   # r1's release was lost
    assert set(r.rooms_of[ALICE]) == {"r2@muc", "r3@muc"}
    fresh, _ = registry()                                 # Ray restarted it empty
    fresh.renew(A, [(ALICE, "r2@muc"), (ALICE, "r3@muc")])
    assert not fresh.reserve(B, ALICE, "r4@muc", 2)


def test_sweep_forgets_expired_holders():
    r, clock = registry(lease=30)
    r.reserve(A, ALICE, "r1@muc", 5)
    clock.now += 31
    r.renew(B, [])
    assert A not in r.held and A not in r.expiry
    counts = {k: v for k, v in r.stats().items() if k in ("users", "holders", "reservations")}
    assert counts == {"users": 0, "holders": 0, "reservations": 0}


def test_a_restarted_registry_cannot_say_until_the_hosts_have_renewed():
    clock = Clock()
    r = ConferenceRegistry(60.0, clock, warming=22.0)
    assert r.reserve(A, ALICE, "r1@muc", 2) is None        # fail closed: not admitted
    r.renew(A, [(ALICE, "r1@muc"), (ALICE, "r2@muc")])    # a host tells what it holds
    assert r.reserve(A, ALICE, "r1@muc", 2) is True         # already counted: a resync
    assert r.reserve(B, ALICE, "r3@muc", 2) is False        # at the limit already
    assert r.reserve(B, "bob@localhost", "r3@muc", 2) is None
    clock.now += 22.5
    assert r.reserve(B, "bob@localhost", "r3@muc", 2) is True
    assert ConferenceRegistry(60.0, clock).reserve(A, ALICE, "r1@muc", 1) is True   # first start


def test_while_warming_may_start_cannot_say_either():
    r = ConferenceRegistry(60.0, Clock(), warming=22.0)
    assert r.may_start("bob@localhost", "r3@muc", 2, None) == "unknown"   # no process started
    r.renew(A, [("bob@localhost", "r1@muc"), ("bob@localhost", "r2@muc")])
    assert r.may_start("bob@localhost", "r3@muc", 2, None) == "conferences"
    assert r.may_start("bob@localhost", "r3@muc", None, 10) is None       # no limit: a rate only


def test_relearning_ends_the_warming_once_every_listed_host_has_renewed():
    clock = Clock()
    r = ConferenceRegistry(60.0, clock, warming=22.0)
    holders = {"room-host-001": A, "room-host-002": B}
    held = {A: [(ALICE, "r1@muc")], B: [(ALICE, "r2@muc")]}

    def renew_all(names):
        for name in names:
            r.renew(holders[name], held[holders[name]])
        return True
    assert r.relearn(lambda: sorted(holders), renew_all) is True
    assert clock() >= r.warm_until
    assert r.reserve(A, ALICE, "r3@muc", 2) is False                      # counted: refused
    assert r.reserve(A, "bob@localhost", "r3@muc", 2) is True             # known: admitted


def test_relearning_keeps_the_timer_when_the_directory_or_a_host_cannot_vouch():
    for hosts, renewed in ((lambda: None, True), (lambda: ["h"], False)):
        r = ConferenceRegistry(60.0, Clock(), warming=22.0)
        assert r.relearn(hosts, lambda names: renewed) is False
        assert r.reserve(A, "bob@localhost", "r3@muc", 2) is None         # still fail closed

    def broken():
        raise TimeoutError("supervisor")
    r = ConferenceRegistry(60.0, Clock(), warming=22.0)
    assert r.relearn(broken, lambda names: True) is False
    assert r.may_start("bob@localhost", "r3@muc", 2, None) == "unknown"
