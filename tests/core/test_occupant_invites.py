"""Mediated invitations and declines (XEP-0045 §7.8.2) in the pure room core."""
from actors.core import commands as c
from actors.core.effects import DeclineOut, Invitation, Persist, PresenceOut
from actors.core.roles import Affiliation
from actors.core.state import RoomSeed
from tests.core.driver import Driver, errors, to

OWNER = "owner@localhost/o"
BOB = "bob@localhost/b"
CAROL = "carol@localhost/c"
HECATE = "hecate@localhost"


def invite(sender, *invitees, reason="", id="inv1", thread=None):
    return c.Invite(sender, tuple((j, reason) for j in invitees), id=id, continue_thread=thread)


def test_moderator_invitation_is_sent_from_the_room_with_the_inviters_full_jid():
    d = Driver()
    out = d.send(invite(OWNER, HECATE, reason="the place for all good witches"))
    [inv] = to(out, HECATE)
    assert inv == Invitation(OWNER, "the place for all good witches", None, None, "inv1")
    assert errors(out, OWNER) == [] and to(out, OWNER) == []


def test_invitation_carries_the_room_password_and_continue_thread():
    d = Driver(seed=RoomSeed(config={"password_protected": True, "password": "cauldronburn"}))
    out = d.send(invite(OWNER, HECATE, "wicca@localhost/laptop", thread="e0ff"))
    for jid in (HECATE, "wicca@localhost/laptop"):
        [inv] = to(out, jid)
        assert inv.password == "cauldronburn" and inv.continue_thread == "e0ff"


def test_participants_may_not_invite_unless_allow_user_invites():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(invite(BOB, HECATE))
    assert errors(out, BOB) == ["forbidden"] and to(out, HECATE) == []
    d2 = Driver(seed=RoomSeed(config={"allow_user_invites": True}))
    d2.join(BOB, "Bob")
    assert isinstance(to(d2.send(invite(BOB, HECATE)), HECATE)[0], Invitation)


def test_visitors_may_invite_when_allow_user_invites():
    d = Driver(seed=RoomSeed(config={"allow_user_invites": True, "members_by_default": False}))
    d.join(BOB, "Bob")
    assert d.room.occupants["Bob"].role.value == "visitor"
    assert to(d.send(invite(BOB, HECATE)), HECATE)


def test_non_occupants_may_not_invite():
    d = Driver()
    assert errors(d.send(invite(CAROL, HECATE)), CAROL) == ["not-acceptable"]


def test_members_only_invitation_makes_the_invitee_a_member():
    d = Driver(seed=RoomSeed(config={"members_only": True, "persistent": True}))
    out = d.send(invite(OWNER, HECATE))
    assert d.room.affiliation_of(HECATE) is Affiliation.MEMBER
    assert any(isinstance(e, Persist) for e in out)
    assert [type(s) for s in to(out, HECATE)] == [Invitation]     # one invitation only
    assert errors(d.join("hecate@localhost/broom", "Hecate"), "hecate@localhost/broom") == []


def test_members_only_invitation_keeps_existing_affiliations():
    d = Driver(seed=RoomSeed(config={"members_only": True}))
    d.room.affiliations["boss@localhost"] = Affiliation.ADMIN
    d.room.affiliations["troll@localhost"] = Affiliation.OUTCAST
    d.send(invite(OWNER, "boss@localhost", "troll@localhost"))
    assert d.room.affiliation_of("boss@localhost") is Affiliation.ADMIN
    assert d.room.affiliation_of("troll@localhost") is Affiliation.OUTCAST


def test_members_only_invitations_need_admin_rights_or_allow_user_invites():
    d = Driver(seed=RoomSeed(config={"members_only": True}))
    d.room.affiliations["bob@localhost"] = Affiliation.MEMBER
    d.join(BOB, "Bob")
    # even a moderator who is only a member may not add members
    d.send(c.AdminSet(OWNER, "mod", (c.AdminItem(role="moderator", nick="Bob"),)))
    assert d.room.occupants["Bob"].role.value == "moderator"
    out = d.send(invite(BOB, HECATE))
    assert errors(out, BOB) == ["forbidden"]
    assert d.room.affiliation_of(HECATE) is Affiliation.NONE
    d2 = Driver(seed=RoomSeed(config={"members_only": True, "allow_user_invites": True}))
    d2.room.affiliations["bob@localhost"] = Affiliation.MEMBER
    d2.join(BOB, "Bob")
    assert to(d2.send(invite(BOB, HECATE)), HECATE)
    assert d2.room.affiliation_of(HECATE) is Affiliation.MEMBER


def test_open_room_invitation_changes_no_affiliation():
    d = Driver()
    d.send(invite(OWNER, HECATE))
    assert d.room.affiliation_of(HECATE) is Affiliation.NONE


def test_decline_goes_back_to_the_inviters_full_jid():
    d = Driver()
    d.send(invite(OWNER, HECATE))
    out = d.send(c.Decline("hecate@localhost/broom", "owner@localhost", "too busy", "dec1"))
    [dec] = to(out, OWNER)
    assert dec == DeclineOut("hecate@localhost", "too busy", "dec1")


def test_decline_without_a_matching_invitation_is_not_relayed():
    d = Driver()
    out = d.send(c.Decline("hecate@localhost/broom", "victim@elsewhere", "spam", "dec1"))
    assert errors(out, "hecate@localhost/broom") == ["item-not-found"]
    assert to(out, "victim@elsewhere") == []
    d.send(invite(OWNER, HECATE))
    out = d.send(c.Decline("hecate@localhost/broom", "owner@localhost", "", "dec2"))
    assert to(out, OWNER)
    # one decline per invitation
    out = d.send(c.Decline("hecate@localhost/broom", "owner@localhost", "", "dec3"))
    assert errors(out, "hecate@localhost/broom") == ["item-not-found"]


def test_invitations_are_remembered_for_a_bounded_number_of_invitees():
    from actors.core import invites
    d = Driver()
    many = [f"u{i}@localhost" for i in range(invites.MAX_REMEMBERED + 5)]
    for start in range(0, len(many), invites.MAX_INVITES_PER_MESSAGE):
        d.now += 60     # within the rate of invitations per minute
        out = d.send(invite(OWNER, *many[start:start + invites.MAX_INVITES_PER_MESSAGE]))
        assert errors(out, OWNER) == []
    book = d.room.__dict__[invites._ATTR]
    assert len(book) == invites.MAX_REMEMBERED and "u0@localhost" not in book


def test_invitation_of_a_present_member_in_members_only_room_does_not_rebroadcast():
    d = Driver(seed=RoomSeed(config={"members_only": True}))
    d.room.affiliations["bob@localhost"] = Affiliation.MEMBER
    d.join(BOB, "Bob")
    out = d.send(invite(OWNER, "bob@localhost"))
    assert not [s for s in to(out, OWNER) if isinstance(s, PresenceOut)]


def test_invitations_to_rooms_or_occupant_jids_are_refused():
    d = Driver()
    for jid in ("other@conference.localhost", "room@conference.localhost/Nick",
                "conference.localhost"):
        out = d.send(invite(OWNER, HECATE, jid))
        assert errors(out, OWNER) == ["bad-request"]
        assert to(out, HECATE) == []            # all or nothing


def test_one_message_with_thousands_of_invites_is_refused_whole():
    d = Driver()
    out = d.send(invite(OWNER, *(f"u{i}@localhost" for i in range(5000))))
    assert errors(out, OWNER) == ["policy-violation"]
    [err] = to(out, OWNER)
    assert "10 invitations per message" in err.error.text
    assert len(out) == 1        # nothing sent to any invitee


def test_invitations_per_user_per_minute_are_capped_then_allowed_again():
    d = Driver()
    for batch in range(3):      # 30 a minute, 10 per message
        out = d.send(invite(OWNER, *(f"u{batch}{i}@localhost" for i in range(10))))
        assert errors(out, OWNER) == [] and len(to(out, f"u{batch}0@localhost")) == 1
    out = d.send(invite(OWNER, "late@localhost"))
    assert errors(out, OWNER) == ["resource-constraint"] and to(out, "late@localhost") == []
    assert "30 invitations a minute" in to(out, OWNER)[0].error.text
    d.now += 60
    assert errors(d.send(invite(OWNER, "late@localhost")), OWNER) == []


def test_invitation_counts_are_per_inviter_and_bounded_in_memory():
    from actors.core.invites import MAX_REMEMBERED
    from actors.core.recent import RecentEvents, Window
    d = Driver(seed=RoomSeed(config={"allow_user_invites": True}))
    d.join(BOB, "Bob")
    for i in range(3):
        d.send(invite(OWNER, *(f"o{i}{k}@localhost" for k in range(10))))
    assert errors(d.send(invite(BOB, HECATE)), BOB) == []     # the owner's count isn't Bob's
    book = RecentEvents(Window(1, 60.0, max_keys=MAX_REMEMBERED))
    for i in range(MAX_REMEMBERED * 3):
        book.add(f"user{i}@localhost", 0.0)
    assert len(book) == MAX_REMEMBERED and book.count(f"user{MAX_REMEMBERED * 3 - 1}@localhost", 0.0) == 1
    book.add("new@localhost", 61.0)     # everything older than the window is dropped
    assert len(book) == 1
