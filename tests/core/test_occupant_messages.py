"""Private messages (XEP-0045 §7.5) in the pure room core."""
from actors.core import commands as c
from actors.core.effects import ErrorOut, MessageOut
from actors.core.state import RoomSeed
from tests.core.driver import Driver, errors, to

OWNER = "owner@localhost/o"
BOB = "bob@localhost/b"
BOB2 = "bob@localhost/phone"
CAROL = "carol@localhost/c"
EVE = "eve@localhost/e"


def pm(sender, nick, type="chat", body="psst", id="pm1"):
    return c.Message(sender, nick, type, id, body=body, payload=f"<body>{body}</body>")


def test_private_message_goes_from_the_senders_occupant_jid_with_muc_user_x():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(pm(OWNER, "Bob"))
    [msg] = to(out, BOB)
    assert isinstance(msg, MessageOut)
    assert (msg.nick, msg.type, msg.id, msg.private) == ("Owner", "chat", "pm1", True)
    assert msg.payload == "<body>psst</body>" and msg.stanza_id is None
    assert to(out, OWNER) == []             # not reflected to the sender


def test_private_message_of_type_normal_is_delivered_too():
    d = Driver()
    d.join(BOB, "Bob")
    [msg] = to(d.send(pm(OWNER, "Bob", type="normal")), BOB)
    assert msg.type == "normal" and msg.private


def test_private_message_reaches_every_session_of_the_nick():
    d = Driver(seed=RoomSeed(config={"allow_multiple_sessions": True}))
    d.join(BOB, "Bob")
    d.join(BOB2, "Bob")
    out = d.send(pm(OWNER, "Bob"))
    [deliver] = [e for e in out if getattr(e, "stanza", None) and isinstance(e.stanza, MessageOut)]
    assert set(deliver.to) == {BOB, BOB2}


def test_groupchat_typed_private_message_is_bad_request():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(pm(OWNER, "Bob", type="groupchat"))
    assert errors(out, OWNER) == ["bad-request"]
    assert to(out, BOB) == []
    [err] = to(out, OWNER)
    assert err.nick == "Bob" and err.id == "pm1"      # from the occupant JID addressed


def test_private_message_to_an_unknown_nick_is_item_not_found():
    d = Driver()
    assert errors(d.send(pm(OWNER, "Nobody")), OWNER) == ["item-not-found"]


def test_private_message_from_a_non_occupant_is_not_acceptable():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(pm(EVE, "Bob"))
    assert errors(out, EVE) == ["not-acceptable"]
    assert to(out, BOB) == []


def test_private_messages_off_is_forbidden_but_other_checks_come_first():
    d = Driver(seed=RoomSeed(config={"allow_private_messages": False}))
    d.join(BOB, "Bob")
    out = d.send(pm(OWNER, "Bob"))
    [err] = to(out, OWNER)
    assert isinstance(err, ErrorOut) and err.error.condition == "forbidden"
    assert err.error.type == "auth" and "private messages" in err.error.text
    assert to(out, BOB) == []
    assert errors(d.send(pm(EVE, "Bob")), EVE) == ["not-acceptable"]
    assert errors(d.send(pm(OWNER, "Bob", type="groupchat")), OWNER) == ["bad-request"]


def test_visitors_may_send_private_messages():
    d = Driver(seed=RoomSeed(config={"members_by_default": False}))
    d.join(BOB, "Bob")
    assert d.room.occupants["Bob"].role.value == "visitor"
    [msg] = to(d.send(pm(BOB, "Owner")), OWNER)
    assert msg.nick == "Bob" and msg.private
