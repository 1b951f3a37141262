"""Room logging in the core: who may turn it on (mod_muc_log access_log), the 170/171
announcements, and the LogEvents the room emits for the shell to write."""
from actors.core import commands as c
from actors.core.access import AccessRules
from actors.core.effects import FormResult, IqResult, LogEvent, MessageOut
from actors.core.policy import ServicePolicy
from actors.core.state import RoomSeed
from tests.core.driver import Driver, errors, to

OWNER, BOB, CAROL = "owner@localhost/o", "bob@localhost/b", "carol@localhost/c"
ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig"
ENABLE = "muc#roomconfig_enablelogging"
RULES = AccessRules.from_tables({"loggers": [{"user": "owner", "server": "localhost"}]},
                                {"muc_log": [{"acl": "loggers", "value": "allow"}]},
                                ("localhost",))


def room(access_log="muc_log", logging_available=True, **config) -> Driver:
    policy = ServicePolicy("conference.localhost", rules=RULES, access_log=access_log,
                           logging_available=logging_available)
    return Driver(seed=RoomSeed(config=config), policy=policy)


def submit(d: Driver, *fields) -> list:
    return d.send(c.OwnerSet(OWNER, "cfg", form=c.Form("submit", (("FORM_TYPE", (ROOMCONFIG,)),)
                                                       + tuple(fields))))


def form_vars(d: Driver) -> set[str]:
    [res] = [s for s in to(d.send(c.OwnerGet(OWNER, "get")), OWNER) if isinstance(s, IqResult)]
    assert isinstance(res.payload, FormResult)
    return {f.var for f in res.payload.fields}


def logs(effects) -> list[tuple[str, str, str]]:
    return [(e.kind, e.nick, e.text) for e in effects if isinstance(e, LogEvent)]


def codes_to(effects, jid) -> list[tuple[int, ...]]:
    return [s.codes for s in to(effects, jid) if isinstance(s, MessageOut) and s.codes]


def test_an_owner_matching_access_log_sees_the_field_and_turns_logging_on_with_170():
    d = room()
    d.join(BOB, "Bob")
    assert ENABLE in form_vars(d)
    out = submit(d, (ENABLE, ("1",)))
    assert errors(out, OWNER) == [] and d.room.config.logging
    assert codes_to(out, BOB) == [(104, 170)]
    assert [k for k, _, _ in logs(out)] == ["config"]


def test_an_owner_access_log_denies_is_not_shown_the_field_and_cannot_change_it():
    d = room(access_log="none")
    assert ENABLE not in form_vars(d)
    assert errors(submit(d, (ENABLE, ("1",))), OWNER) == ["not-acceptable"]
    assert not d.room.config.logging
    assert errors(submit(d, (ENABLE, ("0",))), OWNER) == []      # unchanged: fine


def test_without_mod_muc_log_no_owner_is_offered_logging_nor_may_turn_it_on():
    # MongooseIM hides the field and refuses it: nothing would write the log
    d = room(access_log="all", logging_available=False)
    assert ENABLE not in form_vars(d)
    out = submit(d, (ENABLE, ("1",)))
    assert errors(out, OWNER) == ["not-acceptable"] and not d.room.config.logging
    assert logs(out) == []
    assert errors(submit(d, (ENABLE, ("0",))), OWNER) == []      # off stays allowed


def test_turning_logging_off_is_announced_171_and_still_written_to_the_log():
    d = room(logging=True)
    d.join(BOB, "Bob")
    out = submit(d, (ENABLE, ("0",)))
    assert codes_to(out, BOB) == [(104, 171)]
    assert logs(out) == [("config", "", "171")]


def test_other_changes_are_logged_while_logging_is_on():
    d = room(logging=True)
    out = submit(d, ("muc#roomconfig_roomname", ("Lounge",)))
    assert [k for k, _, _ in logs(out)] == ["config"]


def test_room_events_become_log_events_when_logging_is_on():
    d = room(logging=True)
    seen = []
    seen += logs(d.join(BOB, "Bob"))
    seen += logs(d.send(c.Message(BOB, "", "groupchat", "m1", body="hi",
                                  payload="<body>hi</body>")))
    seen += logs(d.send(c.Presence(BOB, "Robert", True)))
    seen += logs(d.send(c.Message(BOB, "", "groupchat", "s1", subject="News")))
    seen += logs(d.send(c.Presence(BOB, "Robert", False, status="bye")))
    seen += logs(d.join(CAROL, "Carol"))
    seen += logs(d.send(c.AdminSet(OWNER, "k1", (c.AdminItem(role="none", nick="Carol",
                                                             reason="spam"),))))
    seen += logs(d.join(BOB, "Bob"))
    seen += logs(d.send(c.AdminSet(OWNER, "b1", (c.AdminItem(affiliation="outcast",
                                                             jid="bob@localhost",
                                                             reason="more spam"),))))
    assert seen == [("join", "Bob", ""), ("message", "Bob", "hi"), ("nick", "Bob", "Robert"),
                    ("subject", "Robert", "News"), ("leave", "Robert", "bye"),
                    ("join", "Carol", ""), ("kick", "Carol", "spam"), ("join", "Bob", ""),
                    ("ban", "Bob", "more spam")]


def test_removal_from_a_room_turned_members_only_is_logged():
    d = room(logging=True)
    d.join(BOB, "Bob")
    out = submit(d, ("muc#roomconfig_membersonly", ("1",)))
    assert ("kick", "Bob", "the room is now members-only") in logs(out)


def test_nothing_is_logged_when_logging_is_off():
    d = room()
    out = d.join(BOB, "Bob") + d.send(c.Message(BOB, "", "groupchat", "m1", body="hi",
                                                payload="<body>hi</body>"))
    assert logs(out) == []
