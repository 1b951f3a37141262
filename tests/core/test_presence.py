from actors.core import commands as c
from actors.core.effects import Closed, MessageOut, PresenceOut
from actors.core.roles import Affiliation, Role
from tests.core.driver import Driver, errors, presences, to

OWNER = "owner@localhost/o"
BOB = "bob@localhost/b"
CAROL = "carol@localhost/c"


def test_creation_gives_owner_201_and_110_then_empty_subject():
    d = Driver(instant=False)
    stanzas = to(d.created, OWNER)
    assert isinstance(stanzas[0], PresenceOut)
    assert stanzas[0].codes == (110, 201)
    assert stanzas[0].item.affiliation == "owner" and stanzas[0].item.role == "moderator"
    assert isinstance(stanzas[-1], MessageOut) and stanzas[-1].subject == ""


def test_locked_room_refuses_others_until_configured():
    d = Driver(instant=False)
    assert errors(d.join(BOB, "Bob"), BOB) == ["item-not-found"]
    d.send(c.OwnerSet(OWNER, "i1", form=c.Form("submit")))
    assert errors(d.join(BOB, "Bob"), BOB) == []


def test_join_order_others_then_self_then_history_then_subject():
    d = Driver()
    d.join(BOB, "Bob")
    d.send(c.Message(BOB, "", "groupchat", "m1", body="hello", payload="<body>hello</body>"))
    out = d.join(CAROL, "Carol")
    mine = to(out, CAROL)
    kinds = [(type(s).__name__, getattr(s, "nick", None)) for s in mine]
    assert kinds[:2] == [("PresenceOut", "Owner"), ("PresenceOut", "Bob")]
    assert kinds[2] == ("PresenceOut", "Carol") and 110 in mine[2].codes
    assert isinstance(mine[3], MessageOut) and mine[3].delay is not None
    assert mine[-1].subject == ""


def test_semi_anonymous_room_shows_real_jid_to_moderators_only():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.join(CAROL, "Carol")
    carol_to_owner = [p for p in presences(out, OWNER) if p.nick == "Carol"][0]
    carol_to_bob = [p for p in presences(out, BOB) if p.nick == "Carol"][0]
    assert carol_to_owner.item.jid == CAROL
    assert carol_to_bob.item.jid is None


def test_nick_conflict_409():
    d = Driver()
    d.join(BOB, "Bob")
    assert errors(d.join(CAROL, "Bob"), CAROL) == ["conflict"]


def test_missing_or_blank_nick_is_jid_malformed():
    d = Driver()
    assert errors(d.join(BOB, ""), BOB) == ["jid-malformed"]
    assert errors(d.join(BOB, "   "), BOB) == ["jid-malformed"]


def test_nick_change_303_then_new_presence():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(c.Presence(BOB, "Robert", True))
    seen = presences(out, OWNER)
    assert seen[0].unavailable and seen[0].codes == (303,) and seen[0].item.nick == "Robert"
    assert seen[1].nick == "Robert" and not seen[1].unavailable
    assert 110 in presences(out, BOB)[0].codes


def test_leave_sends_110_and_empty_temporary_room_closes():
    d = Driver()
    out = d.send(c.Presence(OWNER, "Owner", False))
    assert presences(out, OWNER)[0].unavailable and 110 in presences(out, OWNER)[0].codes
    assert any(isinstance(e, Closed) for e in out)


def test_groupchat_from_non_occupant_refused():
    d = Driver()
    out = d.send(c.Message(BOB, "", "groupchat", "x", body="hi", payload="<body>hi</body>"))
    assert errors(out, BOB) == ["not-acceptable"]


def test_groupchat_reflected_with_stanza_and_occupant_ids():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(c.Message(BOB, "", "groupchat", "m1", body="hi", payload="<body>hi</body>"))
    msgs = to(out, OWNER)
    assert len(msgs) == 1 and msgs[0].nick == "Bob" and msgs[0].stanza_id
    assert to(out, BOB) == msgs
    assert msgs[0].occupant_id == d.room.occupant_id("bob@localhost")


def test_moderated_room_visitor_cannot_speak():
    from actors.core.state import RoomSeed
    d = Driver(seed=RoomSeed(config={"members_by_default": False}))
    d.join(BOB, "Bob")
    assert d.room.occupants["Bob"].role is Role.VISITOR
    out = d.send(c.Message(BOB, "", "groupchat", "m", body="x", payload="<body>x</body>"))
    assert errors(out, BOB) == ["forbidden"]


def test_owner_affiliation_kept_and_ban_blocks_entry():
    d = Driver()
    d.room.affiliations["bob@localhost"] = Affiliation.OUTCAST
    assert errors(d.join(BOB, "Bob"), BOB) == ["forbidden"]
