"""mod_muc access options on the pure core and the wiring: access_create and
max_room_id (actors/core/creation.py), access_admin (owners everywhere, the service
announcement), access_persistent, and server_host for multi-host `current_domain`."""
from __future__ import annotations

from actors.core import commands as c
from actors.core.access import AccessRules
from actors.core.creation import CreationPolicy
from actors.core.effects import MessageOut
from actors.core.policy import ServicePolicy
from actors.core.roles import Affiliation
from raymuc import wiring
from raymuc.config import parse_config
from tests.core.driver import Driver, errors, presences, to

OWNER = "owner@localhost/o"
BOB = "bob@localhost/b"
BOSS = "boss@localhost/x"

RULES = AccessRules.from_tables(
    {"creators": [{"user_regexp": "^creator"}], "admins": [{"user": "boss"}]},
    {"muc_create": [{"acl": "creators", "value": "allow"}],
     "muc_admin": [{"acl": "admins", "value": "allow"}]},
    ("localhost", "example.org"))


def creation(max_room_id=None, server_host="localhost") -> CreationPolicy:
    return CreationPolicy(RULES, "muc_create", max_room_id, server_host)


# access_create -------------------------------------------------------------------

def test_access_create_allows_matching_users_and_refuses_others_not_allowed():
    policy = creation()
    assert policy.refusal("new@conference.localhost", "creator1@localhost/r", stored=False) is None
    err = policy.refusal("new@conference.localhost", "bob@localhost/r", stored=False)
    assert (err.condition, err.type) == ("not-allowed", "cancel")
    assert err.text.startswith("Room creation is denied by service policy")


def test_access_create_also_gates_waking_a_stored_room_by_joining():
    # MongooseIM: an available presence to a room not online goes through
    # check_user_can_create_room whether the room is stored or not
    err = creation().refusal("kept@conference.localhost", "bob@localhost/r", stored=True)
    assert err is not None and err.condition == "not-allowed"
    assert creation().refusal("kept@conference.localhost", "creator2@localhost/r", stored=True) is None


def test_access_create_current_domain_is_the_services_own_host():
    # acl patterns default to match = "current_domain": a creator of example.org
    # may create on conference.example.org, not on conference.localhost
    assert creation(server_host="example.org").refusal(
        "r@conference.example.org", "creator@example.org/x", False) is None
    assert creation(server_host="localhost").refusal(
        "r@conference.localhost", "creator@example.org/x", False) is not None


# max_room_id -----------------------------------------------------------------------

def test_max_room_id_edge_n_allowed_n_plus_1_refused():
    policy = creation(max_room_id=8)
    assert policy.refusal("abcdefgh@conference.localhost", "creator@localhost/r", False) is None
    err = policy.refusal("abcdefghi@conference.localhost", "creator@localhost/r", False)
    assert err.condition == "not-allowed" and "8 characters" in err.text


def test_max_room_id_counts_characters_and_spares_existing_rooms():
    policy = creation(max_room_id=4)
    assert policy.refusal("ñäöü@conference.localhost", "creator@localhost/r", False) is None
    assert policy.refusal("toolong@conference.localhost", "creator@localhost/r", True) is None


def test_max_room_id_zero_refuses_every_new_room_infinity_none():
    assert creation(max_room_id=0).refusal("a@conference.localhost", "creator@localhost/r",
                                           False) is not None
    assert creation(max_room_id=None).refusal("a" * 500 + "@conference.localhost",
                                              "creator@localhost/r", False) is None


# access_admin -------------------------------------------------------------------

def admin_driver(**kw) -> Driver:
    return Driver(policy=ServicePolicy("conference.localhost", access_admin="muc_admin",
                                       rules=RULES, server_host="localhost", **kw))


def test_service_admin_is_owner_in_every_room_and_cannot_be_banned():
    d = admin_driver()
    assert d.room.effective_affiliation("boss@localhost") is Affiliation.OWNER
    mine = [p for p in presences(d.join(BOSS, "Boss"), BOSS) if p.nick == "Boss"][-1]
    assert (mine.item.affiliation, mine.item.role) == ("owner", "moderator")
    out = d.send(c.AdminSet(OWNER, "ban", (c.AdminItem(affiliation="outcast",
                                                       jid="boss@localhost"),)))
    assert errors(out, OWNER) == ["not-allowed"]


def test_service_admin_of_another_host_is_not_admin_here():
    d = admin_driver()
    assert not d.room.policy.is_service_admin("boss@example.org")
    assert d.room.effective_affiliation("boss@example.org") is Affiliation.NONE


def test_announcement_reaches_every_occupant_from_the_room_and_stays_in_history():
    d = admin_driver()
    d.join(BOB, "Bob")
    out = d.send(c.ServiceAnnouncement(BOSS, "Maintenance at noon", "a1"))
    for who in (OWNER, BOB):
        msgs = [m for m in to(out, who) if isinstance(m, MessageOut)]
        assert [(m.nick, m.type, m.body) for m in msgs] == \
            [(None, "groupchat", "Maintenance at noon")]
    later = d.join("carol@localhost/c", "Carol")
    history = [m for m in to(later, "carol@localhost/c")
               if isinstance(m, MessageOut) and m.body == "Maintenance at noon"]
    assert len(history) == 1 and history[0].delay is not None


def test_announcement_from_a_non_admin_is_dropped_silently():
    d = admin_driver()
    d.join(BOB, "Bob")
    assert d.send(c.ServiceAnnouncement(BOB, "I am the admin", "a2")) == []
    assert len(d.room.history) == 0


# access_persistent ----------------------------------------------------------------

def submit(d: Driver, sender: str, *fields) -> list:
    return d.send(c.OwnerSet(sender, "cfg", form=c.Form("submit", tuple(fields))))


def persistent_driver(persistent: bool) -> Driver:
    from actors.core.state import RoomSeed
    rules = AccessRules.from_tables({"keepers": [{"user": "owner"}]},
                                    {"muc_persistent": [{"acl": "keepers", "value": "allow"}]},
                                    ("localhost",))
    return Driver(seed=RoomSeed(config={"persistent": persistent}),
                  policy=ServicePolicy("conference.localhost", access_persistent="muc_persistent",
                                       rules=rules, server_host="localhost"))


def test_access_persistent_owner_who_matches_may_switch_it_both_ways():
    d = persistent_driver(False)
    assert errors(submit(d, OWNER, ("muc#roomconfig_persistentroom", ("1",))), OWNER) == []
    assert d.room.config.persistent
    assert errors(submit(d, OWNER, ("muc#roomconfig_persistentroom", ("0",))), OWNER) == []
    assert not d.room.config.persistent


def test_access_persistent_other_owner_cannot_turn_it_off_either():
    d = persistent_driver(True)
    other = "other@localhost/o"
    d.send(c.AdminSet(OWNER, "own", (c.AdminItem(affiliation="owner", jid="other@localhost"),)))
    assert errors(submit(d, other, ("muc#roomconfig_persistentroom", ("0",))), other) == \
        ["not-acceptable"]
    assert d.room.config.persistent
    # resubmitting the current value (clients echo whole forms) is fine
    assert errors(submit(d, other, ("muc#roomconfig_persistentroom", ("1",)),
                         ("muc#roomconfig_roomname", ("Renamed",))), other) == []
    assert d.room.config.title == "Renamed"


# wiring ---------------------------------------------------------------------------

def test_wiring_gives_each_muc_domain_its_server_host_and_limits():
    config = parse_config("""
[general]
hosts = ["localhost", "example.org"]
[component]
password = "x"
[modules.mod_muc]
host = "muc.@HOST@"
max_room_id = 12
max_user_conferences = 3
access_create = "muc_create"
[access]
muc_create = [{acl = "creators", value = "allow"}]
[acl]
creators = [{user = "creator"}]
""")
    settings = wiring.host_settings(config, "mongodb://unused")
    for domain, host in (("muc.localhost", "localhost"), ("muc.example.org", "example.org")):
        service = settings.services[domain]
        assert service.policy.server_host == host
        assert (service.max_room_id, service.max_user_conferences) == (12, 3)
        assert service.creation.refusal(f"r@{domain}", f"creator@{host}/x", False) is None
    other = settings.services["muc.localhost"].creation
    assert other.refusal("r@muc.localhost", "creator@example.org/x", False) is not None
