"""Where MongooseIM accepts a config that a strict reading would refuse, RayMUC does what
MongooseIM does and says so in a note (printed by `check-config`, logged by `raymuc run`).

Runs on the validated tree (plain dicts, defaults filled in) before the cross-reference
checks, and may change it:
- the access rules "muc", "muc_create" and "muc_admin" (and the access class "local" they
  use) that MongooseIM's shipped mongooseim.toml defines, and mod_muc's examples assume,
  are defined the same way when a referenced one is missing from [access];
- default_room.max_users above mod_muc.max_users is capped to it (a room never holds more);
- default_room.logging = true without [modules.mod_muc_log] is turned off (nothing would
  write the log, and the room form does not offer logging then);
- a shaper name not defined in [shaper] limits nothing (MongooseIM's shaper lookup gives
  "none" for an unknown name);
- an http_auth_pool not defined in [outgoing_pools.http] is kept: every password check of
  a password-protected room then fails with service-unavailable (as MongooseIM's HTTP call
  to a pool that is not started fails), so nobody enters without a password check.
An access rule name that nothing defines stays an error (MongooseIM silently denies
everyone; docs/config-reference.md, "Differences from MongooseIM").
"""
from __future__ import annotations

from typing import Any

from . import schema
from .checks import toml_literal

# MongooseIM's shipped mongooseim.toml: [acl.local] and three of its [access] rules.
LOCAL_ACL = [{"user_regexp": ""}]
PREDEFINED_RULES: dict[str, list[dict[str, object]]] = {
    "muc": [{"acl": "all", "value": "allow"}],
    "muc_create": [{"acl": "local", "value": "allow"}],
    "muc_admin": [{"acl": "admin", "value": "allow"}],
}


# (what, MongooseIM, RayMUC), rendered under "Differences from MongooseIM" in
# docs/config-reference.md. The first rows are leniencies RayMUC shares (with a note).
BEHAVIOUR = (
    ('`access = "muc"`, `access_create = "muc_create"`, `access_admin`/`access_log` = '
     '`"muc_admin"` with no such rule in `[access]`',
     "defined by its shipped mongooseim.toml, which the documentation's examples assume",
     'the same definitions when a referenced one is missing: `muc` allows all, `muc_create` '
     'allows the class `local` (`user_regexp = ""`: users of the served hosts, defined too when '
     'missing), `muc_admin` allows the class `admin` (no one when `[acl]` has no `admin`)'),
    ("`default_room.max_users` above `max_users`", "accepted; a room never holds more",
     "accepted and capped to `max_users` (note)"),
    ("`muc#roomconfig_maxusers` above `max_users` in a room's form", "capped",
     "capped to `max_users`"),
    ("room logging without `[modules.mod_muc_log]`", "the form offers no logging field",
     "the same: the field is hidden, a form turning logging on gets not-acceptable, and "
     "`default_room.logging = true` is turned off (note)"),
    ("a shaper name that `[shaper]` does not define", "no limit", "no limit (note)"),
    ("an `http_auth_pool` that `[outgoing_pools.http]` does not define",
     "accepted; every password check fails", "the same: password checks fail with "
     "service-unavailable, so nobody enters a password-protected room unchecked (note)"),
    ("`connection.host` with `_` in the host name (`http://my_server:8000`)", "accepted",
     "accepted"),
    ("an access rule name that nothing defines (other than the three above)",
     "accepted; the rule denies everyone",
     "**refused** with the fix in the message (`NAME = [{acl = \"all\", value = \"allow\"}]` "
     "in `[access]`): a typo would otherwise lock everyone out without a word"),
    ("an access class in a rule clause that `[acl]` does not define",
     "accepted; the clause never matches", "**refused**, naming the clause and the classes "
     "that exist"),
    ("`backend`, `online_backend`", "choose Mnesia, RDBMS or CETS",
     "accepted and checked, without effect: rooms are stored in MongoDB (`[storage]`) and "
     "found through Ray"),
)


def adjust(tree: dict[str, Any]) -> tuple[str, ...]:
    """Apply MongooseIM's leniencies to `tree` in place; return one note for each."""
    notes: list[str] = []
    muc, log = tree["modules"]["mod_muc"], tree["modules"]["mod_muc_log"]
    _predefine_rules(tree, _referenced_rules(muc, log), notes)
    room = muc["default_room"]
    if room["max_users"] > muc["max_users"]:
        notes.append(f"modules.mod_muc.default_room.max_users = {room['max_users']}: capped to "
                     f"modules.mod_muc.max_users ({muc['max_users']}), as MongooseIM does")
        room["max_users"] = muc["max_users"]
    if room["logging"] and log is None:
        notes.append("modules.mod_muc.default_room.logging = true: turned off, since there is "
                     "no [modules.mod_muc_log] to write room logs")
        room["logging"] = False
    for name in schema.SHAPER_OPTIONS:
        if muc[name] != "none" and muc[name] not in tree["shaper"]:
            notes.append(f"modules.mod_muc.{name} = {toml_literal(muc[name])}: no such shaper in "
                         "[shaper], so it limits nothing (as in MongooseIM); define "
                         f"[shaper.{muc[name]}] max_rate = ... to limit")
    for name in schema.POOL_OPTIONS:
        if muc[name] != "none" and muc[name] not in tree["outgoing_pools"]["http"]:
            notes.append(f"modules.mod_muc.{name} = {toml_literal(muc[name])}: no such pool in "
                         "[outgoing_pools.http], so every password check fails (service-"
                         f"unavailable) until [outgoing_pools.http.{muc[name]}] is defined")
    return tuple(notes)


def _referenced_rules(muc: dict, log: dict | None) -> list[str]:
    names = [muc[o] for o in schema.RULE_OPTIONS]
    if log is not None:
        names.append(log["access_log"])
    return names


def _predefine_rules(tree: dict, referenced: list[str], notes: list[str]) -> None:
    acl, access = tree["acl"], tree["access"]
    for name in dict.fromkeys(referenced):
        if name not in PREDEFINED_RULES or name in access:
            continue
        clauses = [dict(c) for c in PREDEFINED_RULES[name]]
        used = clauses[0]["acl"]
        if used == "local" and "local" not in acl:
            defaults = {o.name: o.default for o in schema.ACL_PATTERN}
            acl["local"] = [{**defaults, **p} for p in LOCAL_ACL]
            notes.append('acl.local: not defined; defined as MongooseIM\'s default config does: '
                         'local = [{user_regexp = ""}] (the users of the served hosts)')
        if used not in acl and used not in ("all", "none"):
            clauses = []    # MongooseIM's default "admin" class is empty: the rule allows no one
        access[name] = clauses
        shown = ", ".join("{" + ", ".join(f"{k} = {toml_literal(v)}" for k, v in c.items()) + "}"
                          for c in clauses)
        notes.append(f"access.{name}: not defined; defined as MongooseIM's default config does: "
                     f"{name} = [{shown}]")
