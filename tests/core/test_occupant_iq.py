"""IQs to occupants (§6.6, §17.4) and XEP-0410 self-ping in the pure room core."""
from actors.core import commands as c
from actors.core import forwarding
from actors.core.effects import IqOut, IqResult
from actors.core.state import RoomSeed
from tests.core.driver import Driver, errors, to

OWNER = "owner@localhost/o"
BOB = "bob@localhost/b"
CAROL = "carol@localhost/c"
VERSION = "<query xmlns='jabber:iq:version'/>"


def query(sender, nick, payload=VERSION, ns="jabber:iq:version", id="v1", type="get"):
    return c.IqToOccupant(sender, id, nick, type, payload, ns)


def forwarded(out, jid) -> IqOut:
    [iq] = to(out, jid)
    assert isinstance(iq, IqOut), iq
    return iq


def test_query_is_forwarded_from_the_senders_nick_with_a_new_id():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(query(OWNER, "Bob"))
    iq = forwarded(out, BOB)
    assert (iq.type, iq.nick, iq.payload) == ("get", "Owner", VERSION)
    assert iq.id != "v1"
    assert to(out, OWNER) == []


def test_answer_goes_back_with_the_original_id_from_the_addressed_nick():
    d = Driver()
    d.join(BOB, "Bob")
    new_id = forwarded(d.send(query(OWNER, "Bob")), BOB).id
    answer = "<query xmlns='jabber:iq:version'><name>x</name></query>"
    out = d.send(c.IqResponseFromOccupant(BOB, new_id, "result", answer))
    assert forwarded(out, OWNER) == IqOut("v1", "result", "Bob", answer)
    # answered once: a replay goes nowhere
    assert d.send(c.IqResponseFromOccupant(BOB, new_id, "result", answer)) == []


def test_error_answers_are_routed_back_too():
    d = Driver()
    d.join(BOB, "Bob")
    new_id = forwarded(d.send(query(OWNER, "Bob")), BOB).id
    err = ("<error type='cancel'>"
           "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>")
    iq = forwarded(d.send(c.IqResponseFromOccupant(BOB, new_id, "error", err)), OWNER)
    assert (iq.id, iq.type, iq.payload) == ("v1", "error", err)


def test_only_the_queried_entity_may_answer():
    d = Driver()
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    new_id = forwarded(d.send(query(OWNER, "Bob")), BOB).id
    assert d.send(c.IqResponseFromOccupant(CAROL, new_id, "result", "")) == []
    assert d.send(c.IqResponseFromOccupant(BOB, "made-up", "result", "")) == []
    assert to(d.send(c.IqResponseFromOccupant(BOB, new_id, "result", "")), OWNER)


def test_answer_after_the_target_changed_nick_comes_from_the_addressed_nick():
    d = Driver()
    d.join(BOB, "Bob")
    new_id = forwarded(d.send(query(OWNER, "Bob")), BOB).id
    d.send(c.Presence(BOB, "Robert", True))
    answer = d.send(c.IqResponseFromOccupant(BOB, new_id, "result", ""))
    assert forwarded(answer, OWNER).nick == "Bob"


def test_vcard_queries_go_to_the_bare_jid_and_its_server_may_answer():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(query(OWNER, "Bob", "<vCard xmlns='vcard-temp'/>", "vcard-temp"))
    new_id = forwarded(out, "bob@localhost").id
    assert to(out, BOB) == []
    iq = forwarded(d.send(c.IqResponseFromOccupant("bob@localhost", new_id, "result",
                                                   "<vCard xmlns='vcard-temp'/>")), OWNER)
    assert iq.id == "v1"


def test_query_to_a_multi_session_occupant_goes_to_its_shown_session():
    d = Driver(seed=RoomSeed(config={"allow_multiple_sessions": True}))
    d.join(BOB, "Bob")
    d.join("bob@localhost/phone", "Bob")
    out = d.send(query(OWNER, "Bob"))
    assert forwarded(out, BOB) and to(out, "bob@localhost/phone") == []


def test_queries_refused_when_allow_query_users_is_off():
    d = Driver(seed=RoomSeed(config={"allow_query_users": False}))
    d.join(BOB, "Bob")
    out = d.send(query(OWNER, "Bob"))
    assert errors(out, OWNER) == ["not-allowed"] and to(out, BOB) == []


def test_query_to_an_unknown_nick_is_item_not_found():
    d = Driver()
    assert errors(d.send(query(OWNER, "Nobody")), OWNER) == ["item-not-found"]


def test_queries_from_non_occupants():
    d = Driver()
    d.join(BOB, "Bob")
    assert errors(d.send(query(CAROL, "Bob")), CAROL) == ["not-acceptable"]
    disco = query(CAROL, "Bob", "<query xmlns='http://jabber.org/protocol/disco#info'/>",
                  "http://jabber.org/protocol/disco#info")
    assert errors(d.send(disco), CAROL) == ["bad-request"]


def test_unanswered_queries_expire_and_are_bounded(monkeypatch):
    d = Driver()
    d.join(BOB, "Bob")
    first = forwarded(d.send(query(OWNER, "Bob")), BOB).id
    d.now += forwarding.PENDING_TTL + 1
    d.send(query(OWNER, "Bob", id="v2"))
    assert first not in d.room.pending_iqs and len(d.room.pending_iqs) == 1
    monkeypatch.setattr(forwarding, "MAX_PENDING", 5)
    ids = [forwarded(d.send(query(OWNER, "Bob", id=f"x{i}")), BOB).id for i in range(8)]
    assert list(d.room.pending_iqs) == ids[-5:]     # the oldest go first


# XEP-0410 ----------------------------------------------------------------------------

def test_self_ping_is_answered_by_the_room_from_the_own_occupant_jid():
    d = Driver(seed=RoomSeed(config={"allow_query_users": False}))
    d.join(BOB, "Bob")
    [r] = to(d.send(c.Ping(BOB, "s2c1", "Bob")), BOB)
    assert r == IqResult("s2c1", "Bob")


def test_self_ping_from_a_second_session_of_the_nick():
    d = Driver(seed=RoomSeed(config={"allow_multiple_sessions": True}))
    d.join(BOB, "Bob")
    d.join("bob@localhost/phone", "Bob")
    [r] = to(d.send(c.Ping("bob@localhost/phone", "p", "Bob")), "bob@localhost/phone")
    assert isinstance(r, IqResult)


def test_self_ping_from_a_non_occupant_is_not_acceptable():
    d = Driver()
    d.join(BOB, "Bob")
    [err] = to(d.send(c.Ping(CAROL, "s2c1", "Bob")), CAROL)
    assert (err.error.condition, err.error.type, err.nick) == ("not-acceptable", "cancel", "Bob")
    assert errors(d.send(c.Ping(CAROL, "s2c2", "Carol")), CAROL) == ["not-acceptable"]


def test_ping_to_another_occupant_is_forwarded_like_any_query():
    d = Driver()
    d.join(BOB, "Bob")
    iq = forwarded(d.send(c.Ping(OWNER, "p1", "Bob")), BOB)
    assert iq.nick == "Owner" and "urn:xmpp:ping" in iq.payload
    off = Driver(seed=RoomSeed(config={"allow_query_users": False}))
    off.join(BOB, "Bob")
    assert errors(off.send(c.Ping(OWNER, "p1", "Bob")), OWNER) == ["not-allowed"]


def test_ping_to_the_room_itself():
    d = Driver()
    [r] = to(d.send(c.Ping(CAROL, "p")), CAROL)
    assert r == IqResult("p", None)
