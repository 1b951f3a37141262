"""Entering a room (XEP-0045 §7.1, 7.2) on the pure core."""
from actors.core import commands as c
from actors.core.access import AccessRules
from actors.core.effects import Closed, Deliver, ErrorOut, MessageOut
from actors.core.history import History, stanza_chars, stanza_text
from actors.core.policy import ServicePolicy
from actors.core.roles import Affiliation
from actors.core.room import Room
from actors.core.state import Env, RoomSeed
from gateway.render import render
from tests.core.driver import ROOM, Driver, errors, presences, to

OWNER = "owner@localhost/o"
BOB = "bob@localhost/b"
CAROL = "carol@localhost/c"
ADMIN = "boss@localhost/x"


def configured(**config) -> Driver:
    """An unlocked room whose owner submitted `config` (by field name)."""
    return Driver(seed=RoomSeed(config=config))


def admin_policy(**kw) -> ServicePolicy:
    rules = AccessRules.from_tables({"admin": [{"user": "boss", "server": "localhost"}]},
                                    {"muc_admin": [{"acl": "admin", "value": "allow"}]},
                                    ("localhost",))
    return ServicePolicy("conference.localhost", access_admin="muc_admin", rules=rules, **kw)


def say(d: Driver, jid: str, text: str, mid: str = "m") -> list:
    return d.send(c.Message(jid, "", "groupchat", mid, body=text, payload=f"<body>{text}</body>"))


# 7.2.1 basic protocol -----------------------------------------------------------

def test_self_presence_reflects_the_join_id_others_get_none():
    d = Driver()
    out = d.send(c.Presence(BOB, "Bob", True, muc=True, id="join-1"))
    mine = [p for p in presences(out, BOB) if p.nick == "Bob"]
    assert mine[0].id == "join-1" and 110 in mine[0].codes
    assert [p.id for p in presences(out, OWNER)] == [None]


def test_blank_or_invisible_nick_is_jid_malformed():
    d = Driver()
    for nick in ("", " ", "\t  ", "\u200b", "\u00a0\u2003"):
        assert errors(d.join(BOB, nick), BOB) == ["jid-malformed"], repr(nick)
    assert errors(d.join(BOB, " Bob "), BOB) == []


def test_presence_without_muc_x_from_non_occupant_is_kicked_110_307_333():
    d = Driver()
    out = d.send(c.Presence(BOB, "Bob", True, muc=False))
    [kick] = presences(out, BOB)
    assert kick.unavailable and kick.codes == (110, 307, 333)
    assert (kick.item.affiliation, kick.item.role) == ("none", "none")
    assert kick.item.reason == "You are not in the room."
    assert "Bob" not in d.room.occupants and presences(out, OWNER) == []


def test_presence_without_muc_x_creating_a_room_kicks_and_leaves_no_room():
    fresh = Room.new(ROOM, ServicePolicy("conference.localhost"),
                     RoomSeed(config={"persistent": True}), CAROL, Env(1.0, "u"))
    out = fresh.handle_create(c.Presence(CAROL, "Carol", True, muc=False), Env(2.0, "v"))
    assert presences(out, CAROL)[0].codes == (110, 307, 333)
    assert fresh.closed and any(isinstance(e, Closed) for e in out)


def test_refused_creation_closes_even_a_persistent_seeded_room():
    fresh = Room.new(ROOM, ServicePolicy("conference.localhost"),
                     RoomSeed(config={"persistent": True}), CAROL, Env(1.0, "u"))
    out = fresh.handle_create(c.Presence(CAROL, " ", True, muc=True), Env(2.0, "v"))
    assert errors(out, CAROL) == ["jid-malformed"] and fresh.closed


def test_unavailable_from_non_occupant_is_ignored():
    d = Driver()
    assert d.send(c.Presence(BOB, "Bob", False)) == []


# 7.2.2 - 7.2.4 presence broadcast, anonymity ---------------------------------------

def test_non_anonymous_room_status_100_and_real_jids_to_everyone():
    d = configured(anonymous=False)
    d.join(BOB, "Bob")
    out = d.join(CAROL, "Carol")
    mine = [p for p in presences(out, CAROL) if p.nick == "Carol"][0]
    assert mine.codes == (100, 110)
    assert [p.item.jid for p in presences(out, BOB)] == [CAROL]
    assert {p.nick: p.item.jid for p in presences(out, CAROL)}["Bob"] == BOB


def test_semi_anonymous_room_real_jids_to_moderators_only():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.join(CAROL, "Carol")
    assert [p.item.jid for p in presences(out, OWNER)] == [CAROL]
    assert [p.item.jid for p in presences(out, BOB)] == [None]
    assert {p.nick: p.item.jid for p in presences(out, CAROL)} == \
        {"Owner": None, "Bob": None, "Carol": CAROL}
    assert 100 not in presences(out, CAROL)[-1].codes


def test_logged_room_warns_with_170():
    d = configured(logging=True)
    assert 170 in [p for p in presences(d.join(BOB, "Bob"), BOB) if p.nick == "Bob"][0].codes


def test_presence_broadcast_limits_whose_presence_others_see():
    d = configured(presence_broadcast=["moderator", "participant"], members_by_default=False)
    out = d.join(BOB, "Bob")                      # a visitor: not broadcast
    assert [p.nick for p in presences(out, OWNER)] == []
    assert [p.nick for p in presences(out, BOB)] == ["Owner", "Bob"]
    out = d.join(CAROL, "Carol")
    assert [p.nick for p in presences(out, CAROL)] == ["Owner", "Carol"]   # no Bob
    out = d.send(c.Presence(BOB, "Bob", False))
    assert [p.unavailable for p in presences(out, OWNER)] == [True]       # leaving always shows


# 7.2.5 - 7.2.10 refusals --------------------------------------------------------------

def test_password_protected_room_401_even_for_members_and_owners():
    d = configured(password_protected=True, password="secret")
    d.room.affiliations["bob@localhost"] = Affiliation.OWNER
    assert errors(d.join(BOB, "Bob"), BOB) == ["not-authorized"]
    assert errors(d.join(BOB, "Bob", password="wrong"), BOB) == ["not-authorized"]
    assert errors(d.join(BOB, "Bob", password="secret"), BOB) == []


def test_service_admin_enters_password_protected_and_full_rooms():
    d = Driver(seed=RoomSeed(config={"password_protected": True, "password": "pw",
                                     "max_users": 1}), policy=admin_policy())
    assert errors(d.join(ADMIN, "Boss"), ADMIN) == []
    assert presences(d.join(ADMIN.replace("/x", "/y"), "Boss2"), ADMIN.replace("/x", "/y"))


def test_members_only_407_banned_403():
    d = configured(members_only=True)
    assert errors(d.join(BOB, "Bob"), BOB) == ["registration-required"]
    d.room.affiliations["bob@localhost"] = Affiliation.MEMBER
    d.room.affiliations["carol@localhost"] = Affiliation.OUTCAST
    assert errors(d.join(BOB, "Bob"), BOB) == []
    assert errors(d.join(CAROL, "Carol"), CAROL) == ["forbidden"]


def test_max_users_503_wait_admins_and_owners_up_to_the_threshold():
    d = Driver(seed=RoomSeed(config={"max_users": 2}),
               policy=ServicePolicy("conference.localhost", max_users_admin_threshold=1))
    assert errors(d.join(BOB, "Bob"), BOB) == []
    [err] = [s for s in to(d.join(CAROL, "Carol"), CAROL) if isinstance(s, ErrorOut)]
    assert (err.error.condition, err.error.type) == ("service-unavailable", "wait")
    d.room.affiliations["carol@localhost"] = Affiliation.ADMIN
    assert errors(d.join(CAROL, "Carol"), CAROL) == []
    d.room.affiliations["dan@localhost"] = Affiliation.OWNER
    assert errors(d.join("dan@localhost/d", "Dan"), "dan@localhost/d") == ["service-unavailable"]


def test_nick_conflict_and_registered_nick_409():
    d = Driver()
    d.join(BOB, "Bob")
    assert errors(d.join(CAROL, "Bob"), CAROL) == ["conflict"]
    d.room.extra["nicks"] = {"bob@localhost": "Robert"}
    assert errors(d.join(CAROL, "Robert"), CAROL) == ["conflict"]


def test_locked_room_item_not_found_then_open_after_instant_submit():
    d = Driver(instant=False)
    assert errors(d.join(BOB, "Bob"), BOB) == ["item-not-found"]
    d.send(c.OwnerSet(OWNER, "i1", form=c.Form("submit")))
    assert errors(d.join(BOB, "Bob"), BOB) == []


def test_owner_leaving_a_locked_room_destroys_it():
    d = Driver(seed=RoomSeed(config={"persistent": True}), instant=False)
    out = d.send(c.Presence(OWNER, "Owner", False))
    [gone] = presences(out, OWNER)
    assert gone.unavailable and gone.destroy is not None and 110 in gone.codes
    assert d.room.closed


# 7.1 order, 7.2.13-7.2.15 history and subject -------------------------------------------

def test_join_order_roster_self_history_subject():
    d = Driver()
    d.join(BOB, "Bob")
    say(d, BOB, "one")
    mine = to(d.join(CAROL, "Carol"), CAROL)
    assert [type(s).__name__ for s in mine] == ["PresenceOut"] * 3 + ["MessageOut"] * 2
    assert [s.nick for s in mine[:3]] == ["Owner", "Bob", "Carol"]
    assert mine[3].delay is not None and mine[3].nick == "Bob"
    assert mine[4].subject == "" and mine[4].delay is None


def _history_room(n: int) -> Driver:
    d = Driver()
    d.join(BOB, "Bob")
    for i in range(n):
        say(d, BOB, f"message {i}", f"m{i}")
    return d


def _history(out, jid) -> list[MessageOut]:
    return [s for s in to(out, jid) if isinstance(s, MessageOut) and s.delay is not None]


def test_history_maxstanzas_seconds_since_and_maxchars_zero():
    d = _history_room(5)                     # sent at t0+? one second apart
    first = d.room.history._entries[0].at
    h = lambda **kw: [m.id for m in _history(d.join(CAROL, "Carol", history=c.HistoryRequest(**kw)),
                                              CAROL)]
    leave = lambda: d.send(c.Presence(CAROL, "Carol", False))
    assert h(maxstanzas=2) == ["m3", "m4"]; leave()
    assert h(maxchars=0) == []; leave()
    assert h(maxstanzas=0) == []; leave()
    assert h(since=first + 3) == ["m3", "m4"]; leave()
    now = d.now + 1                           # the next command's clock
    assert h(seconds=int(now - (first + 4))) == ["m4"]; leave()
    assert h(maxstanzas=3, since=first + 3) == ["m3", "m4"]; leave()   # the smallest set
    assert h() == ["m0", "m1", "m2", "m3", "m4"]


def test_history_maxchars_counts_whole_stanzas_as_sent():
    d = _history_room(3)
    full = _history(d.join(CAROL, "Carol"), CAROL)
    d.send(c.Presence(CAROL, "Carol", False))
    sizes = [stanza_chars(m, ROOM, CAROL) for m in full]
    assert sizes[0] > 100                     # the envelope counts, not just the body
    req = c.HistoryRequest(maxchars=sizes[1] + sizes[2])
    assert [m.id for m in _history(d.join(CAROL, "Carol", history=req), CAROL)] == ["m1", "m2"]
    d.send(c.Presence(CAROL, "Carol", False))
    req = c.HistoryRequest(maxchars=sizes[1] + sizes[2] - 1)
    assert [m.id for m in _history(d.join(CAROL, "Carol", history=req), CAROL)] == ["m2"]


def test_stanza_chars_matches_the_renderer_exactly():
    samples = [
        MessageOut("Bob", "groupchat", "m1", "<body>hi</body>", stanza_id="s1",
                   occupant_id="o1", delay=1_000_000.5),
        MessageOut("N&'<>\"", "groupchat", "i'd&", "<body>a &amp; b</body><x xmlns='y'/>",
                   subject="sub<j>\r", stanza_id="s'", occupant_id="o&", delay=0.0),
        MessageOut(None, "groupchat", None, "", subject="", codes=(104, 170)),
        MessageOut("Bob", "groupchat", None, "", body="b\r\n", thread="t&", delay=3.25),
    ]
    for m in samples:
        for recipient in (CAROL, "odd'&\"<@x/\t>"):
            assert stanza_text(m, ROOM, recipient) == render(m, recipient, ROOM)


def test_room_history_length_limits_what_is_sent():
    d = _history_room(5)
    d.room.config = d.room.config.replace(history_length="2")
    assert [m.id for m in _history(d.join(CAROL, "Carol"), CAROL)] == ["m3", "m4"]
    d.send(c.Presence(CAROL, "Carol", False))
    d.room.config = d.room.config.replace(history_length="0")
    assert _history(d.join(CAROL, "Carol"), CAROL) == []


def test_history_keeps_at_most_history_size():
    h = History(2)
    for i in range(4):
        h.add(MessageOut("n", id=str(i)), float(i))
    assert [m.id for m in h.select(None, 10.0)] == ["2", "3"]


def test_subject_is_sent_last_from_its_author():
    d = Driver(seed=RoomSeed(subject="Spells", subject_author="Crone"))
    last = to(d.join(BOB, "Bob"), BOB)[-1]
    assert (last.nick, last.subject, last.delay) == ("Crone", "Spells", None)


def test_subject_change_has_a_stanza_id_and_later_joins_get_its_time():
    d = Driver()
    out = d.send(c.Message(OWNER, "", "groupchat", "s1", subject="Spells"))
    [change] = to(out, OWNER)
    assert change.stanza_id and change.subject == "Spells"
    set_at = d.now
    last = to(d.join(BOB, "Bob"), BOB)[-1]
    assert (last.nick, last.subject, last.delay) == ("Owner", "Spells", set_at)
    assert d.room.snapshot().extra["subject_at"] == set_at       # kept with the room


# 7.2.1 / 17.3 rejoin -------------------------------------------------------------------

def test_rejoin_from_a_joined_session_resends_everything_to_it_only():
    d = Driver()
    d.join(BOB, "Bob")
    say(d, OWNER, "before")
    out = d.send(c.Presence(BOB, "Bob", True, muc=True, id="again"))
    mine = to(out, BOB)
    assert [getattr(s, "nick", None) for s in mine[:2]] == ["Owner", "Bob"]
    assert mine[1].id == "again" and 110 in mine[1].codes
    assert isinstance(mine[2], MessageOut) and mine[2].delay is not None
    assert mine[-1].subject == ""
    assert to(out, OWNER) == []                 # nothing changed for the others
    assert len(d.room.occupants) == 2


def test_rejoin_with_a_new_status_updates_the_others():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(c.Presence(BOB, "Bob", True, muc=True, status="away now"))
    assert [p.status for p in presences(out, OWNER)] == ["away now"]


def test_errors_go_only_to_the_sender():
    d = Driver()
    out = d.join(BOB, "")
    assert all(isinstance(e, Deliver) and e.to == (BOB,) for e in out)
