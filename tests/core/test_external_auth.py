"""http_auth_pool in the room core: joins to a password-protected room are handed to
the shell (CheckPassword) and come back as AuthorizedJoin; the room never waits."""
from actors.core import commands as c
from actors.core.access import AccessRules
from actors.core.effects import CheckPassword, Closed, MessageOut, PresenceOut
from actors.core.policy import ServicePolicy
from actors.core.room import Room
from actors.core.state import Env, RoomSeed
from tests.core.driver import ROOM, Driver, errors, presences, to

OWNER, BOB, CAROL, ADMIN = ("owner@localhost/o", "bob@localhost/b", "carol@localhost/c",
                            "admin@localhost/a")
RULES = AccessRules.from_tables({"admins": [{"user": "admin", "server": "localhost"}]},
                                {"muc_admin": [{"acl": "admins", "value": "allow"}]},
                                ("localhost",))
POLICY = ServicePolicy("conference.localhost", http_auth=True, rules=RULES,
                       access_admin="muc_admin")
PROTECTED = RoomSeed(config={"password_protected": True})


def room() -> Driver:
    d = Driver(seed=PROTECTED, policy=POLICY, instant=False)
    # the creator came in through the HTTP check (see test_creation_...)
    d.room = Room.new(ROOM, POLICY, PROTECTED, OWNER, d.env())
    d.room.handle_create(c.AuthorizedJoin.of(c.Presence(OWNER, "Owner", True, muc=True,
                                                        password="pw")), d.env())
    d.send(c.OwnerSet(OWNER, "instant", form=c.Form("submit")))
    return d


def checks(effects) -> list:
    return [e.presence for e in effects if isinstance(e, CheckPassword)]


def test_a_join_with_a_password_is_handed_to_the_shell_and_nothing_else_happens():
    d = room()
    join = c.Presence(BOB, "Bob", True, muc=True, password="secret", id="j1")
    out = d.send(join)
    assert checks(out) == [join]
    assert to(out, BOB) == [] and to(out, OWNER) == []
    assert "Bob" not in d.room.occupants


def test_the_room_serves_others_while_a_join_awaits_its_verdict():
    d = room()
    d.send(c.Presence(BOB, "Bob", True, muc=True, password="secret"))
    out = d.send(c.Message(OWNER, "", "groupchat", "m1", body="hi", payload="<body>hi</body>"))
    assert [s.payload for s in to(out, OWNER) if isinstance(s, MessageOut)] == ["<body>hi</body>"]


def test_a_join_without_a_password_is_refused_at_once():
    out = room().send(c.Presence(BOB, "Bob", True, muc=True))
    assert checks(out) == [] and errors(out, BOB) == ["not-authorized"]


def test_an_authorized_join_enters_without_asking_again():
    d = room()
    out = d.send(c.AuthorizedJoin.of(c.Presence(BOB, "Bob", True, muc=True, password="x",
                                                id="j1")))
    assert checks(out) == []
    own = [p for p in presences(out, BOB) if p.nick == "Bob"]
    assert own and 110 in own[0].codes and own[0].id == "j1"
    assert "Bob" in d.room.occupants


def test_an_authorized_join_is_checked_against_the_room_as_it_is_now():
    d = room()
    d.send(c.Presence(CAROL, "Bob", True, muc=True, password="x"))
    d.send(c.AuthorizedJoin.of(c.Presence(BOB, "Bob", True, muc=True, password="x")))
    late = d.send(c.AuthorizedJoin.of(c.Presence(CAROL, "Bob", True, muc=True, password="x")))
    assert errors(late, CAROL) == ["conflict"]
    refusal = to(late, CAROL)[0]
    assert (refusal.kind, refusal.nick) == ("presence", "Bob")   # from room/Bob, as the join


def test_service_admins_are_not_asked_for_a_password():
    out = room().send(c.Presence(ADMIN, "Admin", True, muc=True))
    assert checks(out) == []
    assert any(110 in p.codes for p in presences(out, ADMIN))


def test_creation_asks_too_and_the_room_exists_only_once_the_creator_is_admitted():
    env = Env(1.0, "u1")
    first = Room.new(ROOM, POLICY, PROTECTED, BOB, env)
    join = c.Presence(BOB, "Bob", True, muc=True, password="pw")
    out = first.handle_create(join, env)
    assert checks(out) == [join] and any(isinstance(e, Closed) for e in out)
    assert to(out, BOB) == []
    second = Room.new(ROOM, POLICY, PROTECTED, BOB, Env(2.0, "u2"))
    out = second.handle_create(c.AuthorizedJoin.of(join), Env(2.0, "u2"))
    own = [p for p in presences(out, BOB) if 110 in p.codes]
    assert own and 201 in own[0].codes and own[0].item.affiliation == "owner"


def test_rooms_without_a_password_and_services_without_http_auth_do_not_ask():
    open_room = Driver(policy=POLICY)
    assert checks(open_room.join(BOB, "Bob")) == []
    local = Driver(seed=RoomSeed(config={"password_protected": True, "password": "pw"}))
    out = local.join(BOB, "Bob", password="pw")
    assert checks(out) == [] and errors(out, BOB) == []
    assert isinstance(presences(out, BOB)[-1], PresenceOut)
