"""muc#admin roles in the pure core: XEP-0045 §5.1 privilege table, §8 moderator use
cases (kick, voice, the voice list), §9.6-9.8 moderator status, and the bad requests
§17.4 names. Affiliations: test_affiliations.py."""
from actors.core import commands as c
from actors.core.effects import ErrorOut, IqResult, Persist, PresenceOut
from actors.core.roles import Role
from actors.core.state import RoomSeed
from tests.core.admin_helpers import (BOB, CAROL, DAVE, OWNER, I, about, aget, aset, listed, ok,
                                      role, seeded, speak)
from tests.core.driver import Driver, errors, presences, to


# §8.2 kick ------------------------------------------------------------------------------

def test_kick_sends_307_with_actor_and_reason_and_110_to_the_kicked():
    d = Driver()
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    out = aset(d, OWNER, I(role="none", nick="Bob", reason="Avaunt, you cullion!"))
    assert ok(out, OWNER) and "Bob" not in d.room.occupants and BOB not in d.room.sessions
    kicked = presences(out, BOB)
    assert len(kicked) == 1 and kicked[0].unavailable and kicked[0].codes == (110, 307)
    it = kicked[0].item
    assert (it.affiliation, it.role, it.actor_nick, it.reason) == \
        ("none", "none", "Owner", "Avaunt, you cullion!")
    to_owner, to_carol = about(out, OWNER, "Bob")[0], about(out, CAROL, "Bob")[0]
    assert to_owner.unavailable and to_owner.codes == (307,) and to_owner.item.jid == BOB
    assert to_carol.codes == (307,) and to_carol.item.jid is None     # semi-anonymous room


def test_kick_success_reaches_the_moderator_before_the_presence():
    d = Driver()
    d.join(BOB, "Bob")
    out = aset(d, OWNER, I(role="none", nick="Bob"))
    kinds = [type(s) for s in to(out, OWNER)]
    assert kinds == [IqResult, PresenceOut]


def test_participant_may_not_kick():
    d = Driver()
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    out = aset(d, BOB, I(role="none", nick="Carol"))
    assert errors(out, BOB) == ["forbidden"] and "Carol" in d.room.occupants
    assert presences(out, CAROL) == []


def test_member_moderator_may_not_kick_an_admin_and_admin_may_not_kick_an_owner():
    d = seeded(("bob@localhost", "member"), ("carol@localhost", "admin"))
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    assert ok(aset(d, OWNER, I(role="moderator", nick="Bob")), OWNER)
    assert errors(aset(d, BOB, I(role="none", nick="Carol")), BOB) == ["not-allowed"]
    assert errors(aset(d, CAROL, I(role="none", nick="Owner")), CAROL) == ["not-allowed"]
    assert ok(aset(d, OWNER, I(role="none", nick="Carol")), OWNER)


def test_unaffiliated_moderator_kicks_participants_but_not_moderators():
    d = Driver()
    for jid, nick in ((BOB, "Bob"), (CAROL, "Carol"), (DAVE, "Dave")):
        d.join(jid, nick)
    aset(d, OWNER, I(role="moderator", nick="Bob"), I(role="moderator", nick="Carol"))
    assert errors(aset(d, BOB, I(role="none", nick="Carol")), BOB) == ["not-allowed"]
    out = aset(d, BOB, I(role="none", nick="Dave"))
    assert ok(out, BOB) and presences(out, DAVE)[0].item.actor_nick == "Bob"


def test_kicking_an_unknown_nick_is_item_not_found():
    d = Driver()
    assert errors(aset(d, OWNER, I(role="none", nick="Nobody")), OWNER) == ["item-not-found"]


def test_kick_removes_every_session_of_the_nick():
    d = Driver(seed=RoomSeed(config={"allow_multiple_sessions": True}))
    d.join(BOB, "Bob")
    d.join("bob@localhost/phone", "Bob")
    out = aset(d, OWNER, I(role="none", nick="Bob"))
    for session in (BOB, "bob@localhost/phone"):
        assert 307 in presences(out, session)[0].codes and session not in d.room.sessions


# §8.3-8.5 voice ----------------------------------------------------------------------

def test_grant_voice_to_a_visitor_in_a_moderated_room():
    d = seeded(members_by_default=False)
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    assert errors(speak(d, BOB), BOB) == ["forbidden"]
    out = aset(d, OWNER, I(role="participant", nick="Bob", reason="A worthy witch indeed!"))
    assert ok(out, OWNER) and role(d, "Bob") is Role.PARTICIPANT
    for jid in (OWNER, BOB, CAROL):
        p = about(out, jid, "Bob")[0]
        assert not p.unavailable and p.item.role == "participant"
        assert p.item.reason == "A worthy witch indeed!" and p.item.actor_nick == "Owner"
    assert 110 in about(out, BOB, "Bob")[0].codes
    assert errors(speak(d, BOB), BOB) == []


def test_revoke_voice_makes_a_participant_a_silent_visitor():
    d = Driver()
    d.join(BOB, "Bob")
    out = aset(d, OWNER, I(role="visitor", nick="Bob", reason="Not so worthy after all!"))
    assert about(out, OWNER, "Bob")[0].item.role == "visitor"
    assert role(d, "Bob") is Role.VISITOR
    assert errors(speak(d, BOB), BOB) == ["forbidden"]


def test_visitors_speak_in_unmoderated_rooms():
    d = seeded(moderated=False, members_by_default=False)
    d.join(BOB, "Bob")
    assert role(d, "Bob") is Role.VISITOR and errors(speak(d, BOB), BOB) == []


def test_voice_cannot_be_revoked_from_an_affiliation_at_or_above_the_moderators():
    d = seeded(("bob@localhost", "member"), ("carol@localhost", "member"))
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    d.join(DAVE, "Dave")
    aset(d, OWNER, I(role="moderator", nick="Bob"))
    assert errors(aset(d, BOB, I(role="visitor", nick="Carol")), BOB) == ["not-allowed"]
    assert ok(aset(d, BOB, I(role="visitor", nick="Dave")), BOB)


def test_voice_of_admins_and_owners_cannot_be_revoked_by_anyone():
    d = seeded(("carol@localhost", "admin"), ("dave@localhost", "owner"))
    d.join(CAROL, "Carol")
    d.join(DAVE, "Dave")
    assert errors(aset(d, OWNER, I(role="visitor", nick="Carol")), OWNER) == ["not-allowed"]
    assert errors(aset(d, OWNER, I(role="participant", nick="Dave")), OWNER) == ["not-allowed"]
    assert role(d, "Carol") is Role.MODERATOR and role(d, "Dave") is Role.MODERATOR


def test_voice_list_has_nick_role_affiliation_and_full_jid():
    d = seeded(("carol@localhost", "member"))
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    items = listed(aget(d, OWNER, I(role="participant")), OWNER)
    assert [(i.nick, i.role, i.affiliation, i.jid) for i in items] == \
        [("Bob", "participant", "none", BOB), ("Carol", "participant", "member", CAROL)]


def test_role_lists_are_for_moderators_only():
    d = Driver()
    d.join(BOB, "Bob")
    assert errors(aget(d, BOB, I(role="participant")), BOB) == ["forbidden"]
    assert errors(aget(d, "stranger@localhost/x", I(role="moderator")),
                  "stranger@localhost/x") == ["forbidden"]


def test_modify_the_voice_list_with_several_items():
    d = seeded(members_by_default=False)
    for jid, nick in ((BOB, "Bob"), (CAROL, "Carol"), (DAVE, "Dave")):
        d.join(jid, nick)
    aset(d, OWNER, I(role="participant", nick="Bob"))
    out = aset(d, OWNER, I(role="visitor", nick="Bob"),
               I(role="participant", nick="Carol", reason="A worthy fellow."),
               I(role="participant", nick="Dave", reason="A worthy fellow."))
    assert ok(out, OWNER)
    assert [role(d, n) for n in ("Bob", "Carol", "Dave")] == \
        [Role.VISITOR, Role.PARTICIPANT, Role.PARTICIPANT]
    assert {p.nick for p in presences(out, OWNER)} == {"Bob", "Carol", "Dave"}


def test_a_list_change_is_all_or_nothing():
    d = seeded(("carol@localhost", "admin"))
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    out = aset(d, OWNER, I(role="visitor", nick="Bob"), I(role="visitor", nick="Carol"),
               I(affiliation="outcast", jid="eve@localhost"))
    assert errors(out, OWNER) == ["not-allowed"]
    assert role(d, "Bob") is Role.PARTICIPANT and "eve@localhost" not in d.room.affiliations
    assert [e for e in out if not (isinstance(e.stanza, ErrorOut))] == []


# §9.6-9.8 moderator status ---------------------------------------------------------------

def test_admin_grants_and_revokes_moderator_status():
    d = seeded(("carol@localhost", "admin"), ("bob@localhost", "member"))
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    out = aset(d, CAROL, I(role="moderator", nick="Bob"))
    p = about(out, OWNER, "Bob")[0]
    assert (p.item.affiliation, p.item.role, p.item.jid) == ("member", "moderator", BOB)
    mods = listed(aget(d, CAROL, I(role="moderator")), CAROL)
    assert [i.nick for i in mods] == ["Bob", "Carol", "Owner"]
    out = aset(d, CAROL, I(role="participant", nick="Bob", reason="Not so worthy after all!"))
    assert about(out, OWNER, "Bob")[0].item.role == "participant"
    assert about(out, OWNER, "Bob")[0].item.reason == "Not so worthy after all!"


def test_a_new_moderator_of_a_semi_anonymous_room_learns_the_real_jids():
    d = Driver()
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    out = aset(d, OWNER, I(role="moderator", nick="Bob"))
    again = {p.nick: p.item.jid for p in presences(out, BOB) if p.nick != "Bob"}
    assert again == {"Owner": OWNER, "Carol": CAROL}
    assert about(out, CAROL, "Owner") == []
    out = aset(d, OWNER, I(affiliation="admin", jid="carol@localhost"))
    assert {p.nick: p.item.jid for p in presences(out, CAROL) if p.nick != "Carol"} == \
        {"Owner": OWNER, "Bob": BOB}
    out = aset(d, OWNER, I(affiliation="admin", jid="bob@localhost"))   # already a moderator
    assert [p.nick for p in presences(out, BOB)] == ["Bob"]


def test_only_admins_grant_or_revoke_moderator_status():
    d = Driver()
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    d.join(DAVE, "Dave")
    aset(d, OWNER, I(role="moderator", nick="Bob"), I(role="moderator", nick="Dave"))
    assert errors(aset(d, BOB, I(role="moderator", nick="Carol")), BOB) == ["forbidden"]
    assert errors(aset(d, BOB, I(role="participant", nick="Dave")), BOB) == ["forbidden"]


def test_moderator_status_cannot_be_revoked_from_admins_or_owners():
    d = seeded(("carol@localhost", "admin"))
    d.join(CAROL, "Carol")
    assert errors(aset(d, CAROL, I(role="participant", nick="Owner")), CAROL) == ["not-allowed"]
    assert errors(aset(d, OWNER, I(role="participant", nick="Carol")), OWNER) == ["not-allowed"]


# bad requests (§17.4) ---------------------------------------------------------------------------

def test_role_and_affiliation_in_one_item_is_a_bad_request():
    d = Driver()
    d.join(BOB, "Bob")
    out = aset(d, OWNER, I(role="visitor", affiliation="member", nick="Bob", jid="bob@localhost"))
    assert errors(out, OWNER) == ["bad-request"] and role(d, "Bob") is Role.PARTICIPANT


def test_unknown_values_and_missing_targets_are_bad_requests():
    d = Driver()
    d.join(BOB, "Bob")
    for item in (I(role="king", nick="Bob"), I(affiliation="friend", jid="bob@localhost"),
                 I(nick="Bob"), I(role="visitor"), I(role="visitor", jid="bob@localhost/b"),
                 I(affiliation="member")):
        assert errors(aset(d, OWNER, item), OWNER) == ["bad-request"], item
    assert errors(d.send(c.AdminSet(OWNER, "e", ())), OWNER) == ["bad-request"]


def test_list_requests_need_exactly_one_meaningful_item():
    d = Driver()
    assert errors(d.send(c.AdminGet(OWNER, "g", (I(role="moderator"), I(role="visitor")))),
                  OWNER) == ["bad-request"]
    for item in (I(role="none"), I(affiliation="none"), I(),
                 I(role="moderator", affiliation="owner")):
        assert errors(aget(d, OWNER, item), OWNER) == ["bad-request"], item


def test_kicks_change_nothing_persistent():
    d = seeded(persistent=True)
    d.join(BOB, "Bob")
    out = aset(d, OWNER, I(role="none", nick="Bob"))
    assert not any(isinstance(e, Persist) for e in out)


def test_a_batch_naming_one_occupant_twice_is_refused_and_changes_nothing():
    # found by the fuzzer: admin then member in one request broadcast moderator presences
    # (real JIDs of a semi-anonymous room) to someone who ends a participant
    d = Driver()
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    out = aset(d, OWNER, I(affiliation="admin", jid="bob@localhost"),
               I(affiliation="member", jid="bob@localhost"))
    assert errors(out, OWNER) == ["bad-request"] and presences(out, BOB) == []
    out = aset(d, OWNER, I(role="moderator", nick="Bob"), I(affiliation="none", jid=BOB))
    assert errors(out, OWNER) == ["bad-request"] and role(d, "Bob") is Role.PARTICIPANT
    assert ok(aset(d, OWNER, I(role="moderator", nick="Bob"), I(role="visitor", nick="Carol")),
              OWNER)
