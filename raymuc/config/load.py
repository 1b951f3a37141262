"""Read and fully validate the TOML configuration before anything starts.

Validation is driven by the tables in schema.py: unknown keys, wrong types and
out-of-range values are refused with the dotted key, the value and what is allowed;
then the cross-references (access rules, acl names, shapers, pools, @HOST@) are checked.
"""
from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import ParseError, TOMLKitError

from actors.core.access import BUILTIN_ACLS, BUILTIN_RULES, AccessRules, AclError
from actors.core.features.registry import FIELDS
from actors.core.jid import JID

from . import compat, model, schema
from .checks import Invalid, expand_host, is_domain, toml_literal
from .schema import Presence, Section
from .secrets import masked


class ConfigError(Exception):
    """A configuration the service refuses. `key` is the dotted path of the offending
    option (None for file-level problems), `value` what was written (None when missing),
    `allowed` what would be accepted. Secrets in `value` are masked (secrets.masked):
    neither the message nor the attribute ever holds them."""

    def __init__(self, source: str, key: str | None, value: object, allowed: str | None,
                 problem: str | None = None):
        value = masked(key, value)
        self.source, self.key, self.value, self.allowed = source, key, value, allowed
        if problem is not None:
            where = f"{key}: " if key else ""
            message = f"{source}: {where}{problem}"
        else:
            message = f"{source}: {key} = {toml_literal(value)}: expected {allowed}"
        super().__init__(message)


def load_config(path: str | os.PathLike[str]) -> model.Config:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise ConfigError(str(p), None, None, None, f"cannot read the file: {reason}") from None
    return parse_config(text, str(p), base_dir=p.resolve().parent, source_path=p.resolve())


def parse_config(text: str, source: str = "<string>", *, base_dir: Path | None = None,
                 source_path: Path | None = None) -> model.Config:
    """Parse and validate TOML text. Relative storage.data_dir is taken relative to
    base_dir (default: the current directory)."""
    try:
        document = tomlkit.parse(text).unwrap()
    except TOMLKitError as e:
        line, col = _position(text, e)
        reason = str(e).rsplit(" at line ", 1)[0]
        raise ConfigError(source, None, None, "valid TOML",
                          f"line {line}, column {col}: invalid TOML: {reason}") from None
    tree = _Validator(source).table(document, schema.ROOT, "")
    return _Builder(source, tree, base_dir or Path.cwd(), source_path).build()


def _position(text: str, error: TOMLKitError) -> tuple[int, int]:
    """1-based line and column of a TOML error. tomlkit reports a repeated key inside a
    table without a position: find the first line at which a growing prefix of the file
    raises the same error."""
    if isinstance(error, ParseError):
        return error.line, error.col + 1
    lines = text.splitlines()
    for n in range(1, len(lines) + 1):
        try:
            tomlkit.parse("\n".join(lines[:n]))
        except TOMLKitError as e:
            if type(e) is type(error) and str(e) == str(error):
                key = str(error).split('"')[1] if str(error).count('"') >= 2 else ""
                return n, max(lines[n - 1].find(key), 0) + 1
    return len(lines), 1


class _Validator:
    """Walks the document along the schema; returns plain dicts of parsed values with
    defaults filled in (OPTIONAL sections absent -> None)."""

    def __init__(self, source: str):
        self.source = source

    def error(self, key: str, value: object, allowed: str | None, problem: str | None = None):
        return ConfigError(self.source, key, value, allowed, problem)

    def table(self, table: object, sec: Section, apath: str) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise self.error(apath, table, "a table")
        options = {o.name: o for o in sec.options}
        named = {c.name: c for c in schema.children(sec.path) if c.name != "*"}
        star = next((c for c in schema.children(sec.path) if c.name == "*"), None)
        out: dict[str, Any] = {}
        for key, value in table.items():
            kpath = f"{apath}.{key}" if apath else key
            if key in options:
                try:
                    out[key] = options[key].check.parse(value)
                except Invalid as e:
                    raise self.error(kpath, value, str(e)) from None
            elif key in named:
                out[key] = self.section_value(value, named[key], kpath)
            elif star is not None:
                if not key.strip():
                    raise self.error(kpath, key, "a non-empty name")
                out[key] = self.section_value(value, star, kpath)
            else:
                raise self.unknown(kpath, key, value, [*options, *named])
        for name, opt in options.items():
            if name not in out:
                if opt.required:
                    raise self.error(f"{apath}.{name}" if apath else name, None, opt.allowed,
                                     f"missing; expected {opt.allowed}")
                out[name] = opt.default
        for name, child in named.items():
            if name not in out:
                cpath = f"{apath}.{name}" if apath else name
                if child.presence is Presence.REQUIRED:
                    raise self.error(cpath, None, "a table", f"missing section [{cpath}]")
                out[name] = (None if child.presence is Presence.OPTIONAL
                             else [] if child.array else self.table({}, child, cpath))
        return out

    def section_value(self, value: object, sec: Section, apath: str) -> Any:
        if not sec.array:
            return self.table(value, sec, apath)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(apath, value, "an array of tables")
        return [self.table(v, sec, f"{apath}[{i}]") for i, v in enumerate(value)]

    def unknown(self, kpath: str, key: str, value: object, known: list[str]) -> ConfigError:
        allowed = "one of: " + ", ".join(known) if known else "nothing here"
        best = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f'did you mean "{best[0]}"?' if best else f"known keys: {', '.join(known) or 'none'}"
        return self.error(kpath, value, allowed, f"unknown key; {hint}")


class _Builder:
    """Cross-reference checks and the frozen model."""

    def __init__(self, source: str, tree: dict[str, Any], base_dir: Path,
                 source_path: Path | None):
        self.source, self.t, self.base_dir, self.source_path = source, tree, base_dir, source_path

    def error(self, key: str, value: object, allowed: str, problem: str | None = None):
        return ConfigError(self.source, key, value, allowed, problem)

    def build(self) -> model.Config:
        t = self.t
        hosts = t["general"]["hosts"]
        muc = t["modules"]["mod_muc"]
        log = t["modules"]["mod_muc_log"]
        self.check_muc_host(muc["host"], hosts)
        self.notes = compat.adjust(t)
        self.check_acl_and_access(t["acl"], t["access"])
        rule_refs = [(f"modules.mod_muc.{name}", muc[name]) for name in schema.RULE_OPTIONS]
        if log is not None:
            rule_refs.append(("modules.mod_muc_log.access_log", log["access_log"]))
        for key, rule in rule_refs:
            self.check_rule(key, rule, t["access"])
        pools = t["outgoing_pools"]["http"]
        for name, pool in pools.items():
            if pool["max_worker_queue_len"] is not None and pool["strategy"] != "best_worker":
                # MongooseIM: "applicable only to the best_worker strategy"
                raise self.error(f"outgoing_pools.http.{name}.max_worker_queue_len",
                                 pool["max_worker_queue_len"], 'unset unless strategy = "best_worker"',
                                 f'only allowed with strategy = "best_worker", not "{pool["strategy"]}"')
        self.check_default_room(muc)
        return self.model(hosts, muc, log)

    @staticmethod
    def names_allowed(builtins: str, where: str, defined: dict) -> str:
        names = ", ".join(f'"{n}"' for n in defined) or "none defined"
        return f"{builtins} or a name defined in {where} ({names})"

    def check_rule(self, key: str, rule: str, access: dict) -> None:
        """An access rule nothing defines is refused: MongooseIM would silently deny
        everyone (docs/config-reference.md, "Differences from MongooseIM")."""
        if rule not in access and rule not in BUILTIN_RULES:
            allowed = self.names_allowed('"all", "none"', "[access]", access)
            raise self.error(key, rule, f'{allowed}; to use it, define it in [access], e.g. '
                             f'{rule} = [{{acl = "all", value = "allow"}}]')

    def check_muc_host(self, template: str, hosts: tuple[str, ...]) -> None:
        for host in hosts:
            domain = expand_host(template, host)
            if not is_domain(domain):
                raise self.error("modules.mod_muc.host", template, "a template giving a valid "
                                 f'domain for every served host (for "{host}" it gives "{domain}")')
            if domain in hosts:
                raise self.error("modules.mod_muc.host", template, "a domain other than the served "
                                 f'hosts (for "{host}" it gives the served host "{domain}")')

    def check_acl_and_access(self, acl: dict, access: dict) -> None:
        for table, what in ((acl, "acl"), (access, "access")):
            for name in table:
                if name in BUILTIN_ACLS:
                    raise self.error(f"{what}.{name}", table[name], 'a name other than the built-in '
                                     '"all" and "none"', f'"{name}" is built in and cannot be redefined')
        for name, clauses in access.items():
            for i, clause in enumerate(clauses):
                if clause["acl"] not in acl and clause["acl"] not in BUILTIN_ACLS:
                    known = ", ".join(f'"{n}"' for n in acl) or "none defined"
                    raise self.error(f"access.{name}[{i}].acl", clause["acl"],
                                     f'"all", "none" or an access class defined in [acl] ({known})')
        try:  # everything is checked above; this only guards the two stay in step
            AccessRules.from_tables(_acl_tables(acl), access)
        except AclError as e:
            raise self.error(e.key, e.value, e.allowed) from None

    def check_default_room(self, muc: dict) -> None:
        room = muc["default_room"]
        for name, value in room.items():
            f = FIELDS.get(name)
            limit = muc.get(f.max_len_option) if f is not None and f.max_len_option else None
            if limit is not None and isinstance(value, str) and len(value) > limit:
                raise self.error(f"modules.mod_muc.default_room.{name}", value,
                                 f"at most modules.mod_muc.{f.max_len_option} ({limit}) characters")

    def model(self, hosts: tuple[str, ...], muc: dict, log: dict | None) -> model.Config:
        t = self.t
        data_dir = Path(os.path.normpath(self.base_dir / t["storage"]["data_dir"]))
        inst = t["instrumentation"]
        prom = inst["prometheus"]
        room = dict(muc["default_room"])
        affiliations = tuple(
            (JID(a["user"], a["server"]).bare, a["resource"], a["affiliation"])
            for a in room.pop("affiliations"))
        subject, author = room.pop("subject"), room.pop("subject_author")
        default_room = model.DefaultRoom(model.FrozenMap(room), affiliations, subject, author)
        muc_options = model.MucOptions(**{**muc, "default_room": default_room})
        muc_log = None
        if log is not None:
            top = log["top_link"]
            muc_log = model.MucLogOptions(**{**log, "outdir": Path(os.path.normpath(data_dir / log["outdir"])),
                                             "top_link": (top["target"], top["text"])})
        pools = {name: model.HttpPool(**{**p, "connection": model.HttpConnection(**p["connection"])})
                 for name, p in t["outgoing_pools"]["http"].items()}
        return model.Config(
            general=model.General(**t["general"]),
            component=model.Component(**t["component"]),
            storage=model.Storage(t["storage"]["mongo_uri"], data_dir),
            ray=model.Ray(**t["ray"]),
            instrumentation=model.Instrumentation(
                inst["probe_interval"], None if prom is None else model.Prometheus(**prom)),
            muc=muc_options,
            muc_log=muc_log,
            acl=model.FrozenMap({n: tuple(model.FrozenMap(p) for p in ps)
                                 for n, ps in _acl_tables(t["acl"]).items()}),
            access=model.FrozenMap({n: tuple(model.FrozenMap(c) for c in cs)
                                    for n, cs in t["access"].items()}),
            shapers=model.FrozenMap({n: model.Shaper(**s) for n, s in t["shaper"].items()}),
            http_pools=model.FrozenMap(pools),
            source_path=self.source_path,
            notes=self.notes,
        )


def _acl_tables(acl: dict) -> dict[str, list[dict]]:
    """acl patterns with only the keys that were set (unset conditions are None)."""
    return {name: [{k: v for k, v in p.items() if v is not None} for p in patterns]
            for name, patterns in acl.items()}
