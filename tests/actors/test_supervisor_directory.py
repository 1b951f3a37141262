"""The live room directory (actors/directory.py) with a fake clock: events, renewals,
restarts, leases, incarnations, deep-hibernation candidates and gauges."""
from __future__ import annotations

from actors.directory import Directory, EventKind, RoomEvent, RoomInfo

A, B = ("host-a", "inc-1"), ("host-b", "inc-1")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def room(jid, **kw) -> RoomInfo:
    return RoomInfo(jid, **kw)


def opened(info) -> RoomEvent:
    return RoomEvent(EventKind.OPENED, info.jid, info)


def test_events_open_change_and_close_rooms():
    d = Directory(lease=90, clock=Clock())
    d.apply(A, [opened(room("a@muc.x", title="A", occupants=1)),
                opened(room("b@muc.x", public=False))])
    d.apply(A, [RoomEvent(EventKind.CHANGED, "a@muc.x", room("a@muc.x", title="A2"))])
    assert [(i.jid, i.title, i.public) for i in d.list_rooms("muc.x")] == \
        [("a@muc.x", "A2", True), ("b@muc.x", "", False)]
    d.apply(A, [RoomEvent(EventKind.CLOSED, "b@muc.x")])
    assert [i.jid for i in d.list_rooms()] == ["a@muc.x"]
    assert d.list_rooms("other.x") == []


def test_a_late_close_from_an_old_incarnation_keeps_the_new_entry():
    d = Directory(lease=90, clock=Clock())
    old, new = ("r@muc.x", "inc-old"), ("r@muc.x", "inc-new")
    d.apply(old, [opened(room("r@muc.x"))])
    d.apply(new, [RoomEvent(EventKind.RECREATED, "r@muc.x", room("r@muc.x"))])
    d.apply(old, [RoomEvent(EventKind.DEEP_HIBERNATED, "r@muc.x")])
    assert d.holder_of("r@muc.x") == new


def test_renewal_replaces_a_hosts_rooms_and_reset_drops_a_crashed_predecessors():
    d = Directory(lease=90, clock=Clock())
    d.apply(A, [opened(room("a@muc.x")), opened(room("gone@muc.x"))])
    d.apply(B, [opened(room("b@muc.x"))])
    d.renew(A, [room("a@muc.x", occupants=3), room("missed@muc.x")])
    assert [(i.jid, i.occupants) for i in d.list_rooms()] == \
        [("a@muc.x", 3), ("b@muc.x", 0), ("missed@muc.x", 0)]
    lost = d.reset("host-a", "inc-2")                 # Ray restarted host-a
    assert sorted((i.jid, i.occupants) for i in lost) == [("a@muc.x", 3), ("missed@muc.x", 0)]
    assert [i.jid for i in d.list_rooms()] == ["b@muc.x"]


def test_a_silent_host_expires_after_its_lease():
    clock = Clock()
    d = Directory(lease=90, clock=clock)
    d.apply(A, [opened(room("a@muc.x"))])
    clock.now += 60
    d.renew(B, [room("b@muc.x")])
    clock.now += 40
    assert d.expire() == {A: [room("a@muc.x")]}
    assert [i.jid for i in d.list_rooms()] == ["b@muc.x"]


def test_candidates_are_persistent_rooms_hibernated_long_enough_with_owners_only():
    clock = Clock()
    d = Directory(lease=1000, clock=clock)

    def hib(jid, **kw):
        return RoomEvent(EventKind.HIBERNATED, jid, room(jid, hibernated=True, **kw))
    d.apply(A, [hib("keep@muc.x", persistent=True),
                hib("temp@muc.x", persistent=False),
                hib("busy@muc.x", persistent=True, owners_only=False, occupants=2),
                opened(room("awake@muc.x", persistent=True))])
    clock.now += 5
    d.apply(A, [hib("late@muc.x", persistent=True)])
    assert d.candidates(4.0) == [("keep@muc.x", A)]
    clock.now += 4
    assert sorted(j for j, _ in d.candidates(4.0)) == ["keep@muc.x", "late@muc.x"]
    d.busy.add("keep@muc.x")                         # a call in flight is not repeated
    assert [j for j, _ in d.candidates(4.0)] == ["late@muc.x"]
    d.apply(A, [RoomEvent(EventKind.WOKE, "late@muc.x", room("late@muc.x", persistent=True))])
    assert d.candidates(4.0) == []
    # a renewal keeps the time a room went to sleep (as the host measured it)
    d.renew(A, [room("keep@muc.x", persistent=True, hibernated=True, hibernated_for=9.0)])
    assert d.list_rooms()[0].hibernated_for == 9.0


def test_gauges_count_online_and_hibernated_rooms_by_host_type():
    d = Directory(lease=1000, clock=Clock())
    d.apply(A, [opened(room("a@muc.one")), opened(room("b@muc.one")),
                RoomEvent(EventKind.HIBERNATED, "c@muc.two", room("c@muc.two", hibernated=True))])
    label = {"muc.one": "one", "muc.two": "two"}.get
    assert d.gauges(label) == {"one": (2, 0), "two": (1, 1)}


def test_changed_since_moves_only_when_a_report_changes_the_room():
    clock = Clock()
    d = Directory(lease=90, clock=clock)
    d.apply(A, [opened(room("a@muc.x", occupants=1))])
    clock.now += 10
    d.renew(A, [room("a@muc.x", occupants=1)])                # same info: no change
    [(info, changed_ago, hib)] = d.changed_since(10)
    assert (info.occupants, changed_ago, hib) == (1, 10, 0)
    d.apply(A, [RoomEvent(EventKind.HIBERNATED, "a@muc.x",
                          room("a@muc.x", occupants=1, hibernated=True))])
    clock.now += 5
    d.renew(A, [room("a@muc.x", occupants=1, hibernated=True, hibernated_for=5)])
    [(info, changed_ago, hib)] = d.changed_since(10)
    assert (info.hibernated, changed_ago, hib) == (True, 5, 5)
    d.apply(B, [opened(room("b@muc.x"))])
    assert [i.jid for i, _c, _h in d.changed_since(1)] == ["a@muc.x"]


def test_a_room_is_listed_with_its_host_s_node_and_moves_with_a_restart():
    d = Directory(lease=90, clock=Clock())
    d.apply(("h", "inc-1", "node-1"), [opened(room("r@muc.x", occupants=1,
                                                   sessions=(("u@x/r", "U"),)))])
    assert [i.node for i in d.list_rooms()] == ["node-1"]
    lost = d.reset("h", "inc-2")                   # restarted on another node
    assert [i.sessions for i in lost] == [(("u@x/r", "U"),)] and d.list_rooms() == []
    assert sorted(d.expiry) == []                  # the lost incarnation's lease is gone
    d.apply(("h", "inc-2", "node-2"), [opened(room("r@muc.x"))])
    assert [i.node for i in d.list_rooms()] == ["node-2"]
    assert [i.node for i in Directory(90).list_rooms()] == []
    d.apply(A, [opened(room("old@muc.x"))])        # a two-part holder (older host): no node
    assert {i.jid: i.node for i in d.list_rooms()}["old@muc.x"] == ""


def test_a_lost_temporary_room_is_announced_gone_not_to_rejoin():
    from actors.core.replies import lost_state, room_gone
    [gone] = room_gone([("u@x/r", "U")])
    assert gone.to == ("u@x/r",) and gone.stanza.unavailable and gone.stanza.codes == (110,)
    assert gone.stanza.destroy is not None and gone.stanza.destroy.reason
    [kept] = lost_state([("u@x/r", "U")])
    assert set(kept.stanza.codes) == {110, 332} and kept.stanza.destroy is None
