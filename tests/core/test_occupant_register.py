"""Registration with a room (§7.10) and reserved nick discovery (§7.12) in the core."""
from actors.core import commands as c
from actors.core.effects import DiscoInfoResult, FormResult, IqResult, Persist
from actors.core.roles import Affiliation
from actors.core.state import RoomSeed
from tests.core.driver import Driver, errors, presences, to

OWNER = "owner@localhost/o"
BOB = "bob@localhost/b"
CAROL = "carol@localhost/c"
REGISTER = "http://jabber.org/protocol/muc#register"


def submit(sender, nick, id="reg", form_type=REGISTER, type="submit"):
    fields = (("FORM_TYPE", (form_type,)),) if form_type else ()
    if nick is not None:
        fields += (("muc#register_roomnick", (nick,)),)
    return c.RegisterSet(sender, id, form=c.Form(type, fields))


def result(out, jid):
    [r] = to(out, jid)
    assert isinstance(r, IqResult), r
    return r.payload


def test_registration_form_asks_for_a_nick():
    d = Driver()
    d.join(BOB, "Bob")
    form = result(d.send(c.RegisterGet(BOB, "g1")), BOB)
    assert isinstance(form, FormResult) and not form.registered
    assert form.namespace == "jabber:iq:register" and form.form_type == REGISTER
    assert [f.var for f in form.fields] == ["muc#register_roomnick"]


def test_registering_reserves_the_nick_and_makes_a_member():
    d = Driver(seed=RoomSeed(config={"persistent": True}))
    d.join(BOB, "Bob")
    out = d.send(submit(BOB, "thirdwitch"))
    first = to(out, BOB)[0]             # then the presence that shows the new member
    assert isinstance(first, IqResult) and first.payload is None
    assert d.room.extra["nicks"] == {"bob@localhost": "thirdwitch"}
    assert d.room.affiliation_of("bob@localhost") is Affiliation.MEMBER
    assert any(isinstance(e, Persist) for e in out)
    again = result(d.send(c.RegisterGet(BOB, "g2")), BOB)
    assert again.registered and again.username == "thirdwitch" and again.fields == ()


def test_registering_while_present_tells_everyone_of_the_membership():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(submit(BOB, "Bob"))
    assert isinstance(to(out, BOB)[0], IqResult)          # the user learns first
    [p] = presences(out, OWNER)
    assert p.nick == "Bob" and p.item.affiliation == "member"


def test_reserved_nick_is_discovered_with_x_roomuser_item():
    d = Driver()
    d.join(BOB, "Bob")
    d.send(submit(BOB, "thirdwitch"))
    info = result(d.send(c.DiscoInfo(BOB, "n1", node="x-roomuser-item")), BOB)
    assert isinstance(info, DiscoInfoResult) and info.node == "x-roomuser-item"
    assert info.identities == (("conference", "text", "thirdwitch"),)
    empty = result(d.send(c.DiscoInfo(CAROL, "n2", node="x-roomuser-item")), CAROL)
    assert empty.identities == () and empty.features == ()


def test_reserved_nick_discovery_after_joining_is_no_error():
    d = Driver()
    d.join(BOB, "thirdwitch")
    d.send(submit(BOB, "thirdwitch"))
    info = result(d.send(c.DiscoInfo(BOB, "n1", node="x-roomuser-item")), BOB)
    assert info.identities[0][2] == "thirdwitch"


def test_reserved_nick_keeps_others_out_of_it():
    d = Driver()
    d.join(BOB, "Bob")
    d.send(submit(BOB, "thirdwitch"))
    assert errors(d.join(CAROL, "thirdwitch"), CAROL) == ["conflict"]
    d.join(CAROL, "Carol")
    assert errors(d.send(submit(CAROL, "thirdwitch")), CAROL) == ["conflict"]


def test_nick_in_use_by_another_occupant_is_conflict():
    d = Driver()
    d.join(CAROL, "Carol")
    d.join(BOB, "Bob")
    assert errors(d.send(submit(BOB, "Carol")), BOB) == ["conflict"]
    assert "nicks" not in d.room.extra or "bob@localhost" not in d.room.extra["nicks"]


def test_changing_ones_reserved_nick():
    d = Driver()
    d.join(BOB, "Bob")
    d.send(submit(BOB, "first"))
    d.send(submit(BOB, "second"))
    assert d.room.extra["nicks"] == {"bob@localhost": "second"}
    assert errors(d.join(CAROL, "first"), CAROL) == []


def test_bad_registration_forms_are_bad_request():
    d = Driver()
    d.join(BOB, "Bob")
    assert errors(d.send(submit(BOB, None)), BOB) == ["bad-request"]
    assert errors(d.send(submit(BOB, "   ")), BOB) == ["bad-request"]
    assert errors(d.send(submit(BOB, "x", form_type="urn:other")), BOB) == ["bad-request"]
    assert errors(d.send(submit(BOB, "x", type="form")), BOB) == ["bad-request"]
    assert errors(d.send(c.RegisterSet(BOB, "r", form=None)), BOB) == ["bad-request"]
    assert d.room.affiliation_of("bob@localhost") is Affiliation.NONE


def test_cancelled_registration_changes_nothing():
    d = Driver()
    d.join(BOB, "Bob")
    out = d.send(submit(BOB, "x", type="cancel"))
    assert result(out, BOB) is None and d.room.affiliation_of("bob@localhost") is Affiliation.NONE


def test_outcasts_may_not_register():
    d = Driver()
    d.room.affiliations["bob@localhost"] = Affiliation.OUTCAST
    assert errors(d.send(c.RegisterGet(BOB, "g")), BOB) == ["forbidden"]
    assert errors(d.send(submit(BOB, "x")), BOB) == ["forbidden"]


def test_members_only_room_lets_only_affiliated_users_register():
    d = Driver(seed=RoomSeed(config={"members_only": True}))
    assert errors(d.send(c.RegisterGet(BOB, "g")), BOB) == ["not-allowed"]
    assert errors(d.send(submit(BOB, "x")), BOB) == ["not-allowed"]
    d.room.affiliations["bob@localhost"] = Affiliation.MEMBER
    assert errors(d.send(submit(BOB, "x")), BOB) == []
    assert d.room.extra["nicks"] == {"bob@localhost": "x"}


def test_registration_closed_where_newcomers_are_visitors():
    d = Driver(seed=RoomSeed(config={"members_by_default": False}))
    d.join(BOB, "Bob")
    assert errors(d.send(submit(BOB, "x")), BOB) == ["not-allowed"]
    open_room = Driver(seed=RoomSeed(config={"members_by_default": False, "moderated": False}))
    open_room.join(BOB, "Bob")
    assert errors(open_room.send(submit(BOB, "x")), BOB) == []


def test_admins_keep_their_affiliation_when_registering():
    d = Driver()
    d.room.affiliations["bob@localhost"] = Affiliation.ADMIN
    d.send(submit(BOB, "boss"))
    assert d.room.affiliation_of("bob@localhost") is Affiliation.ADMIN


def test_remove_cancels_registration_and_membership():
    d = Driver()
    d.join(BOB, "Bob")
    d.send(submit(BOB, "Bob"))
    out = d.send(c.RegisterSet(BOB, "rm", remove=True))
    assert isinstance(to(out, BOB)[0], IqResult)
    assert d.room.affiliation_of("bob@localhost") is Affiliation.NONE
    assert "bob@localhost" not in d.room.extra["nicks"]
    [p] = presences(out, OWNER)
    assert p.item.affiliation == "none"
    assert errors(d.send(c.RegisterSet(BOB, "rm2", remove=True)), BOB) == ["registration-required"]


def test_remove_keeps_an_owners_affiliation():
    d = Driver()
    d.send(submit(OWNER, "Boss"))
    d.send(c.RegisterSet(OWNER, "rm", remove=True))
    assert d.room.affiliation_of("owner@localhost") is Affiliation.OWNER
    assert d.room.extra["nicks"] == {}


def test_locked_room_hides_registration():
    d = Driver(instant=False)
    assert errors(d.send(c.RegisterGet(BOB, "g")), BOB) == ["item-not-found"]
