"""What a room stores per bare JID is bounded (issue 15, item 5): only occupants register,
and each affiliation list, the registered nicks and all of them in bytes have caps
(actors/core/caps.py) beyond which a change is refused with resource-constraint and
nothing of it is applied."""
from actors.core import commands as c
from actors.core.caps import MAX_LIST_ENTRIES, MAX_REGISTERED_NICKS, MAX_STORED_BYTES
from actors.core.effects import ErrorOut, Invitation
from actors.core.roles import Affiliation
from actors.core.state import RoomSeed
from tests.core.driver import Driver, errors, to
from tests.core.test_occupant_register import submit

OWNER = "owner@localhost/o"
BOB = "bob@localhost/b"
CAROL = "carol@localhost/c"
ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig"


def fill(d: Driver, aff: Affiliation, count: int, width: int = 8) -> None:
    d.room.affiliations.update({f"u{i:0{width}}@localhost": aff for i in range(count)})


def refusal(out, jid: str) -> ErrorOut:
    [err] = [s for s in to(out, jid) if isinstance(s, ErrorOut)]
    assert err.error.condition == "resource-constraint" and err.error.text, err
    return err


def admin_set(d: Driver, *items: c.AdminItem) -> list:
    return d.send(c.AdminSet(OWNER, "a1", items))


# Who may register -------------------------------------------------------------------

def test_a_stranger_who_never_entered_may_not_register():
    d = Driver(seed=RoomSeed(config={"persistent": True}))
    assert errors(d.send(c.RegisterGet(BOB, "g")), BOB) == ["not-allowed"]
    out = d.send(submit(BOB, "thirdwitch"))
    assert errors(out, BOB) == ["not-allowed"]
    assert d.room.affiliation_of("bob@localhost") is Affiliation.NONE
    assert "bob@localhost" not in d.room.extra.get("nicks", {})
    d.join(BOB, "Bob")
    assert errors(d.send(submit(BOB, "thirdwitch")), BOB) == []


def test_a_member_may_register_without_being_in_the_room():
    d = Driver()
    d.room.affiliations["bob@localhost"] = Affiliation.MEMBER
    assert errors(d.send(submit(BOB, "thirdwitch")), BOB) == []
    assert d.room.extra["nicks"] == {"bob@localhost": "thirdwitch"}


# Registration caps ------------------------------------------------------------------

def test_registering_into_a_full_member_list_is_refused_and_changes_nothing():
    d = Driver()
    fill(d, Affiliation.MEMBER, MAX_LIST_ENTRIES)
    d.join(BOB, "Bob")
    out = d.send(submit(BOB, "thirdwitch"))
    refusal(out, BOB)
    assert d.room.affiliation_of("bob@localhost") is Affiliation.NONE
    assert "bob@localhost" not in d.room.extra.get("nicks", {})


def test_registering_past_the_registered_nicks_cap_is_refused():
    d = Driver()
    d.room.affiliations["bob@localhost"] = Affiliation.MEMBER
    d.room.extra["nicks"] = {f"u{i}@localhost": f"n{i}" for i in range(MAX_REGISTERED_NICKS)}
    refusal(d.send(submit(BOB, "thirdwitch")), BOB)
    assert "bob@localhost" not in d.room.extra["nicks"]
    # one who already holds a nick may still change it: the list does not grow
    d.room.extra["nicks"] = {**{f"u{i}@localhost": f"n{i}" for i in range(MAX_REGISTERED_NICKS - 1)},
                             "bob@localhost": "first"}
    assert errors(d.send(submit(BOB, "second")), BOB) == []
    assert d.room.extra["nicks"]["bob@localhost"] == "second"


# muc#admin and the owner form ----------------------------------------------------------

def test_an_admin_cannot_grow_a_full_list_but_can_shrink_it():
    d = Driver()
    fill(d, Affiliation.OUTCAST, MAX_LIST_ENTRIES + 1)      # restored from older data
    out = admin_set(d, c.AdminItem("member", jid="carol@localhost"),
                    c.AdminItem("outcast", jid="bob@localhost", reason="spam"))
    refusal(out, OWNER)
    assert d.room.affiliation_of("carol@localhost") is Affiliation.NONE    # none of the batch
    assert d.room.affiliation_of("bob@localhost") is Affiliation.NONE
    out = admin_set(d, c.AdminItem("none", jid="u00000000@localhost"))
    assert errors(out, OWNER) == []
    assert sum(a is Affiliation.OUTCAST for a in d.room.affiliations.values()) == MAX_LIST_ENTRIES


def test_each_list_has_its_own_cap():
    d = Driver()
    fill(d, Affiliation.MEMBER, MAX_LIST_ENTRIES)
    refusal(admin_set(d, c.AdminItem("member", jid="carol@localhost")), OWNER)
    assert errors(admin_set(d, c.AdminItem("outcast", jid="carol@localhost")), OWNER) == []
    # moving someone from a full list to another does not grow the full one
    assert errors(admin_set(d, c.AdminItem("admin", jid="u00000001@localhost")), OWNER) == []


def test_the_owner_form_cannot_grow_the_admin_list_past_its_cap():
    d = Driver()
    admins = tuple(f"a{i}@localhost" for i in range(MAX_LIST_ENTRIES + 1))
    form = c.Form("submit", (("FORM_TYPE", (ROOMCONFIG,)),
                             ("muc#roomconfig_roomname", ("Renamed",)),
                             ("muc#roomconfig_roomadmins", admins)))
    out = d.send(c.OwnerSet(OWNER, "cfg", form=form))
    refusal(out, OWNER)
    assert not any(a is Affiliation.ADMIN for a in d.room.affiliations.values())
    assert d.room.config.as_dict().get("title") != "Renamed"


def test_the_stored_bytes_are_capped_whatever_the_number_of_entries():
    d = Driver()
    long_local = "x" * 1000                                  # RFC 7622 allows 1023 bytes
    count = MAX_STORED_BYTES // 1000 // 4                    # a quarter of the list caps...
    assert count < MAX_LIST_ENTRIES
    for aff in (Affiliation.MEMBER, Affiliation.OUTCAST, Affiliation.ADMIN, Affiliation.OWNER):
        d.room.affiliations.update({f"{long_local}{aff.value}{i}@localhost": aff
                                    for i in range(count)})
    out = admin_set(d, c.AdminItem("member", jid=f"{long_local}@localhost", reason="r" * 100))
    refusal(out, OWNER)                                      # ...but 8 MiB of JIDs
    assert d.room.affiliation_of(f"{long_local}@localhost") is Affiliation.NONE


def test_an_invitation_into_a_full_members_only_room_is_refused():
    d = Driver(seed=RoomSeed(config={"members_only": True}))
    fill(d, Affiliation.MEMBER, MAX_LIST_ENTRIES)
    out = d.send(c.Invite(OWNER, (("carol@localhost", ""),), id="i1"))
    refusal(out, OWNER)
    assert d.room.affiliation_of("carol@localhost") is Affiliation.NONE
    assert not [s for s in to(out, "carol@localhost") if isinstance(s, Invitation)]
