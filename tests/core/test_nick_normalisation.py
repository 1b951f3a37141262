"""Nicks compared by the PRECIS Nickname profile (RFC 8266), shown as chosen; stored
affiliations and reserved nicks keyed by bare JIDs written before normalisation still match
(issue 15, item 9)."""
import pytest

from actors.core import commands as c
from actors.core.policy import ServicePolicy
from actors.core.room import Room
from actors.core.state import RoomSnapshot
from tests.core.driver import ROOM, Driver, errors, presences, to
from tests.core.test_occupant_register import submit

OWNER = "owner@localhost/o"
BOB = "bob@localhost/b"
CAROL = "carol@localhost/c"

# "Owner" is the room creator's nick (Driver); each spelling below is the same nickname
# under RFC 8266 (case, trailing space, fullwidth letters) or not a nickname at all
SAME_AS_OWNER = ["owner", "Owner ", "ＯWNER", "  OWNER"]
NOT_NICKS = ["Own\u200ber", "\u202erenwO", "Owner\u200e", "a\tb", "\u2066Owner\u2069"]


@pytest.mark.parametrize("nick", SAME_AS_OWNER)
def test_another_spelling_of_an_occupants_nick_is_a_conflict(nick):
    d = Driver()
    assert errors(d.join(BOB, nick), BOB) == ["conflict"]
    assert list(d.room.occupants) == ["Owner"]


@pytest.mark.parametrize("nick", NOT_NICKS)
def test_invisible_and_bidi_controls_are_refused_as_jid_malformed(nick):
    d = Driver()
    assert errors(d.join(BOB, nick), BOB) == ["jid-malformed"]
    assert list(d.room.occupants) == ["Owner"]


@pytest.mark.parametrize("nick", [" ", "\u3000", "\u00a0 \u2003"])
def test_a_nick_empty_once_normalised_is_refused(nick):
    d = Driver()
    assert errors(d.join(BOB, nick), BOB) == ["jid-malformed"]


@pytest.mark.parametrize("nick", ["Bob Smith", "Ирина", "李雷", "🎉 party", "o'Neil & co.",
                                  "x/y@z", "ǅemal"])
def test_nicks_valid_before_stay_valid_and_are_shown_as_chosen(nick):
    d = Driver()
    out = d.join(BOB, nick)
    assert errors(out, BOB) == []
    assert nick in d.room.occupants
    assert {p.nick for p in presences(out, OWNER)} == {nick}


def test_the_nick_is_shown_as_the_user_typed_it_not_in_its_compared_form():
    d = Driver()
    d.join(BOB, "ＢＯＢ")
    assert list(d.room.occupants) == ["Owner", "ＢＯＢ"]
    assert errors(d.join(CAROL, "bob"), CAROL) == ["conflict"]


@pytest.mark.parametrize("nick", SAME_AS_OWNER)
def test_changing_to_another_spelling_of_someones_nick_is_a_conflict(nick):
    d = Driver()
    d.join(BOB, "Bob")
    assert errors(d.join(BOB, nick), BOB) == ["conflict"]
    assert sorted(d.room.occupants) == ["Bob", "Owner"]


def test_changing_to_a_nick_with_a_bidi_control_is_refused():
    d = Driver()
    d.join(BOB, "Bob")
    assert errors(d.join(BOB, "\u202ebob"), BOB) == ["jid-malformed"]


def test_an_occupant_may_change_the_case_of_its_own_nick():
    d = Driver()
    d.join(BOB, "bob")
    out = d.join(BOB, "Bob")
    assert errors(out, BOB) == []
    assert sorted(d.room.occupants) == ["Bob", "Owner"]
    assert [p.codes for p in presences(out, OWNER) if p.unavailable] == [(303,)]


def test_a_registered_nick_is_reserved_in_every_spelling():
    d = Driver()
    d.join(CAROL, "Carol")
    d.send(submit(CAROL, "Thirdwitch"))
    d.send(c.Presence(CAROL, "Carol", False))
    for nick in ("thirdwitch", "ＴＨＩＲＤＷＩＴＣＨ", "Thirdwitch "):
        assert errors(d.join(BOB, nick), BOB) == ["conflict"], nick
    assert errors(d.join(CAROL, "THIRDWITCH"), CAROL) == []


def test_registering_another_spelling_of_a_reserved_or_present_nick_is_a_conflict():
    d = Driver()
    d.join(CAROL, "Carol")
    d.send(submit(CAROL, "Thirdwitch"))
    d.join(BOB, "Bob")
    assert errors(d.send(submit(BOB, "thirdWITCH")), BOB) == ["conflict"]
    assert errors(d.send(submit(BOB, "ｏｗｎｅｒ")), BOB) == ["conflict"]
    assert errors(d.send(submit(BOB, "bad\u200bnick")), BOB) == ["bad-request"]


def test_a_nick_an_admin_reserves_is_checked_and_reserved_in_every_spelling():
    d = Driver()
    bad = c.AdminItem("member", jid="carol@localhost", nick="\u202eThirdwitch")
    assert errors(d.send(c.AdminSet(OWNER, "a1", (bad,))), OWNER) == ["jid-malformed"]
    good = c.AdminItem("member", jid="carol@localhost", nick="Thirdwitch")
    assert errors(d.send(c.AdminSet(OWNER, "a2", (good,))), OWNER) == []
    assert errors(d.join(BOB, "ｔｈｉｒｄｗｉｔｃｈ"), BOB) == ["conflict"]


def test_a_private_message_reaches_the_occupant_under_another_spelling():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(c.Message(OWNER, "BOB ", "chat", "m1", body="hi", payload="<body>hi</body>"))
    assert errors(out, OWNER) == []
    assert to(out, BOB)


# Stored data written before normalisation ------------------------------------------

def restored(affiliations: dict, extra: dict | None = None) -> Driver:
    d = Driver()
    snap = RoomSnapshot(ROOM, 3, d.room.config.as_dict(), affiliations, extra=extra or {})
    d.room = Room.restore(ServicePolicy("conference.localhost"), snap)
    return d


@pytest.mark.parametrize("stored", ["ＢＯＢ@localhost", "Bob@LocalHost", "ｂob@ｌocalhost."])
def test_a_ban_stored_under_a_non_canonical_spelling_matches(stored):
    d = restored({"owner@localhost": "owner", stored: "outcast"})
    assert errors(d.join(BOB, "Bob"), BOB) == ["forbidden"]
    assert d.room.affiliation_of("bob@localhost").value == "outcast"


def test_reserved_nicks_and_reasons_stored_under_a_non_canonical_spelling_match():
    d = restored({"owner@localhost": "owner", "ＣＡＲＯＬ@localhost": "member"},
                 {"nicks": {"ＣＡＲＯＬ@localhost": "Thirdwitch"},
                  "affiliation_reasons": {"ＣＡＲＯＬ@localhost": "a friend"}})
    assert d.room.nick_owner("thirdwitch") == "carol@localhost"
    assert d.room.extra["affiliation_reasons"] == {"carol@localhost": "a friend"}
    assert errors(d.join(BOB, "Thirdwitch"), BOB) == ["conflict"]


def test_the_canonical_spelling_wins_when_two_stored_spellings_collide():
    # Before normalisation only the canonical key ever matched a user: keep what had effect
    d = restored({"ＢＯＢ@localhost": "outcast", "bob@localhost": "member",
                  "owner@localhost": "owner"})
    assert d.room.affiliation_of("bob@localhost").value == "member"
    assert errors(d.join(BOB, "Bob"), BOB) == []
