"""Voice requests (§7.13) and their approval (§8.6) in the pure room core."""
from actors.core import commands as c
from actors.core.effects import MessageOut
from actors.core.state import RoomSeed
from tests.core.driver import Driver, errors, presences, to

OWNER = "owner@localhost/o"
MOD = "mod@localhost/m"
BOB = "bob@localhost/b"
CAROL = "carol@localhost/c"
REQUEST = "http://jabber.org/protocol/muc#request"


def moderated() -> Driver:
    d = Driver(seed=RoomSeed(config={"members_by_default": False},
                             affiliations=(("mod@localhost", "admin"),)))
    d.join(MOD, "Mod")
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    return d


def approval(sender, allow="true", nick="Bob", jid=BOB, type="submit", role="participant"):
    fields = [("FORM_TYPE", (REQUEST,)), ("muc#role", (role,))]
    if jid is not None:
        fields.append(("muc#jid", (jid,)))
    if nick is not None:
        fields.append(("muc#roomnick", (nick,)))
    fields.append(("muc#request_allow", (allow,)))
    return c.VoiceApproval(sender, c.Form(type, tuple(fields)), "approve")


def test_voice_request_reaches_every_moderator_as_an_approval_form():
    d = moderated()
    out = d.send(c.VoiceRequest(BOB, "yd53c486"))
    for jid in (OWNER, MOD):
        [msg] = to(out, jid)
        assert isinstance(msg, MessageOut) and msg.nick is None and msg.type == "normal"
        assert msg.form.type == "form"
        assert [var for var, _ in msg.form.fields] == [
            "FORM_TYPE", "muc#role", "muc#jid", "muc#roomnick", "muc#request_allow"]
        assert msg.form.get("muc#jid") == (BOB,) and msg.form.get("muc#roomnick") == ("Bob",)
        assert msg.form.get("muc#request_allow") == ("false",)
    assert to(out, CAROL) == [] and to(out, BOB) == []


def test_voice_request_from_someone_with_voice_or_outside_is_refused():
    d = moderated()
    assert errors(d.send(c.VoiceRequest(OWNER)), OWNER) == ["not-allowed"]
    eve = "eve@localhost/e"
    assert errors(d.send(c.VoiceRequest(eve)), eve) == ["not-acceptable"]


def test_moderator_approval_grants_voice_with_a_presence_to_all():
    d = moderated()
    out = d.send(approval(MOD))
    assert d.room.occupants["Bob"].role.value == "participant"
    for jid in (OWNER, MOD, BOB, CAROL):
        [p] = presences(out, jid)
        assert p.nick == "Bob" and p.item.role == "participant"
    assert presences(out, OWNER)[0].item.actor_nick == "Mod"
    assert 110 in presences(out, BOB)[0].codes
    # Bob can now speak in the moderated room
    speak = c.Message(BOB, "", "groupchat", "g", body="hi", payload="<body>hi</body>")
    assert errors(d.send(speak), BOB) == []


def test_approval_found_by_jid_alone():
    d = moderated()
    d.send(approval(MOD, nick=None))
    assert d.room.occupants["Bob"].role.value == "participant"


def test_denied_or_cancelled_approval_changes_nothing():
    d = moderated()
    assert d.send(approval(MOD, allow="false")) == []
    assert d.send(approval(MOD, allow="0")) == []
    assert d.send(approval(MOD, type="cancel")) == []
    assert d.room.occupants["Bob"].role.value == "visitor"


def test_approval_by_a_non_moderator_is_forbidden():
    d = moderated()
    d.send(approval(MOD, nick="Carol", jid=CAROL))      # Carol gets voice, is no moderator
    out = d.send(approval(CAROL))
    assert errors(out, CAROL) == ["forbidden"]
    assert d.room.occupants["Bob"].role.value == "visitor"


def test_bad_approval_forms_are_bad_request():
    d = moderated()
    assert errors(d.send(approval(MOD, allow="perhaps")), MOD) == ["bad-request"]
    assert errors(d.send(approval(MOD, nick=None, jid=None)), MOD) == ["bad-request"]
    assert errors(d.send(approval(MOD, role="moderator")), MOD) == ["bad-request"]
    assert errors(d.send(approval(MOD, type="result")), MOD) == ["bad-request"]
    assert d.room.occupants["Bob"].role.value == "visitor"


def test_approval_for_someone_gone_is_item_not_found():
    d = moderated()
    d.send(c.Presence(BOB, "Bob", False))
    assert errors(d.send(approval(MOD)), MOD) == ["item-not-found"]
    # a nick now held by someone else than the requester's JID
    d.join("dave@localhost/d", "Bob")
    assert errors(d.send(approval(MOD)), MOD) == ["item-not-found"]


def test_approval_for_someone_who_has_voice_already_changes_nothing():
    d = moderated()
    assert d.send(approval(MOD, nick="Owner", jid=OWNER)) == []
