"""`raymuc import-config`: a RayMUC config from a MongooseIM mongooseim.toml.

What maps is carried over as MongooseIM wrote it (RayMUC's config has MongooseIM's names,
units and formats): general.hosts and loglevel, [modules.mod_muc] and [modules.mod_muc_log],
the access rules, access classes, shapers and HTTP pool those modules name, and
[instrumentation]. The [[listen.service]] listener gives [component]. Every other section
and key is listed with the reason it was left out; [storage] and [ray] are written with
their defaults and comments for the operator. Each key is checked on its own against
RayMUC's schema, and the result as a whole by the loader (`Imported.problems`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import tomlkit
from tomlkit.exceptions import TOMLKitError

from actors.core.access import BUILTIN_ACLS, BUILTIN_RULES

from . import schema
from .checks import Invalid
from .load import ConfigError, parse_config

SERVER_SIDE = {
    "listen": "the XMPP server's listeners ([[listen.service]] gives [component])",
    "auth": "user authentication is the XMPP server's",
    "s2s": "server-to-server connections are the XMPP server's",
    "internal_databases": "RayMUC finds rooms through Ray and stores them in MongoDB",
    "services": "a service of the XMPP server",
    "host_config": "per-host overrides: RayMUC applies one configuration to every host",
}
# MongooseIM log levels -> RayMUC's (debug, info, warning, error)
LOGLEVELS = {"none": "error", "emergency": "error", "alert": "error", "critical": "error",
             "error": "error", "warning": "warning", "notice": "info", "info": "info",
             "debug": "debug", "all": "debug"}
MUC_MODULES = ("mod_muc", "mod_muc_log")


@dataclass
class Imported:
    text: str                                              # the RayMUC config (TOML)
    left_out: list[tuple[str, str]] = field(default_factory=list)   # (MongooseIM key, why)
    problems: list[str] = field(default_factory=list)      # what still keeps it from loading


def import_mongooseim(text: str, source: str = "mongooseim.toml") -> Imported:
    """Raises ConfigError when `text` is not TOML."""
    try:
        doc = tomlkit.parse(text).unwrap()
    except TOMLKitError as e:
        raise ConfigError(source, None, None, "valid TOML", f"invalid TOML: {e}") from None
    return _Importer(doc).run()


class _Importer:
    def __init__(self, doc: dict):
        self.doc = doc
        self.left: list[tuple[str, str]] = []
        self.notes: list[str] = []

    def leave(self, key: str, why: str) -> None:
        self.left.append((key, why))

    def run(self) -> Imported:
        d = self.doc
        modules = d.get("modules", {})
        muc = self.filtered(modules.get("mod_muc", {}), "modules.mod_muc", "modules.mod_muc")
        log = modules.get("mod_muc_log")
        log = None if log is None else self.filtered(log, "modules.mod_muc_log",
                                                     "modules.mod_muc_log")
        if "mod_muc" not in modules:
            self.notes.append("MongooseIM's config has no [modules.mod_muc]: mod_muc's defaults")
        for name in modules:
            if name == "mod_mam":
                self.leave("modules.mod_mam", "message archives, the rooms' (muc) included, are "
                           "not part of RayMUC yet; MongooseIM keeps the users' archive")
            elif name not in MUC_MODULES:
                self.leave(f"modules.{name}", "a module of the XMPP server, not of the MUC service")
        rules = self.rules([muc.get(o, "all" if o != "access_admin" else "none")
                            for o in schema.RULE_OPTIONS]
                           + ([log.get("access_log", "muc_admin")] if log is not None else []))
        shapers = self.named("shaper", "shaper.*", [muc.get(o, "none") for o in schema.SHAPER_OPTIONS])
        pools = self.pools(muc.get("http_auth_pool", "none"))
        general, component = self.general(), self.component()
        for key in d:
            if key in SERVER_SIDE:
                if key != "listen":
                    self.leave(key, SERVER_SIDE[key])
            elif key not in ("general", "modules", "acl", "access", "shaper", "outgoing_pools",
                             "instrumentation"):
                self.leave(key, "not a MongooseIM section RayMUC knows")
        instrumentation = self.instrumentation()
        out = _Writer(self.notes, self.left)       # after everything was left out or noted
        out.table("general", general)
        out.component(component)
        out.storage_and_ray()
        out.table("instrumentation", instrumentation)
        out.table("modules.mod_muc", muc)
        if log is not None:
            out.table("modules.mod_muc_log", log)
        out.inline_arrays("acl", rules[0])
        out.inline_arrays("access", rules[1])
        for name, shaper in shapers.items():
            out.table(f"shaper.{name}", shaper)
        for name, pool in pools.items():
            out.table(f"outgoing_pools.http.{name}", pool)
        text = out.text()
        problems = []
        try:
            parse_config(text, "the imported config")
        except ConfigError as e:
            problems.append(str(e))
        return Imported(text, self.left, problems)

    # ---- generic: keep what RayMUC's schema accepts, key by key ------------------------
    def filtered(self, table: object, schema_path: str, mim_path: str) -> dict:
        if not isinstance(table, dict):
            self.leave(mim_path, "expected a table")
            return {}
        sec = schema.section(schema_path)
        options = {o.name: o for o in sec.options}
        children = {c.name: c for c in schema.children(sec.path)}
        kept: dict = {}
        for key, value in table.items():
            path = f"{mim_path}.{key}"
            child = children.get(key) or children.get("*")
            if key in options:
                try:
                    options[key].check.parse(value)
                    kept[key] = value
                except Invalid as e:
                    self.leave(path, f"{_literal(value)} is not accepted: RayMUC expects {e}")
            elif child is not None and child.array:
                items = value if isinstance(value, list) else [value]
                kept[key] = [self.filtered(v, child.path, f"{path}[{i}]") for i, v in enumerate(items)]
            elif child is not None:
                kept[key] = self.filtered(value, child.path, path)
            else:
                self.leave(path, f"RayMUC has no such option in [{schema_path}]")
        return kept

    def general(self) -> dict:
        general = self.doc.get("general", {})
        out: dict = {}
        for key, value in general.items():
            if key == "hosts":
                out["hosts"] = value
            elif key == "loglevel" and value in LOGLEVELS:
                out["loglevel"] = LOGLEVELS[value]
                if LOGLEVELS[value] != value:
                    self.notes.append(f'general.loglevel = "{value}" became "{LOGLEVELS[value]}"')
            elif key == "host_types":
                self.leave("general.host_types", "dynamic domains: RayMUC is a component for "
                           "fixed domains; list them in general.hosts")
            else:
                self.leave(f"general.{key}", "an XMPP server setting")
        return self.filtered(out, "general", "general")

    def component(self) -> dict | None:
        services = self.doc.get("listen", {}).get("service", [])
        for kind in self.doc.get("listen", {}):
            if kind != "service":
                self.leave(f"listen.{kind}", SERVER_SIDE["listen"])
        if not services:
            return None
        first = services[0]
        for i in range(1, len(services)):
            self.leave(f"listen.service[{i}]", "RayMUC connects to one component listener "
                       "(the first)")
        address = str(first.get("ip_address", "0.0.0.0"))
        if address in ("0.0.0.0", "::"):
            address = "127.0.0.1"      # listens everywhere: reach it where RayMUC runs
        found = {"host": address, "port": first.get("port", 8888)}
        if "password" in first:
            found["password"] = first["password"]
        return self.filtered(found, "component", "listen.service[0]")

    def instrumentation(self) -> dict:
        inst = self.doc.get("instrumentation", {})
        out: dict = {}
        for key, value in inst.items():
            if key == "probe_interval":
                out[key] = value
            elif key == "prometheus":
                out[key] = {}      # MongooseIM serves it on an HTTP listener; RayMUC on its own
                self.notes.append("instrumentation.prometheus: RayMUC serves /metrics itself, "
                                  "on 127.0.0.1:9464 unless [instrumentation.prometheus] says "
                                  "otherwise")
            else:
                self.leave(f"instrumentation.{key}", "RayMUC exports metrics to Prometheus only")
        return self.filtered(out, "instrumentation", "instrumentation")

    # ---- what the MUC modules name ------------------------------------------------------
    def named(self, top: str, schema_path: str, names: list[str]) -> dict:
        defined = self.doc.get(top, {})
        wanted = {n for n in names if n != "none"}
        for name in defined:
            if name not in wanted:
                self.leave(f"{top}.{name}", "not used by mod_muc or mod_muc_log")
        return {n: self.filtered(defined[n], schema_path, f"{top}.{n}")
                for n in defined if n in wanted}

    def pools(self, name: str) -> dict:
        pools = self.doc.get("outgoing_pools", {})
        for kind in pools:
            if kind != "http":
                self.leave(f"outgoing_pools.{kind}", "RayMUC stores rooms in MongoDB "
                           "([storage]) and uses HTTP pools only")
        return self.named_pool(pools.get("http", {}), name)

    def named_pool(self, http: dict, name: str) -> dict:
        for other in http:
            if other != name:
                self.leave(f"outgoing_pools.http.{other}", "not used by mod_muc's http_auth_pool")
        if name not in http:
            return {}
        pool = dict(http[name])
        if "scope" in pool:
            self.leave(f"outgoing_pools.http.{name}.scope",
                       "RayMUC's HTTP pools live in each room-host process")
            pool.pop("scope")
        return {name: self.filtered(pool, "outgoing_pools.http.*", f"outgoing_pools.http.{name}")}

    def rules(self, names: list[str]) -> tuple[dict, dict]:
        """The access rules `names` refer to and the access classes those use. A clause
        whose class is undefined never matches in MongooseIM: it is dropped (RayMUC would
        refuse it); a rule using a class that could not be imported is left out whole."""
        acl_doc, access_doc = self.doc.get("acl", {}), self.doc.get("access", {})
        wanted = [n for n in dict.fromkeys(names) if n not in BUILTIN_RULES and n in access_doc]
        acls: dict = {}
        access: dict = {}
        for name in wanted:
            clauses = []
            for i, clause in enumerate(access_doc[name]):
                cls = clause.get("acl") if isinstance(clause, dict) else None
                if cls in BUILTIN_ACLS or cls in acls:
                    clauses.append(clause)
                elif cls in acl_doc:
                    before = len(self.left)
                    patterns = self.filtered({cls: acl_doc[cls]}, "acl", "acl")[cls]
                    if len(self.left) > before:      # a condition dropped would widen it
                        self.leave(f"access.{name}", f"uses access class {cls!r}, which could "
                                   "not be imported whole")
                        break
                    acls[cls] = patterns
                    clauses.append(clause)
                else:
                    self.leave(f"access.{name}[{i}]", f"its access class {cls!r} is not defined "
                               "in [acl], so MongooseIM never matches it")
            else:
                access[name] = self.filtered({name: clauses}, "access", "access")[name]
        for name in access_doc:
            if name not in access and name not in wanted:
                self.leave(f"access.{name}", "not used by mod_muc or mod_muc_log")
        for name in acl_doc:
            if name not in acls:
                self.leave(f"acl.{name}", "not used by the access rules mod_muc uses")
        return acls, access


def _literal(value: object) -> str:
    return tomlkit.item(value).as_string() if value is not None else "nothing"


class _Writer:
    """The imported config as TOML text with the comments an operator needs."""

    def __init__(self, notes: list[str], left: list[tuple[str, str]]):
        self.lines = ["# RayMUC configuration imported from a MongooseIM config by "
                      "`raymuc import-config`.",
                      "# Check it with `raymuc check-config FILE`; then in MongooseIM remove "
                      "[modules.mod_muc]",
                      "# (and mod_muc_log) and keep a [[listen.service]] that RayMUC connects to."]
        self.lines += [f"# note: {n}" for n in notes]
        if left:
            self.lines.append("# Left out of the MongooseIM config:")
            self.lines += [f"#   {key}: {why}" for key, why in left]

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def table(self, path: str, table: dict) -> None:
        self.lines += ["", f"[{path}]"]
        self._body(path, table)

    def _body(self, path: str, table: dict) -> None:
        later = []
        for key, value in table.items():
            if isinstance(value, dict):
                later.append((f"{path}.{key}", value, False))
            elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                later.append((f"{path}.{key}", value, True))
            else:
                self.lines.append(f"{_key(key)} = {_literal(value)}")
        for sub, value, array in later:
            if array:
                for item in value:
                    self.lines += ["", f"[[{sub}]]"]
                    self._body(sub, item)
            else:
                self.table(sub, value)

    def inline_arrays(self, path: str, table: dict) -> None:
        if not table:
            return
        self.lines += ["", f"[{path}]"]
        for name, items in table.items():
            inline = ", ".join("{" + ", ".join(f"{_key(k)} = {_literal(v)}" for k, v in i.items())
                               + "}" for i in items)
            self.lines.append(f"{_key(name)} = [{inline}]")

    def component(self, component: dict | None) -> None:
        self.lines += ["", "# The XMPP server's component listener ([[listen.service]] in "
                       "MongooseIM) and its password.", "[component]"]
        if component is None:
            self.lines += ["# MongooseIM's config has no [[listen.service]]: add one for "
                           "RayMUC's domain there, then", "# set host, port and password here."]
            component = {}
        self._body("component", component)

    def storage_and_ray(self) -> None:
        self.lines += [
            "", "# Where rooms are stored: a MongoDB replica set in production.",
            "[storage]", '# mongo_uri = "mongodb://user:password@db1,db2,db3/raymuc?replicaSet=rs0"',
            'mongo_uri = "embedded"', 'data_dir = "/var/lib/raymuc"',
            "", "# The Ray cluster the rooms run on: \"local\" for one machine, or the head's "
            "\"host:port\".", "[ray]", 'address = "local"']


def _key(key: str) -> str:
    return tomlkit.key(key).as_string()


def import_config_main(path: str, output: str | None, out, err) -> int:
    """Write the imported config to `output` (or `out`) and the report to `err`. 0: it
    loads as it is; 1: written, but the operator must still fix what `err` lists; 2: the
    MongooseIM file could not be read."""
    try:
        with open(path, encoding="utf-8") as f:
            imported = import_mongooseim(f.read(), path)
    except (OSError, UnicodeDecodeError) as e:
        print(f"raymuc: cannot read {path}: {getattr(e, 'strerror', None) or e}", file=err)
        return 2
    except ConfigError as e:
        print(f"raymuc: {e}", file=err)
        return 2
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(imported.text)
    else:
        out.write(imported.text)
    for key, why in imported.left_out:
        print(f"left out: {key}: {why}", file=err)
    for problem in imported.problems:
        print(f"to fix before it runs: {problem}", file=err)
    return 1 if imported.problems else 0
