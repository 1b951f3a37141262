"""Nick changes (§7.6), status changes (§7.7), leaving (§7.14) and ghosts (§18.1.2,
status 333) in the pure room core."""
from actors.core import commands as c
from actors.core.effects import Closed, LogEvent, PresenceOut
from actors.core.state import RoomSeed
from tests.core.driver import Driver, errors, presences, to

OWNER = "owner@localhost/o"
BOB = "bob@localhost/b"
CAROL = "carol@localhost/c"

VISITORS = {"members_by_default": False}       # moderated by default: newcomers are visitors


def presence(jid, nick, available=True, status=None, payload=""):
    return c.Presence(jid, nick, available, status=status, payload=payload)


# Nick changes ------------------------------------------------------------------------

def test_nick_change_sends_303_with_the_new_nick_then_the_new_presence_to_everyone():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(presence(BOB, "Robert"))
    for jid in (OWNER, BOB):
        old, new = presences(out, jid)
        assert (old.nick, old.unavailable, old.item.nick) == ("Bob", True, "Robert")
        assert 303 in old.codes and old.item.role == "participant"
        assert (new.nick, new.unavailable) == ("Robert", False)
    assert 110 in presences(out, BOB)[0].codes and 110 not in presences(out, OWNER)[0].codes
    assert "Robert" in d.room.occupants and "Bob" not in d.room.occupants
    assert d.room.occupant_of(BOB).nick == "Robert"


def test_nick_change_to_an_occupied_or_reserved_nick_is_conflict():
    d = Driver()
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    assert errors(d.send(presence(BOB, "Carol")), BOB) == ["conflict"]
    d.room.extra["nicks"] = {"dave@localhost": "Dave"}
    assert errors(d.send(presence(BOB, "Dave")), BOB) == ["conflict"]
    assert d.room.occupant_of(BOB).nick == "Bob"


def test_nick_change_to_ones_own_reserved_nick_is_allowed():
    d = Driver()
    d.room.extra["nicks"] = {"bob@localhost": "Robert"}
    d.join(BOB, "Bob")
    assert errors(d.send(presence(BOB, "Robert")), BOB) == []
    assert d.room.occupant_of(BOB).nick == "Robert"


def test_blank_new_nick_is_jid_malformed():
    d = Driver()
    d.join(BOB, "Bob")
    assert errors(d.send(presence(BOB, " \u200b ")), BOB) == ["jid-malformed"]


def test_visitor_nick_change_refused_when_allow_visitor_nickchange_is_off():
    d = Driver(seed=RoomSeed(config={**VISITORS, "allow_visitor_nickchange": False}))
    d.join(BOB, "Bob")
    out = d.send(presence(BOB, "Robert"))
    assert errors(out, BOB) == ["not-allowed"]
    assert presences(out, OWNER) == []
    # participants (here the owner) still may
    assert errors(d.send(presence(OWNER, "Boss")), OWNER) == []


def test_visitor_nick_change_allowed_by_default():
    d = Driver(seed=RoomSeed(config=VISITORS))
    d.join(BOB, "Bob")
    assert errors(d.send(presence(BOB, "Robert")), BOB) == []


def test_nick_change_moves_every_session_of_the_occupant():
    d = Driver(seed=RoomSeed(config={"allow_multiple_sessions": True}))
    d.join(BOB, "Bob")
    d.join("bob@localhost/phone", "Bob")
    out = d.send(presence(BOB, "Robert"))
    assert d.room.occupants["Robert"].sessions == (BOB, "bob@localhost/phone")
    assert [p.nick for p in presences(out, "bob@localhost/phone")] == ["Bob", "Robert"]


def test_another_session_must_give_the_password_too():
    d = Driver(seed=RoomSeed(config={"allow_multiple_sessions": True, "password_protected": True,
                                     "password": "cauldron"}))
    d.join(BOB, "Bob", password="cauldron")
    assert errors(d.join("bob@localhost/phone", "Bob"), "bob@localhost/phone") == ["not-authorized"]
    assert d.room.occupants["Bob"].sessions == (BOB,)
    assert errors(d.join("bob@localhost/phone", "Bob", password="cauldron"),
                  "bob@localhost/phone") == []
    assert d.room.occupants["Bob"].sessions == (BOB, "bob@localhost/phone")


def test_another_session_enters_a_full_room_it_is_already_in():
    d = Driver(seed=RoomSeed(config={"allow_multiple_sessions": True, "max_users": 2}))
    d.join(BOB, "Bob")
    assert errors(d.join(CAROL, "Carol"), CAROL) == ["service-unavailable"]     # full
    assert errors(d.join("bob@localhost/phone", "Bob"), "bob@localhost/phone") == []
    assert d.room.occupants["Bob"].sessions == (BOB, "bob@localhost/phone")


# Status changes -------------------------------------------------------------------------

def test_status_change_is_broadcast_with_show_and_status():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(presence(BOB, "Bob", status="gone where the goblins go",
                          payload="<show>xa</show>"))
    for jid in (OWNER, BOB):
        [p] = presences(out, jid)
        assert (p.status, p.payload) == ("gone where the goblins go", "<show>xa</show>")
    assert d.room.occupants["Bob"].status == "gone where the goblins go"


def test_visitor_status_text_stripped_when_allow_visitor_status_is_off():
    d = Driver(seed=RoomSeed(config={**VISITORS, "allow_visitor_status": False}))
    d.join(BOB, "Bob", status="hello")
    out = d.send(presence(BOB, "Bob", status="buy cheap stuff", payload="<show>away</show>"))
    [p] = presences(out, OWNER)
    assert p.status is None and p.payload == "<show>away</show>"
    # nor on a nick change, nor in the exit message
    out = d.send(presence(BOB, "Robert", status="spam again"))
    assert all(p.status is None for p in presences(out, OWNER))
    out = d.send(presence(BOB, "Robert", available=False, status="bye spam"))
    assert [p.status for p in presences(out, OWNER)] == [None]
    # the owner (a moderator) keeps its status text
    [p] = presences(d.send(presence(OWNER, "Owner", status="here")), OWNER)
    assert p.status == "here"


def test_visitor_status_kept_when_allowed():
    d = Driver(seed=RoomSeed(config=VISITORS))
    d.join(BOB, "Bob")
    [p] = presences(d.send(presence(BOB, "Bob", status="hi")), OWNER)
    assert p.status == "hi"


# Leaving -------------------------------------------------------------------------------------

def test_exit_with_a_status_text_reaches_everyone_with_role_none():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(presence(BOB, "Bob", available=False, status="off to bed"))
    [mine] = presences(out, BOB)
    [theirs] = presences(out, OWNER)
    assert mine.unavailable and 110 in mine.codes and mine.item.role == "none"
    assert theirs.unavailable and 110 not in theirs.codes and theirs.item.role == "none"
    assert mine.status == theirs.status == "off to bed"
    assert "Bob" not in d.room.occupants and d.room.occupant_of(BOB) is None


def test_unavailable_from_a_non_occupant_is_ignored():
    d = Driver()
    assert d.send(presence(CAROL, "Carol", available=False)) == []


def test_last_occupant_leaving_a_temporary_room_closes_it():
    d = Driver()
    out = d.send(presence(OWNER, "Owner", available=False))
    assert any(isinstance(e, Closed) for e in out)
    assert errors(d.join(BOB, "Bob"), BOB) == ["item-not-found"]


def test_last_occupant_leaving_a_persistent_room_keeps_it():
    d = Driver(seed=RoomSeed(config={"persistent": True}))
    out = d.send(presence(OWNER, "Owner", available=False))
    assert not any(isinstance(e, Closed) for e in out)
    assert errors(d.join(BOB, "Bob"), BOB) == []


# Several sessions under one nick -------------------------------------------------------------

def multi():
    d = Driver(seed=RoomSeed(config={"allow_multiple_sessions": True, "anonymous": False}))
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    return d


def test_second_session_joins_the_nick_without_the_others_hearing_of_it():
    d = multi()
    out = d.join("bob@localhost/phone", "Bob")
    assert presences(out, OWNER) == [] and presences(out, CAROL) == []
    mine = presences(out, "bob@localhost/phone")
    assert [p.nick for p in mine] == ["Owner", "Carol", "Bob"] and 110 in mine[-1].codes
    assert presences(out, BOB) == []
    assert d.room.occupants["Bob"].sessions == (BOB, "bob@localhost/phone")


def test_second_session_refused_when_multiple_sessions_are_off():
    d = Driver()
    d.join(BOB, "Bob")
    assert errors(d.join("bob@localhost/phone", "Bob"), "bob@localhost/phone") == ["conflict"]


def test_groupchat_reaches_every_session_and_the_room_counts_one_occupant():
    d = multi()
    d.join("bob@localhost/phone", "Bob")
    out = d.send(c.Message(CAROL, "", "groupchat", "g1", body="hi", payload="<body>hi</body>"))
    assert to(out, BOB) and to(out, "bob@localhost/phone")
    assert len(d.room.occupants) == 3


def test_one_session_leaving_tells_only_that_session():
    d = multi()
    d.join("bob@localhost/phone", "Bob")
    out = d.send(presence("bob@localhost/phone", "Bob", available=False))
    [gone] = presences(out, "bob@localhost/phone")
    assert gone.unavailable and 110 in gone.codes
    assert presences(out, CAROL) == [] and presences(out, BOB) == []
    assert d.room.occupants["Bob"].sessions == (BOB,)
    out = d.send(presence(BOB, "Bob", available=False))
    assert [p.unavailable for p in presences(out, CAROL)] == [True]
    assert "Bob" not in d.room.occupants


def test_the_shown_session_leaving_shows_the_next_ones_jid_to_jid_seers():
    d = multi()
    d.join("bob@localhost/phone", "Bob")
    out = d.send(presence(BOB, "Bob", available=False))
    [p] = presences(out, CAROL)         # non-anonymous room: everyone sees real JIDs
    assert not p.unavailable and p.item.jid == "bob@localhost/phone"
    assert presences(out, "bob@localhost/phone") == []
    [gone] = presences(out, BOB)
    assert gone.unavailable


def test_the_shown_session_leaving_a_semi_anonymous_room_tells_moderators_only():
    d = Driver(seed=RoomSeed(config={"allow_multiple_sessions": True}))
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    d.join("bob@localhost/phone", "Bob")
    out = d.send(presence(BOB, "Bob", available=False))
    assert presences(out, CAROL) == []
    [p] = presences(out, OWNER)
    assert p.item.jid == "bob@localhost/phone"


# Ghosts ------------------------------------------------------------------------------------

def ghost_error(jid, kind, condition, nick=""):
    return c.StanzaError(jid, kind, condition, nick)


def test_message_delivery_error_removes_the_ghost_with_333():
    d = Driver()
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    out = d.send(ghost_error(BOB, "message", "service-unavailable"))
    [theirs] = presences(out, CAROL)
    assert theirs.unavailable and theirs.codes == (333,) and theirs.item.role == "none"
    assert "service unavailable" in theirs.status
    [mine] = presences(out, BOB)
    assert mine.codes == (110, 333)
    assert "Bob" not in d.room.occupants
    assert not any(isinstance(s, PresenceOut) and 307 in s.codes for s in to(out, CAROL))


def test_presence_error_removes_the_ghost_whatever_the_condition():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(ghost_error(BOB, "presence", "not-acceptable"))
    assert [p.codes for p in presences(out, OWNER)] == [(333,)]


def test_private_message_bounce_removes_the_bouncing_occupant():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(ghost_error(BOB, "message", "recipient-unavailable", nick="Owner"))
    assert [p.codes for p in presences(out, OWNER)] == [(333,)]


def test_message_error_that_is_no_delivery_failure_keeps_the_occupant():
    d = Driver()
    d.join(BOB, "Bob")
    assert d.send(ghost_error(BOB, "message", "not-acceptable")) == []
    assert d.send(ghost_error(BOB, "message", "policy-violation")) == []
    assert "Bob" in d.room.occupants


def test_errors_from_non_occupants_are_dropped_silently():
    d = Driver()
    assert d.send(ghost_error(CAROL, "presence", "gone")) == []
    assert d.send(ghost_error(CAROL, "message", "gone")) == []


def test_ghost_session_of_a_multi_session_occupant_leaves_alone():
    d = Driver(seed=RoomSeed(config={"allow_multiple_sessions": True}))
    d.join(BOB, "Bob")
    d.join("bob@localhost/phone", "Bob")
    out = d.send(ghost_error("bob@localhost/phone", "message", "remote-server-not-found"))
    assert presences(out, OWNER) == []
    assert d.room.occupants["Bob"].sessions == (BOB,)


def test_ghost_removal_is_logged_as_a_leave():
    d = Driver(seed=RoomSeed(config={"logging": True}))
    d.join(BOB, "Bob")
    out = d.send(ghost_error(BOB, "message", "gone"))
    assert [e.kind for e in out if isinstance(e, LogEvent)] == ["leave"]


def test_ghost_owner_of_a_locked_room_takes_the_room_with_it():
    d = Driver(instant=False)
    out = d.send(ghost_error(OWNER, "presence", "remote-server-timeout"))
    assert any(isinstance(e, Closed) for e in out)
