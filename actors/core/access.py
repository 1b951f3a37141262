"""MongooseIM access classes ([acl]) and access rules ([access]), evaluated purely.

Semantics follow MongooseIM's acl.erl:
- an access class is a union of patterns; a pattern matches when ALL its conditions
  match; `match` (default "current_domain") is one more condition:
  "all" (anyone), "none" (nobody), "current_domain" (the user's domain is the served
  domain the rule is checked for), "any_hosted_domain" (the user's domain is served here);
- user/server values are compared case-insensitively (MongooseIM nodepreps them),
  resources exactly; *_regexp is an unanchored search (Erlang re:run), *_glob a
  whole-string shell pattern (* ? [abc] [!abc]);
- a rule is an ordered list of {acl, value} clauses, the first matching clause wins;
  "all" always allows and "none" always denies; the built-in acl names "all"/"none"
  match everyone/no one.
Deliberate differences: an undefined acl name is refused when building (MongooseIM
silently never matches it), and without a served domain to check against,
"current_domain" means "one of the served hosts" (MongooseIM's match_rule/3 skips the
check, which would let any remote user in).

Picklable (it travels to Ray actors): only strings and tuples are stored; compiled
patterns live in a module-level cache.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Mapping, Sequence

from .jid import JID, JidError

MATCH_VALUES = ("all", "none", "current_domain", "any_hosted_domain")
EXACT_KEYS = ("user", "server", "resource")
REGEXP_KEYS = ("user_regexp", "server_regexp", "resource_regexp")
GLOB_KEYS = ("user_glob", "server_glob", "resource_glob")
CONDITION_KEYS = EXACT_KEYS + REGEXP_KEYS + GLOB_KEYS
PATTERN_KEYS = ("match",) + CONDITION_KEYS
BUILTIN_ACLS = ("all", "none")
BUILTIN_RULES = ("all", "none")


class AclError(ValueError):
    """A bad acl/access table; `key` is the dotted path, `allowed` says what is accepted."""

    def __init__(self, key: str, value: object, allowed: str):
        super().__init__(f"{key} = {value!r}: expected {allowed}")
        self.key, self.value, self.allowed = key, value, allowed


@lru_cache(maxsize=1024)
def compile_regexp(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def glob_to_regexp(glob: str) -> str:
    """Shell glob -> anchored regexp: * any string, ? one char, [..] a class ([!..] or
    [^..] negated, a leading ] is literal); everything else literal."""
    out, i, n = ["^(?:"], 0, len(glob)
    while i < n:
        c = glob[i]
        i += 1
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            j = i
            if j < n and glob[j] in "!^":
                j += 1
            if j < n and glob[j] == "]":
                j += 1
            j = glob.find("]", j)
            if j < 0:  # no closing bracket: a literal "["
                out.append(re.escape(c))
                continue
            body = glob[i:j]
            i = j + 1
            negate = body[:1] in ("!", "^")
            if negate:
                body = body[1:]
            body = "".join("\\" + ch if ch in "\\[]&~|" else ch for ch in body)
            out.append("[" + ("^" if negate else "") + body + "]")
        else:
            out.append(re.escape(c))
    out.append(r")\Z")
    return "".join(out)


def check_regexp(pattern: object) -> str:
    """Validate a *_regexp value; raises ValueError saying what is wrong."""
    if not isinstance(pattern, str):
        raise ValueError("a string holding a regular expression")
    try:
        compile_regexp(pattern)
    except re.error as e:
        raise ValueError(f"a valid regular expression ({e})") from None
    return pattern


def check_glob(pattern: object) -> str:
    if not isinstance(pattern, str):
        raise ValueError("a string holding a glob pattern")
    try:
        compile_regexp(glob_to_regexp(pattern))
    except re.error as e:  # e.g. a reversed range "[z-a]"
        raise ValueError(f"a valid glob pattern ({e})") from None
    return pattern


@dataclass(frozen=True, slots=True)
class AclPattern:
    """One pattern of an access class: every condition must hold."""
    match: str = "current_domain"
    conditions: tuple[tuple[str, str], ...] = ()

    @staticmethod
    def from_table(table: Mapping[str, object], key: str = "pattern") -> "AclPattern":
        if not isinstance(table, Mapping):
            raise AclError(key, table, "a table of: " + ", ".join(PATTERN_KEYS))
        match = "current_domain"
        conds: list[tuple[str, str]] = []
        for k, v in table.items():
            kk = f"{key}.{k}"
            if k == "match":
                if v not in MATCH_VALUES:
                    raise AclError(kk, v, "one of " + ", ".join(f'"{m}"' for m in MATCH_VALUES))
                match = str(v)
            elif k in EXACT_KEYS:
                if not isinstance(v, str):
                    raise AclError(kk, v, "a string")
                conds.append((k, v if k == "resource" else v.lower()))
            elif k in REGEXP_KEYS:
                try:
                    conds.append((k, check_regexp(v)))
                except ValueError as e:
                    raise AclError(kk, v, str(e)) from None
            elif k in GLOB_KEYS:
                try:
                    conds.append((k, check_glob(v)))
                except ValueError as e:
                    raise AclError(kk, v, str(e)) from None
            else:
                raise AclError(kk, v, "a known key: " + ", ".join(PATTERN_KEYS))
        return AclPattern(match, tuple(conds))

    def matches(self, jid: JID, server_host: str | None, hosts: tuple[str, ...]) -> bool:
        if self.match == "none":
            return False
        if self.match == "current_domain":
            if not (jid.domain == server_host if server_host is not None else jid.domain in hosts):
                return False
        elif self.match == "any_hosted_domain" and jid.domain not in hosts:
            return False
        return all(_condition(k, v, jid) for k, v in self.conditions)


def _condition(key: str, pattern: str, jid: JID) -> bool:
    part, _, how = key.partition("_")
    subject = {"user": jid.local, "server": jid.domain, "resource": jid.resource}[part]
    if not how:
        return subject == pattern
    if how == "regexp":
        return compile_regexp(pattern).search(subject) is not None
    return compile_regexp(glob_to_regexp(pattern)).match(subject) is not None


@dataclass(frozen=True, slots=True)
class AccessClause:
    acl: str
    value: str | int


@dataclass(frozen=True)
class AccessRules:
    """Access classes and rules, ready to evaluate. Build with `from_tables`."""
    acls: Mapping[str, tuple[AclPattern, ...]] = field(default_factory=dict)
    rules: Mapping[str, tuple[AccessClause, ...]] = field(default_factory=dict)
    hosts: tuple[str, ...] = ()

    __hash__ = None  # type: ignore[assignment]  # holds dicts

    @staticmethod
    def from_tables(acl: Mapping[str, Sequence[Mapping[str, object]]],
                    access: Mapping[str, Sequence[Mapping[str, object]]],
                    hosts: Sequence[str] = ()) -> "AccessRules":
        """`acl` and `access` in the TOML shape ({name: [table, ...]}); `hosts` are the
        served domains (for match = "current_domain"/"any_hosted_domain").
        Raises AclError for anything malformed or an undefined acl name."""
        acls: dict[str, tuple[AclPattern, ...]] = {}
        for name, patterns in acl.items():
            if name in BUILTIN_ACLS:
                raise AclError(f"acl.{name}", patterns, "a name other than the built-in \"all\"/\"none\"")
            if isinstance(patterns, (str, bytes)) or not isinstance(patterns, Sequence):
                raise AclError(f"acl.{name}", patterns, "an array of tables")
            acls[name] = tuple(AclPattern.from_table(p, f"acl.{name}[{i}]")
                               for i, p in enumerate(patterns))
        rules: dict[str, tuple[AccessClause, ...]] = {}
        for name, clauses in access.items():
            if name in BUILTIN_RULES:
                raise AclError(f"access.{name}", clauses, "a name other than the built-in \"all\"/\"none\"")
            if isinstance(clauses, (str, bytes)) or not isinstance(clauses, Sequence):
                raise AclError(f"access.{name}", clauses, "an array of {acl, value} tables")
            rules[name] = tuple(_clause(c, f"access.{name}[{i}]", acls)
                                for i, c in enumerate(clauses))
        return AccessRules(acls, rules, tuple(h.lower() for h in hosts))

    def is_defined(self, rule: str) -> bool:
        return rule in BUILTIN_RULES or rule in self.rules

    def in_acl(self, acl: str, jid: str, server_host: str | None = None) -> bool:
        """Whether `jid` belongs to access class `acl`."""
        parsed = _parse(jid)
        return parsed is not None and self._in_acl(acl, parsed, server_host)

    def value(self, rule: str, jid: str, default: object = None,
              server_host: str | None = None) -> object:
        """Value of the first clause of `rule` whose acl matches `jid` (bare or full);
        `default` when the rule is undefined or no clause matches. (MongooseIM returns
        "deny" when no clause matches: pass default="deny" for exactly that.)"""
        if rule == "all":
            return "allow"
        if rule == "none":
            return "deny"
        parsed = _parse(jid)
        if parsed is None:
            return default
        for clause in self.rules.get(rule, ()):
            if self._in_acl(clause.acl, parsed, server_host):
                return clause.value
        return default

    def allows(self, rule: str, jid: str, server_host: str | None = None) -> bool:
        """True when `rule` gives "allow" for `jid`; anything else (no match, an
        undefined rule, an unparsable JID) denies. `server_host` is the served domain
        the check is made for (e.g. "localhost" for conference.localhost); None means
        any served host."""
        return self.value(rule, jid, "deny", server_host) == "allow"

    def _in_acl(self, acl: str, jid: JID, server_host: str | None) -> bool:
        if acl == "all":
            return True
        if acl == "none":
            return False
        return any(p.matches(jid, server_host, self.hosts) for p in self.acls.get(acl, ()))


def _clause(table: object, key: str, acls: Mapping[str, object]) -> AccessClause:
    if not isinstance(table, Mapping):
        raise AclError(key, table, "a table {acl = ..., value = ...}")
    extra = set(table) - {"acl", "value"}
    if extra:
        raise AclError(f"{key}.{sorted(extra)[0]}", table[sorted(extra)[0]], "only the keys acl and value")
    acl, value = table.get("acl"), table.get("value")
    if not isinstance(acl, str) or not acl:
        raise AclError(f"{key}.acl", acl, "a non-empty string naming an access class")
    if acl not in BUILTIN_ACLS and acl not in acls:
        known = ", ".join(sorted(set(acls) | set(BUILTIN_ACLS)))
        raise AclError(f"{key}.acl", acl, f"an access class defined in [acl] or built in (one of: {known})")
    if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
        raise AclError(f"{key}.value", value, '"allow", "deny", another non-empty string or an integer')
    return AccessClause(acl, value)


def _parse(jid: str) -> JID | None:
    try:
        return JID.parse(jid)
    except (JidError, TypeError, AttributeError):
        return None
