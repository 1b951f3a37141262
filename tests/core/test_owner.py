"""Owner use cases (XEP-0045 §10) on the pure core: the configuration form,
instant rooms, cancel, notifications, destroy."""
import pytest

from actors.core import commands as c
from actors.core.access import AccessRules
from actors.core.effects import Closed, Forget, FormResult, IqResult, MessageOut, Persist
from actors.core.policy import ServicePolicy
from actors.core.roles import Affiliation
from actors.core.state import RoomSeed
from tests.core.driver import Driver, errors, presences, to

OWNER = "owner@localhost/o"
BOB = "bob@localhost/b"
ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig"

STANDARD_VARS = {
    "muc#roomconfig_roomname", "muc#roomconfig_roomdesc", "muc#roomconfig_lang",
    "muc#roomconfig_publicroom", "muc#roomconfig_persistentroom",
    "muc#roomconfig_moderatedroom", "muc#roomconfig_membersonly",
    "muc#roomconfig_passwordprotectedroom", "muc#roomconfig_roomsecret",
    "muc#roomconfig_whois", "muc#roomconfig_maxusers", "muc#maxhistoryfetch",
    "muc#roomconfig_allowinvites", "muc#roomconfig_changesubject", "muc#roomconfig_allowpm",
    "muc#roomconfig_getmemberlist", "muc#roomconfig_presencebroadcast",
    "muc#roomconfig_roomowners", "muc#roomconfig_roomadmins",
    "muc#roomconfig_enablelogging", "muc#roomconfig_pubsub",
}
MONGOOSEIM_VARS = {"members_by_default", "public_list", "allow_query_users",
                   "muc#roomconfig_allowmultisessions", "muc#roomconfig_allowvisitorstatus",
                   "muc#roomconfig_allowvisitornickchange"}


def submit(d: Driver, *fields: tuple[str, tuple[str, ...]], sender: str = OWNER,
           ftype: str = "submit") -> list:
    return d.send(c.OwnerSet(sender, "cfg", form=c.Form(ftype, (("FORM_TYPE", (ROOMCONFIG,)),)
                                                        + tuple(fields))))


def form_of(d: Driver, sender: str = OWNER) -> dict:
    [res] = [s for s in to(d.send(c.OwnerGet(sender, "get")), sender) if isinstance(s, IqResult)]
    assert isinstance(res.payload, FormResult)
    return {f.var: f for f in res.payload.fields}


def test_form_has_every_standard_field_and_mongooseim_extras():
    fields = form_of(Driver())
    assert STANDARD_VARS | MONGOOSEIM_VARS | {"FORM_TYPE"} <= set(fields)
    assert fields["FORM_TYPE"].values == (ROOMCONFIG,)
    assert fields["muc#roomconfig_whois"].options == (("moderators", "Moderators only"),
                                                      ("anyone", "Anyone"))
    assert fields["muc#roomconfig_presencebroadcast"].type == "list-multi"
    assert fields["muc#roomconfig_presencebroadcast"].values == ("moderator", "participant",
                                                                 "visitor")
    assert fields["muc#maxhistoryfetch"].values == ("20",)      # the service's history_size
    assert fields["muc#roomconfig_roomowners"].values == ("owner@localhost",)


def test_form_maxusers_options_include_current_and_service_values():
    d = Driver(seed=RoomSeed(config={"max_users": 42}),
               policy=ServicePolicy("conference.localhost", max_users=60))
    field = form_of(d)["muc#roomconfig_maxusers"]
    assert field.values == ("42",)
    assert [v for v, _ in field.options] == ["5", "10", "20", "30", "42", "50", "60"]


def test_persistent_hidden_and_refused_when_access_persistent_denies():
    policy = ServicePolicy("conference.localhost", access_persistent="none")
    d = Driver(policy=policy)
    assert "muc#roomconfig_persistentroom" not in form_of(d)
    assert errors(submit(d, ("muc#roomconfig_persistentroom", ("1",))), OWNER) == \
        ["not-acceptable"]
    assert errors(submit(d, ("muc#roomconfig_persistentroom", ("0",))), OWNER) == []


def test_submit_applies_every_field():
    d = Driver()
    out = submit(d, ("muc#roomconfig_roomname", ("A Dark Cave",)),
                 ("muc#roomconfig_roomdesc", ("witches",)), ("muc#roomconfig_lang", ("en",)),
                 ("muc#roomconfig_publicroom", ("0",)), ("muc#roomconfig_moderatedroom", ("false",)),
                 ("muc#roomconfig_passwordprotectedroom", ("1",)),
                 ("muc#roomconfig_roomsecret", ("cauldron",)),
                 ("muc#roomconfig_whois", ("anyone",)), ("muc#roomconfig_maxusers", ("10",)),
                 ("muc#maxhistoryfetch", ("5",)), ("muc#roomconfig_allowinvites", ("1",)),
                 ("muc#roomconfig_changesubject", ("0",)), ("muc#roomconfig_allowpm", ("none",)),
                 ("muc#roomconfig_getmemberlist", ("moderator", "participant")),
                 ("muc#roomconfig_presencebroadcast", ("moderator",)),
                 ("muc#roomconfig_enablelogging", ("1",)),
                 ("muc#roomconfig_pubsub", ("xmpp:pubsub.localhost?;node=n",)),
                 ("members_by_default", ("0",)), ("public_list", ("0",)),
                 ("allow_query_users", ("0",)), ("muc#roomconfig_allowmultisessions", ("1",)),
                 ("muc#roomconfig_allowvisitorstatus", ("0",)),
                 ("muc#roomconfig_allowvisitornickchange", ("0",)),
                 ("muc#roomconfig_unknown_to_us", ("whatever",)))
    assert errors(out, OWNER) == []
    cfg = d.room.config
    assert (cfg.title, cfg.description, cfg.language) == ("A Dark Cave", "witches", "en")
    assert not cfg.public and not cfg.moderated and cfg.password_protected
    assert (cfg.password, cfg.anonymous, cfg.max_users, cfg.history_length) == \
        ("cauldron", False, 10, "5")
    assert cfg.allow_user_invites and not cfg.allow_change_subj and not cfg.allow_private_messages
    assert cfg.maygetmemberlist == ("moderator", "participant")
    assert cfg.presence_broadcast == ("moderator",) and cfg.logging
    assert cfg.pubsub == "xmpp:pubsub.localhost?;node=n"
    assert not cfg.members_by_default and not cfg.public_list and not cfg.allow_query_users
    assert cfg.allow_multiple_sessions and not cfg.allow_visitor_status
    assert not cfg.allow_visitor_nickchange
    assert form_of(d)["muc#maxhistoryfetch"].values == ("5",)


@pytest.mark.parametrize("var, values, condition", [
    ("muc#roomconfig_publicroom", ("yes",), "bad-request"),
    ("muc#roomconfig_publicroom", ("1", "0"), "bad-request"),
    ("muc#roomconfig_maxusers", ("many",), "bad-request"),
    ("muc#roomconfig_maxusers", ("0",), "bad-request"),
    ("muc#roomconfig_whois", ("none",), "bad-request"),             # deprecated full anonymity
    ("muc#roomconfig_allowpm", ("everybody",), "bad-request"),
    ("muc#roomconfig_getmemberlist", ("owner",), "bad-request"),
    ("muc#roomconfig_presencebroadcast", ("none",), "bad-request"),
    ("muc#maxhistoryfetch", ("-3",), "bad-request"),
    ("muc#maxhistoryfetch", ("500",), "not-acceptable"),
    ("muc#roomconfig_passwordprotectedroom", ("1",), "not-acceptable"),   # blank password
    ("muc#roomconfig_roomowners", ("not a jid@@",), "jid-malformed"),
    ("muc#roomconfig_roomowners", (), "conflict"),                  # no owner left
    ("muc#roomconfig_pubsub", ("http://example.com",), "not-acceptable"),
])
def test_invalid_values_are_refused_and_nothing_changes(var, values, condition):
    d = Driver()
    before = d.room.config
    out = submit(d, ("muc#roomconfig_roomname", ("changed",)), (var, values))
    assert errors(out, OWNER) == [condition]
    assert d.room.config == before


@pytest.mark.parametrize("form", [
    c.Form("form"), c.Form("result"),
    c.Form("submit", (("FORM_TYPE", ("http://jabber.org/protocol/muc#register",)),)),
])
def test_wrong_form_type_or_form_type_field_is_bad_request(form):
    d = Driver()
    assert errors(d.send(c.OwnerSet(OWNER, "x", form=form)), OWNER) == ["bad-request"]


def test_owner_set_without_form_or_destroy_is_bad_request():
    assert errors(Driver().send(c.OwnerSet(OWNER, "x")), OWNER) == ["bad-request"]


def test_non_owner_get_submit_destroy_forbidden():
    d = Driver()
    d.join(BOB, "Bob")
    d.room.affiliations["bob@localhost"] = Affiliation.ADMIN
    assert errors(d.send(c.OwnerGet(BOB, "g")), BOB) == ["forbidden"]
    assert errors(submit(d, ("muc#roomconfig_roomname", ("x",)), sender=BOB), BOB) == ["forbidden"]
    out = d.send(c.OwnerSet(BOB, "d", destroy=c.DestroyRequest("no")))
    assert errors(out, BOB) == ["forbidden"] and not d.room.closed


def test_service_admin_may_configure():
    rules = AccessRules.from_tables({"admin": [{"user": "boss", "server": "localhost"}]},
                                    {"muc_admin": [{"acl": "admin", "value": "allow"}]},
                                    ("localhost",))
    d = Driver(policy=ServicePolicy("conference.localhost", access_admin="muc_admin",
                                    rules=rules))
    assert errors(submit(d, ("muc#roomconfig_roomname", ("x",)), sender="boss@localhost/r"),
                  "boss@localhost/r") == []
    assert d.room.config.title == "x"


def test_instant_room_unlocks_without_notification():
    d = Driver(instant=False)
    out = d.send(c.OwnerSet(OWNER, "i", form=c.Form("submit")))
    assert not d.room.locked
    assert [type(s).__name__ for s in to(out, OWNER)] == ["IqResult"]


def test_reserved_room_configured_while_locked_sends_no_104():
    d = Driver(instant=False)
    out = submit(d, ("muc#roomconfig_enablelogging", ("1",)))
    assert [type(s).__name__ for s in to(out, OWNER)] == ["IqResult"] and not d.room.locked


def test_cancel_initial_configuration_destroys_the_room():
    d = Driver(instant=False)
    out = d.send(c.OwnerSet(OWNER, "c", form=c.Form("cancel")))
    mine = to(out, OWNER)
    assert isinstance(mine[0], IqResult)
    assert mine[1].unavailable and mine[1].destroy is not None
    assert d.room.closed and any(isinstance(e, Closed) for e in out)


def test_cancel_later_configuration_changes_nothing():
    d = Driver()
    before = d.room.config
    out = d.send(c.OwnerSet(OWNER, "c", form=c.Form("cancel")))
    assert [type(s).__name__ for s in to(out, OWNER)] == ["IqResult"]
    assert d.room.config == before and not d.room.closed


@pytest.mark.parametrize("field, value, codes", [
    ("muc#roomconfig_enablelogging", "1", (104, 170)),
    ("muc#roomconfig_whois", "anyone", (104, 172)),
    ("muc#roomconfig_roomname", "New name", (104,)),
])
def test_config_change_notifies_occupants(field, value, codes):
    d = Driver()
    d.join(BOB, "Bob")
    out = submit(d, (field, (value,)))
    [note] = [s for s in to(out, BOB) if isinstance(s, MessageOut)]
    assert note.nick is None and note.type == "groupchat" and note.codes == codes
    assert note.id is not None


def test_turning_logging_off_171_and_back_to_semi_anonymous_173():
    d = Driver(seed=RoomSeed(config={"logging": True, "anonymous": False}))
    d.join(BOB, "Bob")
    out = submit(d, ("muc#roomconfig_enablelogging", ("0",)), ("muc#roomconfig_whois", ("moderators",)))
    [note] = [s for s in to(out, BOB) if isinstance(s, MessageOut)]
    assert note.codes == (104, 171, 173)


def test_unchanged_submit_sends_no_notification():
    d = Driver()
    d.join(BOB, "Bob")
    out = submit(d, ("muc#roomconfig_roomname", ("",)))
    assert [s for s in to(out, BOB) if isinstance(s, MessageOut)] == []


def test_owner_and_admin_lists_in_the_form():
    d = Driver()
    d.join(BOB, "Bob")
    out = submit(d, ("muc#roomconfig_roomadmins", ("bob@localhost/anything",)))
    assert d.room.affiliations["bob@localhost"] is Affiliation.ADMIN
    assert [p.item.affiliation for p in presences(out, OWNER) if p.nick == "Bob"] == ["admin"]
    out = submit(d, ("muc#roomconfig_roomadmins", ()),
                 ("muc#roomconfig_roomowners", ("owner@localhost", "carol@localhost")))
    assert "bob@localhost" not in d.room.affiliations
    assert d.room.affiliations["carol@localhost"] is Affiliation.OWNER


def test_the_only_owner_listed_as_admin_alone_is_refused_and_stays_owner():
    # found by tests/core/test_fuzz.py: the form demoted the last owner of a persistent room
    d = Driver(seed=RoomSeed(config={"persistent": True}))
    out = submit(d, ("muc#roomconfig_roomadmins", ("owner@localhost",)))
    assert errors(out, OWNER) == ["conflict"]
    assert d.room.affiliations == {"owner@localhost": Affiliation.OWNER}
    out = submit(d, ("muc#roomconfig_roomadmins", ("owner@localhost",)),
                 ("muc#roomconfig_roomowners", ("carol@localhost",)))
    assert errors(out, OWNER) == []
    assert d.room.affiliations == {"owner@localhost": Affiliation.ADMIN,
                                   "carol@localhost": Affiliation.OWNER}


def test_destroy_tells_each_occupant_once_with_reason_venue_password():
    d = Driver(seed=RoomSeed(config={"persistent": True}))
    d.join(BOB, "Bob")
    out = d.send(c.OwnerSet(OWNER, "d", destroy=c.DestroyRequest(
        "Macbeth doth come.", "coven@conference.localhost", "cauldron")))
    for jid, nick in ((OWNER, "Owner"), (BOB, "Bob")):
        [p] = presences(out, jid)
        assert p.nick == nick and p.unavailable and 110 in p.codes
        assert (p.item.affiliation, p.item.role) == ("none", "none")
        assert (p.destroy.reason, p.destroy.alternate, p.destroy.password) == \
            ("Macbeth doth come.", "coven@conference.localhost", "cauldron")
    assert isinstance(to(out, OWNER)[-1], IqResult)
    assert d.room.closed
    assert [type(e).__name__ for e in out if isinstance(e, (Forget, Closed))] == \
        ["Forget", "Closed"]


def test_persistent_room_config_change_is_persisted():
    d = Driver()
    out = submit(d, ("muc#roomconfig_persistentroom", ("1",)))
    assert any(isinstance(e, Persist) for e in out)
