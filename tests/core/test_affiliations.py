"""muc#admin affiliations in the pure core: XEP-0045 §5.2 privilege table, §9.1-9.5
(bans, membership), §10.3-10.8 (owners, admins), members-only rooms and persistence."""
from actors.core import commands as c
from actors.core.effects import Invitation, MessageOut, Persist
from actors.core.roles import Affiliation
from tests.core.admin_helpers import (BOB, CAROL, OWNER, I, about, aget, aset, listed, ok, seeded)
from tests.core.driver import Driver, errors, presences, to


# §9.1-9.2 ban -----------------------------------------------------------------------------

def test_ban_removes_the_occupant_with_301_actor_and_reason():
    d = Driver()
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    out = aset(d, OWNER, I(affiliation="outcast", jid="bob@localhost", reason="Treason"))
    mine = presences(out, BOB)[0]
    assert mine.unavailable and mine.codes == (110, 301)
    assert (mine.item.affiliation, mine.item.role, mine.item.actor_nick, mine.item.reason) == \
        ("outcast", "none", "Owner", "Treason")
    assert about(out, CAROL, "Bob")[0].codes == (301,)
    assert about(out, OWNER, "Bob")[0].item.jid == BOB
    assert d.room.affiliations["bob@localhost"] is Affiliation.OUTCAST
    assert errors(d.join(BOB, "Bob"), BOB) == ["forbidden"]


def test_ban_list_shows_jid_and_reason_but_no_nick_or_role():
    d = Driver()
    d.join(BOB, "Bob")
    aset(d, OWNER, I(affiliation="outcast", nick="Bob", reason="Treason"))
    items = listed(aget(d, OWNER, I(affiliation="outcast")), OWNER)
    assert [(i.affiliation, i.jid, i.nick, i.role, i.reason) for i in items] == \
        [("outcast", "bob@localhost", None, "", "Treason")]


def test_modify_the_ban_list_for_users_not_in_the_room_and_lift_a_ban():
    d = Driver()
    out = aset(d, OWNER, I(affiliation="outcast", jid="lordscroop@localhost", reason="Treason"),
               I(affiliation="outcast", jid="sirthomasgrey@localhost/x", reason="Treason"))
    assert ok(out, OWNER)
    assert {b for b, a in d.room.affiliations.items() if a is Affiliation.OUTCAST} == \
        {"lordscroop@localhost", "sirthomasgrey@localhost"}
    assert ok(aset(d, OWNER, I(affiliation="none", jid="lordscroop@localhost")), OWNER)
    assert [i.jid for i in listed(aget(d, OWNER, I(affiliation="outcast")), OWNER)] == \
        ["sirthomasgrey@localhost"]
    assert errors(d.join("lordscroop@localhost/r", "Scroop"), "lordscroop@localhost/r") == []


def test_ban_drops_the_reserved_nick():
    d = Driver()
    aset(d, OWNER, I(affiliation="member", jid="bob@localhost", nick="thirdwitch"))
    assert d.room.nick_owner("thirdwitch") == "bob@localhost"
    aset(d, OWNER, I(affiliation="outcast", jid="bob@localhost"))
    assert d.room.nick_owner("thirdwitch") is None


def test_admin_may_not_ban_an_owner_and_nobody_bans_himself():
    d = seeded(("carol@localhost", "admin"))
    d.join(CAROL, "Carol")
    assert errors(aset(d, CAROL, I(affiliation="outcast", jid="owner@localhost")),
                  CAROL) == ["not-allowed"]
    assert errors(aset(d, CAROL, I(affiliation="outcast", jid="carol@localhost")),
                  CAROL) == ["conflict"]
    assert errors(aset(d, OWNER, I(affiliation="outcast", jid="owner@localhost")),
                  OWNER) == ["conflict"]


def test_participants_may_not_ban():
    d = Driver()
    d.join(BOB, "Bob")
    assert errors(aset(d, BOB, I(affiliation="outcast", jid="eve@localhost")), BOB) == ["forbidden"]
    assert errors(aget(d, BOB, I(affiliation="outcast")), BOB) == ["forbidden"]


def test_admin_outside_the_room_bans_without_an_actor():
    d = seeded(("carol@localhost", "admin"))
    d.join(BOB, "Bob")
    out = aset(d, "carol@localhost/elsewhere", I(affiliation="outcast", jid="bob@localhost"))
    assert ok(out, "carol@localhost/elsewhere")
    assert presences(out, BOB)[0].item.actor_nick is None


# §9.3-9.5 membership -------------------------------------------------------------------------

def test_grant_membership_to_an_occupant_and_list_members():
    d = seeded(members_by_default=False)
    d.join(BOB, "Bob")
    out = aset(d, OWNER, I(affiliation="member", jid="bob@localhost", reason="A worthy witch indeed!"))
    p = about(out, OWNER, "Bob")[0]
    # a visitor made member gains the participant role membership brings (§5.1.2)
    assert (p.item.affiliation, p.item.role, p.item.reason) == \
        ("member", "participant", "A worthy witch indeed!")
    items = listed(aget(d, OWNER, I(affiliation="member")), OWNER)
    assert [(i.affiliation, i.jid, i.nick, i.role) for i in items] == \
        [("member", "bob@localhost", "Bob", "")]


def test_membership_with_a_nick_reserves_it_and_an_empty_nick_drops_it():
    d = Driver()
    assert ok(aset(d, OWNER, I(affiliation="member", jid="bob@localhost", nick="thirdwitch")), OWNER)
    assert errors(d.join(CAROL, "thirdwitch"), CAROL) == ["conflict"]
    items = listed(aget(d, OWNER, I(affiliation="member")), OWNER)
    assert [(i.jid, i.nick) for i in items] == [("bob@localhost", "thirdwitch")]
    out = aset(d, OWNER, I(affiliation="member", jid="carol@localhost", nick="thirdwitch"))
    assert errors(out, OWNER) == ["conflict"]
    aset(d, OWNER, I(affiliation="member", jid="bob@localhost", nick=""))
    assert d.room.nick_owner("thirdwitch") is None


def test_revoke_membership_in_an_open_room_keeps_the_occupant():
    d = seeded(("bob@localhost", "member"))
    d.join(BOB, "Bob")
    out = aset(d, OWNER, I(affiliation="none", jid="bob@localhost"))
    p = about(out, OWNER, "Bob")[0]
    assert not p.unavailable and (p.item.affiliation, p.item.role) == ("none", "participant")


def test_revoke_membership_in_a_members_only_room_removes_with_321_only():
    d = seeded(("bob@localhost", "member"), members_only=True)
    d.join(BOB, "Bob")
    out = aset(d, OWNER, I(affiliation="none", jid="bob@localhost"))
    seen = about(out, OWNER, "Bob")
    assert len(seen) == 1 and seen[0].unavailable and seen[0].codes == (321,)
    assert seen[0].item.actor_nick == "Owner" and seen[0].item.affiliation == "none"
    assert presences(out, BOB)[0].codes == (110, 321)
    assert errors(d.join(BOB, "Bob"), BOB) == ["registration-required"]


def test_new_member_of_a_members_only_room_is_invited():
    d = seeded(members_only=True, password_protected=True, password="cauldronburn")
    out = aset(d, OWNER, I(affiliation="member", jid="hecate@localhost"))
    inv = [s for s in to(out, "hecate@localhost") if isinstance(s, Invitation)]
    assert inv == [Invitation("owner@localhost", "", "cauldronburn")]


def test_open_room_membership_sends_no_invitation():
    d = Driver()
    out = aset(d, OWNER, I(affiliation="member", jid="hecate@localhost"))
    assert to(out, "hecate@localhost") == []


def test_modify_the_member_list_with_several_items():
    d = seeded(("hag66@localhost", "member"))
    out = aset(d, OWNER, I(affiliation="none", jid="hag66@localhost"),
               I(affiliation="member", jid="hecate@localhost"))
    assert ok(out, OWNER)
    assert [i.jid for i in listed(aget(d, OWNER, I(affiliation="member")), OWNER)] == \
        ["hecate@localhost"]


def test_member_list_visibility():
    d = seeded(("bob@localhost", "member"))
    d.join(BOB, "Bob")
    assert errors(aget(d, BOB, I(affiliation="member")), BOB) == ["forbidden"]   # semi-anonymous
    d2 = seeded(("bob@localhost", "member"), anonymous=False)
    assert listed(aget(d2, "bob@localhost/away", I(affiliation="member")), "bob@localhost/away")
    d3 = seeded(maygetmemberlist=("participant",))
    d3.join(CAROL, "Carol")
    assert listed(aget(d3, CAROL, I(affiliation="member")), CAROL) == ()


def test_admin_edits_members_but_not_admins_or_owners():
    d = seeded(("carol@localhost", "admin"), ("dave@localhost", "admin"))
    assert ok(aset(d, CAROL, I(affiliation="member", jid="bob@localhost")), CAROL)
    assert errors(aset(d, CAROL, I(affiliation="admin", jid="bob@localhost")), CAROL) == ["forbidden"]
    assert errors(aset(d, CAROL, I(affiliation="none", jid="dave@localhost")), CAROL) == ["forbidden"]
    assert errors(aset(d, CAROL, I(affiliation="member", jid="owner@localhost")),
                  CAROL) == ["not-allowed"]


# §10.3-10.8 owners and admins ------------------------------------------------------------------

def test_grant_owner_and_admin_status_to_occupants():
    d = Driver()
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    out = aset(d, OWNER, I(affiliation="owner", jid="bob@localhost"),
               I(affiliation="admin", jid="carol@localhost/c", reason="A worthy witch indeed!"))
    assert ok(out, OWNER)
    bob, carol = about(out, OWNER, "Bob")[0], about(out, OWNER, "Carol")[0]
    assert (bob.item.affiliation, bob.item.role) == ("owner", "moderator")
    assert (carol.item.affiliation, carol.item.role) == ("admin", "moderator")
    owners = listed(aget(d, OWNER, I(affiliation="owner")), OWNER)
    assert [(i.jid, i.nick, i.role) for i in owners] == \
        [("bob@localhost", "Bob", ""), ("owner@localhost", "Owner", "")]
    admins = listed(aget(d, OWNER, I(affiliation="admin")), OWNER)
    assert [(i.jid, i.reason) for i in admins] == [("carol@localhost", "A worthy witch indeed!")]


def test_revoke_admin_status_falls_back_to_the_default_role():
    d = seeded(("carol@localhost", "admin"))
    d.join(CAROL, "Carol")
    out = aset(d, OWNER, I(affiliation="none", jid="carol@localhost"))
    p = about(out, OWNER, "Carol")[0]
    assert (p.item.affiliation, p.item.role) == ("none", "participant")


def test_revoke_owner_status_to_admin():
    d = seeded(("bob@localhost", "owner"))
    d.join(BOB, "Bob")
    out = aset(d, OWNER, I(affiliation="admin", jid="bob@localhost"))
    p = about(out, OWNER, "Bob")[0]
    assert (p.item.affiliation, p.item.role) == ("admin", "moderator")


def test_non_owners_may_not_touch_the_owner_and_admin_lists():
    d = seeded(("carol@localhost", "admin"))
    d.join(BOB, "Bob")
    for aff in ("owner", "admin"):
        assert errors(aset(d, CAROL, I(affiliation=aff, jid="eve@localhost")), CAROL) == ["forbidden"]
        assert errors(aset(d, BOB, I(affiliation=aff, jid="eve@localhost")), BOB) == ["forbidden"]
        assert errors(aget(d, CAROL, I(affiliation=aff)), CAROL) == ["forbidden"]   # semi-anonymous


def test_non_anonymous_rooms_show_owner_and_admin_lists_to_members():
    d = seeded(("bob@localhost", "member"), anonymous=False)
    assert [i.jid for i in listed(aget(d, BOB, I(affiliation="owner")), BOB)] == ["owner@localhost"]


def test_the_last_owner_cannot_step_down_but_one_of_two_can():
    d = Driver()
    out = aset(d, OWNER, I(affiliation="admin", jid="owner@localhost"))
    assert errors(out, OWNER) == ["conflict"]
    assert d.room.affiliations["owner@localhost"] is Affiliation.OWNER
    out = aset(d, OWNER, I(affiliation="owner", jid="bob@localhost"),
               I(affiliation="member", jid="owner@localhost"))
    assert ok(out, OWNER)
    assert d.room.affiliations["owner@localhost"] is Affiliation.MEMBER
    assert presences(out, OWNER)[0].item.role == "participant"


def service_admin_room() -> Driver:
    from actors.core.access import AccessRules
    from actors.core.policy import ServicePolicy
    rules = AccessRules.from_tables({"root": [{"user": "root"}]},
                                    {"muc_admin": [{"acl": "root", "value": "allow"}]},
                                    ("localhost",))
    return Driver(policy=ServicePolicy("conference.localhost", access_admin="muc_admin",
                                       rules=rules))


def test_service_admin_acts_as_owner_but_cannot_remove_the_last_owner():
    d = service_admin_room()
    out = aset(d, "root@localhost/x", I(affiliation="none", jid="owner@localhost"))
    assert errors(out, "root@localhost/x") == ["conflict"]
    assert ok(aset(d, "root@localhost/x", I(affiliation="admin", jid="bob@localhost")),
              "root@localhost/x")


def test_a_service_admins_affiliation_cannot_be_lowered():
    d = service_admin_room()
    out = aset(d, OWNER, I(affiliation="outcast", jid="root@localhost"))
    assert errors(out, OWNER) == ["not-allowed"]


# members-only, persistence, the owner form ---------------------------------------------------------

def test_switching_to_members_only_removes_non_members_with_322_seen_by_all():
    d = seeded(("carol@localhost", "member"))
    d.join(BOB, "Bob")
    d.join(CAROL, "Carol")
    out = d.send(c.OwnerSet(OWNER, "cfg", form=c.Form("submit", (
        ("muc#roomconfig_membersonly", ("1",)),))))
    for jid in (OWNER, CAROL):
        gone = about(out, jid, "Bob")
        assert len(gone) == 1 and gone[0].unavailable and gone[0].codes == (322,)
    assert presences(out, BOB)[0].codes == (110, 322)
    assert set(d.room.occupants) == {"Owner", "Carol"}
    notice = [s for s in to(out, CAROL) if isinstance(s, MessageOut)]
    assert notice and 104 in notice[0].codes


def test_affiliation_changes_are_persisted_with_their_reasons():
    d = seeded(persistent=True)
    out = aset(d, OWNER, I(affiliation="outcast", jid="eve@localhost", reason="Spam"))
    snaps = [e.snapshot for e in out if isinstance(e, Persist)]
    assert len(snaps) == 1
    assert snaps[0].affiliations["eve@localhost"] == "outcast"
    assert snaps[0].extra["affiliation_reasons"] == {"eve@localhost": "Spam"}


def test_owner_form_lists_take_the_same_path():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(c.OwnerSet(OWNER, "cfg", form=c.Form("submit", (
        ("muc#roomconfig_roomadmins", ("bob@localhost",)),))))
    p = about(out, OWNER, "Bob")[0]
    assert (p.item.affiliation, p.item.role) == ("admin", "moderator")


def test_a_member_keeps_the_affiliation_on_return():
    d = Driver()
    d.join(BOB, "Bob")
    aset(d, OWNER, I(affiliation="member", nick="Bob"))
    d.send(c.Presence(BOB, "Bob", False))
    out = d.join(BOB, "Bob")
    assert about(out, BOB, "Bob")[0].item.affiliation == "member"
