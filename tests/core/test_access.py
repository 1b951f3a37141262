"""ACL patterns and access rules (MongooseIM semantics), as matching tables."""
from __future__ import annotations

import pickle

import pytest

from actors.core.access import AccessRules, AclError, glob_to_regexp

HOSTS = ("localhost", "example.com")


def rules(acl: dict, access: dict | None = None) -> AccessRules:
    return AccessRules.from_tables(acl, access or {}, HOSTS)


# (pattern, jid, server_host, expected): does the access class {"c": [pattern]} contain jid?
PATTERN_TABLE = [
    # match
    ({}, "alice@localhost", "localhost", True),                 # default: current_domain
    ({}, "alice@example.com", "localhost", False),
    ({}, "alice@remote.org", None, False),                      # None: any served host
    ({}, "alice@example.com", None, True),
    ({"match": "all"}, "alice@remote.org", "localhost", True),
    ({"match": "none"}, "alice@localhost", "localhost", False),
    ({"match": "any_hosted_domain"}, "alice@example.com", "localhost", True),
    ({"match": "any_hosted_domain"}, "alice@remote.org", "localhost", False),
    # exact user/server/resource; user and server case-insensitive, resource exact
    ({"user": "alice"}, "alice@localhost/phone", "localhost", True),
    ({"user": "Alice"}, "ALICE@localhost", "localhost", True),
    ({"user": "alice"}, "bob@localhost", "localhost", False),
    ({"user": "alice"}, "alice@remote.org", "localhost", False),   # still current_domain
    ({"user": "alice", "match": "all"}, "alice@remote.org", "localhost", True),
    ({"server": "remote.org", "match": "all"}, "x@REMOTE.org", "localhost", True),
    ({"server": "remote.org"}, "x@remote.org", "localhost", False),  # AND current_domain
    ({"resource": "mobile"}, "alice@localhost/mobile", "localhost", True),
    ({"resource": "mobile"}, "alice@localhost/Mobile", "localhost", False),
    ({"resource": "mobile"}, "alice@localhost", "localhost", False),
    ({"user": "alice", "resource": "mobile"}, "alice@localhost/home", "localhost", False),
    # regexps search (unanchored), like Erlang re:run
    ({"user_regexp": ""}, "anyone@localhost", "localhost", True),
    ({"user_regexp": "^a.*e"}, "alice@localhost", "localhost", True),
    ({"user_regexp": "^a.*e"}, "bob@localhost", "localhost", False),
    ({"user_regexp": "li"}, "alice@localhost", "localhost", True),
    ({"server_regexp": "host", "match": "all"}, "alice@host1", "localhost", True),
    ({"server_regexp": "^host", "match": "all"}, "alice@xmpp.org", "localhost", False),
    ({"resource_regexp": r"^res\d+$"}, "bob@localhost/res123", "localhost", True),
    ({"resource_regexp": r"^res\d+$"}, "bob@localhost/home", "localhost", False),
    # globs match the whole string
    ({"user_glob": "a*e*"}, "albert@localhost", "localhost", True),
    ({"user_glob": "a*e*"}, "bob@localhost", "localhost", False),
    ({"user_glob": "a*e"}, "albert@localhost", "localhost", False),
    ({"server_glob": "host*", "match": "all"}, "alice@host1", "localhost", True),
    ({"resource_glob": "res???"}, "bob@localhost/res123", "localhost", True),
    ({"resource_glob": "res???"}, "bob@localhost/res1234", "localhost", False),
    ({"user_glob": "[ab]*"}, "bob@localhost", "localhost", True),
    ({"user_glob": "[!ab]*"}, "bob@localhost", "localhost", False),
    ({"user_glob": "a.b"}, "axb@localhost", "localhost", False),     # "." is literal
    # several keys: all must match
    ({"user_regexp": "a", "server_regexp": "^a", "match": "all"}, "dan@abc.org", "x", True),
    ({"user_regexp": "a", "server_regexp": "^a", "match": "all"}, "bob@abc.org", "x", False),
]


@pytest.mark.parametrize("pattern, jid, server_host, expected", PATTERN_TABLE)
def test_pattern(pattern, jid, server_host, expected):
    assert rules({"c": [pattern]}).in_acl("c", jid, server_host) is expected


def test_class_is_a_union_of_patterns():
    r = rules({"admin": [{"user": "alice"}, {"user": "charlie"}]})
    assert r.in_acl("admin", "alice@localhost")
    assert r.in_acl("admin", "charlie@localhost")
    assert not r.in_acl("admin", "bob@localhost")


def test_empty_class_matches_nobody_and_builtins():
    r = rules({"nobody": []})
    assert not r.in_acl("nobody", "alice@localhost")
    assert r.in_acl("all", "anyone@remote.org")
    assert not r.in_acl("none", "alice@localhost")


ACL = {"admin": [{"user": "alice"}], "local": [{}], "blocked": [{"user_glob": "spam*", "match": "all"}]}
ACCESS = {
    "muc_admin": [{"acl": "admin", "value": "allow"}],
    "muc_create": [{"acl": "local", "value": "allow"}, {"acl": "all", "value": "deny"}],
    "muc": [{"acl": "blocked", "value": "deny"}, {"acl": "all", "value": "allow"}],
    "max_rooms": [{"acl": "admin", "value": 100}, {"acl": "all", "value": 5}],
    "shaper": [{"acl": "admin", "value": "fast"}],
}

# (rule, jid, allowed?)
RULE_TABLE = [
    ("all", "anyone@remote.org", True),
    ("none", "alice@localhost", False),
    ("muc_admin", "alice@localhost", True),
    ("muc_admin", "alice@localhost/phone", True),
    ("muc_admin", "bob@localhost", False),          # no clause matches: deny
    ("muc_create", "bob@localhost", True),
    ("muc_create", "bob@remote.org", False),        # local is current_domain only
    ("muc", "spammer@remote.org", False),           # first matching clause wins
    ("muc", "bob@remote.org", True),
    ("undefined_rule", "alice@localhost", False),   # unknown rule: deny
    ("muc", "not a jid@", False),                   # unparsable JID: deny
    ("max_rooms", "alice@localhost", False),        # a non allow/deny value does not allow
]


@pytest.mark.parametrize("rule, jid, expected", RULE_TABLE)
def test_allows(rule, jid, expected):
    assert AccessRules.from_tables(ACL, ACCESS, HOSTS).allows(rule, jid, "localhost") is expected


def test_value_returns_non_allow_values():
    r = AccessRules.from_tables(ACL, ACCESS, HOSTS)
    assert r.value("max_rooms", "alice@localhost") == 100
    assert r.value("max_rooms", "bob@remote.org") == 5
    assert r.value("shaper", "alice@localhost") == "fast"
    assert r.value("shaper", "bob@localhost") is None            # no clause matches
    assert r.value("shaper", "bob@localhost", default="none") == "none"
    assert r.value("missing", "bob@localhost", default=7) == 7
    assert r.value("all", "x@y") == "allow" and r.value("none", "x@y") == "deny"


def test_server_host_selects_current_domain():
    r = AccessRules.from_tables(ACL, ACCESS, HOSTS)
    assert r.allows("muc_create", "bob@example.com", "example.com")
    assert not r.allows("muc_create", "bob@example.com", "localhost")
    assert r.allows("muc_create", "bob@example.com")              # None: any served host


def test_without_hosts_current_domain_needs_a_server_host():
    r = AccessRules.from_tables(ACL, ACCESS)
    assert not r.allows("muc_create", "bob@localhost")
    assert r.allows("muc_create", "bob@localhost", "localhost")


def test_picklable_and_still_working():
    r = AccessRules.from_tables(ACL, ACCESS, HOSTS)
    r.allows("muc", "spammer@x.org")                               # fills the regexp cache
    copy = pickle.loads(pickle.dumps(r))
    assert copy == r
    assert not copy.allows("muc", "spammer@x.org") and copy.allows("muc", "bob@x.org")


@pytest.mark.parametrize("acl, access, key, allowed", [
    ({"c": [{"user_regexp": "("}]}, {}, "acl.c[0].user_regexp", "a valid regular expression"),
    ({"c": [{"user_glob": "[z-a]"}]}, {}, "acl.c[0].user_glob", "a valid glob pattern"),
    ({"c": [{"match": "some"}]}, {}, "acl.c[0].match", '"current_domain"'),
    ({"c": [{"usr": "a"}]}, {}, "acl.c[0].usr", "a known key"),
    ({"c": [{"user": 3}]}, {}, "acl.c[0].user", "a string"),
    ({"c": {"user": "a"}}, {}, "acl.c", "an array of tables"),
    ({"all": [{}]}, {}, "acl.all", "built-in"),
    ({}, {"r": [{"acl": "admins", "value": "allow"}]}, "access.r[0].acl", "defined in [acl]"),
    ({}, {"r": [{"acl": "all"}]}, "access.r[0].value", '"allow", "deny"'),
    ({}, {"r": [{"acl": "all", "value": True}]}, "access.r[0].value", "an integer"),
    ({}, {"r": [{"acl": "all", "value": "allow", "x": 1}]}, "access.r[0].x", "only the keys"),
    ({}, {"none": []}, "access.none", "built-in"),
])
def test_from_tables_refuses(acl, access, key, allowed):
    with pytest.raises(AclError) as e:
        AccessRules.from_tables(acl, access)
    assert e.value.key == key
    assert allowed in e.value.allowed


@pytest.mark.parametrize("glob, text, expected", [
    ("*", "", True), ("?", "", False), ("a?c", "abc", True), ("[]]x", "]x", True),
    ("[^a]", "b", True), ("[^a]", "a", False), ("a+b", "a+b", True), ("a+b", "aab", False),
    ("x[", "x[", True), ("a*", "a\n", False),
])
def test_glob_translation(glob, text, expected):
    import re
    assert (re.match(glob_to_regexp(glob), text) is not None) is expected
