"""Rate control in a room (rate_limits.py): min_message_interval, min_presence_interval,
user_message_shaper, user_presence_shaper and room_shaper, with a fake clock."""
import pytest

from actors.core import commands as c
from actors.core.effects import MessageOut, PresenceOut, WakeUp
from actors.core.policy import ServicePolicy
from actors.core.rate_limits import ENVELOPE, RATE_EXCEEDED, RateLimits, stanza_size
from actors.core.state import Env
from tests.core.driver import Driver, errors, to

OWNER, BOB, CAROL = "owner@localhost/o", "bob@localhost/b", "carol@localhost/c"


class Clocked:
    """A room whose commands run at chosen times."""

    def __init__(self, **limits):
        self.d = Driver(policy=ServicePolicy("conference.localhost", rates=RateLimits(**limits)))
        self.t = self.d.now + 100.0
        self.n = 0

    def at(self, t: float, cmd) -> list:
        self.n += 1
        return self.d.room.handle(cmd, Env(self.t + t, f"u{self.n}"))

    def join(self, t, jid, nick):
        return self.at(t, c.Presence(jid, nick, True, muc=True))

    def say(self, t, jid, body, **kw):
        return self.at(t, c.Message(jid, "", "groupchat", "m1", body=body,
                                    payload=f"<body>{body}</body>", **kw))

    def tick(self, t):
        return self.at(t, c.Tick())


def bodies(effects, jid):
    return [s.payload for s in to(effects, jid) if isinstance(s, MessageOut) and s.payload]


def wakeups(effects):
    return [e.at for e in effects if isinstance(e, WakeUp)]


# min_message_interval --------------------------------------------------------------------

def test_message_interval_first_goes_early_second_waits_third_is_refused():
    r = Clocked(min_message_interval=2)
    r.join(0, BOB, "Bob")
    assert bodies(r.say(10, BOB, "one"), OWNER) == ["<body>one</body>"]
    held = r.say(10.5, BOB, "two")
    assert bodies(held, OWNER) == [] and errors(held, BOB) == []
    assert wakeups(held) == [r.t + 12]                  # its turn: 2 s after "one"
    refused = r.say(11, BOB, "three")
    assert errors(refused, BOB) == ["resource-constraint"]
    assert to(refused, BOB)[0].error.text == RATE_EXCEEDED
    assert bodies(r.tick(11.9), OWNER) == []            # not yet
    assert bodies(r.tick(12), OWNER) == ["<body>two</body>"]


def test_message_interval_counts_from_when_the_held_message_was_processed():
    r = Clocked(min_message_interval=2)
    r.join(0, BOB, "Bob")
    r.say(10, BOB, "one")
    r.say(10.5, BOB, "two")
    r.tick(12)
    again = r.say(12.5, BOB, "three")                   # 0.5 s after "two" went out
    assert bodies(again, OWNER) == [] and wakeups(again) == [r.t + 14]


def test_message_interval_is_per_occupant_session():
    r = Clocked(min_message_interval=2)
    r.join(0, BOB, "Bob")
    r.join(0, CAROL, "Carol")
    r.say(10, BOB, "bob")
    assert bodies(r.say(10.1, CAROL, "carol"), OWNER) == ["<body>carol</body>"]


def test_interval_zero_is_off_and_no_wakeup_is_asked():
    r = Clocked()
    r.join(0, BOB, "Bob")
    out = [r.say(10, BOB, str(i)) for i in range(5)]
    assert [bodies(o, OWNER) for o in out] == [[f"<body>{i}</body>"] for i in range(5)]
    assert not any(wakeups(o) for o in out)


def test_private_messages_and_non_occupants_are_not_shaped():
    r = Clocked(min_message_interval=5)
    r.join(0, BOB, "Bob")
    r.say(10, BOB, "one")
    pm = r.at(10.1, c.Message(BOB, "Owner", "chat", "pm", body="hi", payload="<body>hi</body>"))
    assert bodies(pm, OWNER) == ["<body>hi</body>"]
    stranger = r.say(10.2, CAROL, "x")
    assert errors(stranger, CAROL) == ["not-acceptable"]


def test_a_held_message_from_someone_who_left_is_refused_when_its_turn_comes():
    r = Clocked(min_message_interval=2)
    r.join(0, BOB, "Bob")
    r.say(10, BOB, "one")
    r.say(10.5, BOB, "two")
    r.at(11, c.Presence(BOB, "Bob", False))
    assert errors(r.tick(12), BOB) == ["not-acceptable"]


# min_presence_interval -------------------------------------------------------------------

def test_presence_interval_only_the_latest_early_presence_is_broadcast():
    r = Clocked(min_presence_interval=2)
    r.join(0, BOB, "Bob")
    first = r.at(0.5, c.Presence(BOB, "Bob", True, status="away 1"))
    assert [p for p in to(first, OWNER) if isinstance(p, PresenceOut)] == []
    assert wakeups(first) == [r.t + 2]
    r.at(0.6, c.Presence(BOB, "Bob", True, status="away 2"))
    third = r.at(0.7, c.Presence(BOB, "Bob", True, status="away 3"))
    assert wakeups(third) == []                        # already asked
    out = r.tick(2)
    assert [p.status for p in to(out, OWNER) if isinstance(p, PresenceOut)] == ["away 3"]


def test_presence_on_time_is_processed_at_once():
    r = Clocked(min_presence_interval=2)
    r.join(0, BOB, "Bob")
    out = r.at(2, c.Presence(BOB, "Bob", True, status="back"))
    assert [p.status for p in to(out, OWNER) if isinstance(p, PresenceOut)] == ["back"]


def test_an_early_leave_replaces_a_waiting_update_and_happens_at_its_turn():
    r = Clocked(min_presence_interval=2)
    r.join(0, BOB, "Bob")
    r.at(0.5, c.Presence(BOB, "Bob", True, status="busy"))
    r.at(0.6, c.Presence(BOB, "Bob", False))
    assert "Bob" in r.d.room.occupants
    out = r.tick(2)
    assert [p.unavailable for p in to(out, OWNER) if isinstance(p, PresenceOut)] == [True]
    assert "Bob" not in r.d.room.occupants


# shapers ---------------------------------------------------------------------------------

def test_user_message_shaper_holds_a_message_over_its_rate():
    r = Clocked(user_message_rate=1000)
    r.join(0, BOB, "Bob")
    big = "x" * 1500
    held = r.say(10, BOB, big)
    assert bodies(held, OWNER) == []
    size = stanza_size(c.Message(BOB, "", "groupchat", "m1", body=big,
                                 payload=f"<body>{big}</body>"))
    assert wakeups(held) == [pytest.approx(r.t + 10 + (size - 1000) / 1000)]
    assert errors(r.say(10.1, BOB, "small"), BOB) == ["resource-constraint"]
    assert bodies(r.tick(10 + (size - 1000) / 1000), OWNER) == [f"<body>{big}</body>"]


def test_user_presence_shaper_holds_a_presence_over_its_rate():
    r = Clocked(user_presence_rate=300)
    r.join(0, BOB, "Bob")                      # the join uses most of Bob's tokens
    out = r.at(0.1, c.Presence(BOB, "Bob", True, status="s" * 200))
    assert [p for p in to(out, OWNER) if isinstance(p, PresenceOut)] == []
    (due,) = wakeups(out)
    done = r.tick(due - r.t)
    assert [p.status for p in to(done, OWNER) if isinstance(p, PresenceOut)] == ["s" * 200]


def test_room_shaper_queues_other_users_in_arrival_order():
    r = Clocked(room_rate=1000)
    r.join(0, BOB, "Bob")
    r.join(0, CAROL, "Carol")
    body = "y" * 850
    assert bodies(r.say(100, BOB, body), OWNER) == [f"<body>{body}</body>"]
    carol = r.say(100, CAROL, "c1")            # the room is out of tokens: queued
    owner = r.at(100, c.Message(OWNER, "", "groupchat", "o1", body="o1", payload="<body>o1</body>"))
    assert bodies(carol, OWNER) == bodies(owner, OWNER) == []
    assert errors(r.say(100, CAROL, "c2"), CAROL) == ["resource-constraint"]
    (due,) = wakeups(carol)
    out = r.tick(due - r.t + 1)                 # enough tokens for both by then
    assert bodies(out, BOB) == ["<body>c1</body>", "<body>o1</body>"]
    ids = [s.stanza_id for s in to(out, BOB) if isinstance(s, MessageOut)]
    assert len(set(ids)) == 2


def test_a_tick_with_nothing_due_does_nothing():
    r = Clocked(min_message_interval=1)
    r.join(0, BOB, "Bob")
    assert r.tick(5) == []


def test_idle_sessions_are_forgotten():
    r = Clocked(min_message_interval=1, user_message_rate=10_000)
    r.join(0, BOB, "Bob")
    r.say(10, BOB, "one")
    r.say(10.2, BOB, "two")
    r.tick(11)
    r.tick(20)
    assert r.d.room.rate_control.sessions == {}


def test_stanza_size_counts_utf8_payload_subject_status_and_envelope():
    m = c.Message(BOB, "", "groupchat", "id1", body="é", payload="<body>é</body>", subject="s")
    assert stanza_size(m) == ENVELOPE + len(BOB) + len("id1") + len("<body>é</body>".encode()) + 1
    p = c.Presence(BOB, "Bob", True, status="zz", payload="<show>away</show>")
    assert stanza_size(p) == ENVELOPE + len(BOB) + 3 + len("<show>away</show>") + 2


def test_a_join_is_never_held_and_starts_the_interval():
    r = Clocked(min_presence_interval=2)
    r.join(0, BOB, "Bob")
    r.at(0.5, c.Presence(BOB, "Bob", False))           # held: Bob is still in
    r.tick(2)
    assert "Bob" not in r.d.room.occupants
    back = r.join(2.1, BOB, "Bob")                      # a rejoin 0.1 s after leaving
    assert any(110 in p.codes for p in to(back, BOB) if isinstance(p, PresenceOut))
    update = r.at(2.2, c.Presence(BOB, "Bob", True, status="hi"))
    assert wakeups(update) == [r.t + 4.1]
