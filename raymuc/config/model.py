"""The validated configuration as frozen, picklable dataclasses.

Field names are the TOML option names. Options that accept "infinity" hold None for it
(MucOptions.max_room_id, max_room_name, max_room_desc, hibernate_timeout,
hibernated_room_check_interval, hibernated_room_timeout). Paths are absolute.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

from actors.core.access import AccessRules

from . import schema
from .checks import expand_host
from .secrets import SECRET_MASK, URI_OPTIONS, mask_uri


class FrozenMap(Mapping):
    """A read-only, picklable, hashable mapping (MappingProxyType cannot be pickled)."""
    __slots__ = ("_items",)

    def __init__(self, items: Mapping | None = None):
        object.__setattr__(self, "_items", dict(items or {}))

    def __getitem__(self, key: object) -> object:
        return self._items[key]

    def __iter__(self) -> Iterator:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(tuple(self._items.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("FrozenMap is read-only")

    def __reduce__(self):
        return (FrozenMap, (self._items,))


@dataclass(frozen=True)
class General:
    hosts: tuple[str, ...]
    loglevel: str


@dataclass(frozen=True)
class Component:
    host: str
    port: int
    password: str = field(repr=False)
    max_stanza_size: int = 262144


@dataclass(frozen=True)
class Storage:
    mongo_uri: str = field(repr=False)   # may carry credentials
    data_dir: Path

    @property
    def embedded(self) -> bool:
        return self.mongo_uri == "embedded"


@dataclass(frozen=True)
class Ray:
    address: str
    namespace: str
    rooms_per_actor: int
    room_hosts: int
    max_live_rooms_per_node: int           # 0: derived from each node's memory
    max_room_creations_per_minute: int | None   # per user; None = "infinity"
    gateway_workers: int


@dataclass(frozen=True)
class Prometheus:
    host: str
    port: int


@dataclass(frozen=True)
class Instrumentation:
    probe_interval: int
    prometheus: Prometheus | None


@dataclass(frozen=True)
class DefaultRoom:
    config: Mapping[str, object]     # every default_room room field, defaults filled in
    affiliations: tuple[tuple[str, str, str], ...]   # (bare JID, resource, affiliation)
    subject: str
    subject_author: str


@dataclass(frozen=True)
class MucOptions:
    """Every mod_muc option under its MongooseIM name; None = "infinity"."""
    host: str                        # template, e.g. "conference.@HOST@"
    backend: str
    online_backend: str
    access: str
    access_create: str
    access_admin: str
    access_persistent: str
    history_size: int
    room_shaper: str
    max_room_id: int | None
    max_room_name: int | None
    max_room_desc: int | None
    min_message_interval: int        # seconds
    min_presence_interval: int       # seconds
    max_users: int
    max_users_admin_threshold: int
    user_message_shaper: str
    user_presence_shaper: str
    max_user_conferences: int
    http_auth_pool: str
    load_permanent_rooms_at_startup: bool
    hibernate_timeout: int | None    # milliseconds
    hibernated_room_check_interval: int | None   # milliseconds
    hibernated_room_timeout: int | None          # milliseconds
    default_room: DefaultRoom


@dataclass(frozen=True)
class MucLogOptions:
    outdir: Path                     # absolute (relative ones are under storage.data_dir)
    access_log: str
    dirtype: str                     # "subdirs" | "plain"
    dirname: str                     # "room_jid" | "room_name"
    file_format: str                 # "html" | "plaintext"
    css_file: str | None             # None = default styles ("false" in TOML)
    timezone: str                    # "local" | "universal"
    top_link: tuple[str, str]        # (target, text)
    spam_prevention: bool


@dataclass(frozen=True)
class Shaper:
    max_rate: int                    # bytes per second


@dataclass(frozen=True)
class HttpConnection:
    host: str = field(repr=False)    # may carry credentials
    path_prefix: str
    request_timeout: int             # milliseconds


@dataclass(frozen=True)
class HttpPool:
    strategy: str
    workers: int
    call_timeout: int                # milliseconds
    max_worker_queue_len: int | None
    connection: HttpConnection


@dataclass(frozen=True)
class Config:
    general: General
    component: Component
    storage: Storage
    ray: Ray
    instrumentation: Instrumentation
    muc: MucOptions
    muc_log: MucLogOptions | None
    acl: Mapping[str, tuple[Mapping[str, object], ...]]      # name -> patterns (set keys only)
    access: Mapping[str, tuple[Mapping[str, object], ...]]   # name -> ({acl, value}, ...)
    shapers: Mapping[str, Shaper]
    http_pools: Mapping[str, HttpPool]
    source_path: Path | None
    notes: tuple[str, ...] = ()      # what was adjusted as MongooseIM would (config/compat.py)

    def muc_domains(self) -> tuple[str, ...]:
        """The MUC service domain of each served host (@HOST@ expanded), without repeats."""
        return tuple(dict.fromkeys(expand_host(self.muc.host, h) for h in self.general.hosts))

    def server_host_of(self, muc_domain: str) -> str:
        """The served host behind a MUC domain (the `server_host` for AccessRules);
        the first served host when the template has no @HOST@."""
        for h in self.general.hosts:
            if expand_host(self.muc.host, h) == muc_domain.lower():
                return h
        raise KeyError(muc_domain)

    def access_rules(self) -> AccessRules:
        return AccessRules.from_tables(self.acl, self.access, self.general.hosts)

    def to_toml_dict(self, hide_secrets: bool = True) -> dict:
        """The effective configuration (defaults filled in) in TOML shape; secrets and
        URI passwords are masked unless hide_secrets is False."""
        return _ToToml(hide_secrets).config(self)


class _ToToml:
    def __init__(self, hide: bool):
        self.hide = hide

    def options(self, path: str, get) -> dict:
        out = {}
        for opt in schema.section(path).options:
            value = opt.check.render(get(opt.name))
            if value is None:     # unset optional option: TOML has no null
                continue
            if self.hide and opt.secret and value != "":
                value = SECRET_MASK
            elif self.hide and opt.name in URI_OPTIONS and isinstance(value, str):
                value = mask_uri(value)
            out[opt.name] = value
        return out

    def obj(self, path: str, obj: object) -> dict:
        return self.options(path, lambda name: getattr(obj, name))

    def config(self, c: Config) -> dict:
        d: dict = {
            "general": self.obj("general", c.general),
            "component": self.obj("component", c.component),
            "storage": self.obj("storage", c.storage),
            "ray": self.obj("ray", c.ray),
            "instrumentation": self.obj("instrumentation", c.instrumentation),
        }
        if c.instrumentation.prometheus is not None:
            d["instrumentation"]["prometheus"] = self.obj("instrumentation.prometheus",
                                                          c.instrumentation.prometheus)
        room = c.muc.default_room
        muc = self.obj("modules.mod_muc", c.muc)
        muc["default_room"] = self.options(
            "modules.mod_muc.default_room",
            lambda name: room.config[name] if name in room.config else getattr(room, name))
        muc["default_room"]["affiliations"] = [
            {"user": jid.partition("@")[0], "server": jid.partition("@")[2],
             "resource": resource, "affiliation": aff}
            for jid, resource, aff in room.affiliations]
        d["modules"] = {"mod_muc": muc}
        if c.muc_log is not None:
            log = self.obj("modules.mod_muc_log", c.muc_log)
            log["top_link"] = dict(zip(("target", "text"), c.muc_log.top_link))
            d["modules"]["mod_muc_log"] = log
        d["acl"] = {name: [self.options("acl.*", p.get) for p in patterns]
                    for name, patterns in c.acl.items()}
        d["access"] = {name: [dict(cl) for cl in clauses] for name, clauses in c.access.items()}
        d["shaper"] = {name: self.obj("shaper.*", s) for name, s in c.shapers.items()}
        pools = {}
        for name, pool in c.http_pools.items():
            pools[name] = self.obj("outgoing_pools.http.*", pool)
            pools[name]["connection"] = self.obj("outgoing_pools.http.*.connection", pool.connection)
        d["outgoing_pools"] = {"http": pools}
        return d
