"""The configuration schema: every section and option, with its checker, default and
doc line. The loader, the model's TOML rendering, the Markdown reference and the tests
all read these tables; nothing else restates names or defaults.

mod_muc option names, defaults and doc lines follow /work/shared/spec/mod_muc-options.txt
(MongooseIM's mod_muc documentation); mod_muc_log, acl, access, shaper and
outgoing_pools follow MongooseIM's documentation of those sections.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from actors.core.access import MATCH_VALUES
from actors.core.fields import Kind
from actors.core.features.registry import FIELDS

from .checks import (AccessValue, Boolean, Check, Domain, Domains, ExactPart, FieldCheck, Glob,
                     HostAddress, HttpUrl, Integer, LocalPart, MongoUri, Name, OneOf, OptionalFile,
                     PathText, RayAddress, Regexp, SubdomainTemplate, Text)


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()


class Presence(str, Enum):
    REQUIRED = "required"    # the section must be present
    DEFAULTED = "defaulted"  # absent = every option at its default
    OPTIONAL = "optional"    # absent = the feature is off (None in the model)


@dataclass(frozen=True)
class Option:
    name: str
    check: Check
    default: object = REQUIRED   # a model value (e.g. None for "infinity"), or REQUIRED
    doc: str = ""
    secret: bool = False         # hidden in the printed effective config
    note: str = ""               # RayMUC-specific remark (doc is the upstream text)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def allowed(self) -> str:
        return self.check.allowed

    def default_toml(self) -> object:
        """The default as written in TOML (None when required)."""
        return None if self.required else self.check.render(self.default)


@dataclass(frozen=True)
class Section:
    path: str              # dotted TOML path; "*" stands for a name the user chooses
    doc: str
    options: tuple[Option, ...] = ()
    presence: Presence = Presence.DEFAULTED
    array: bool = False    # the value is an array of tables, each checked against `options`

    @property
    def name(self) -> str:
        return self.path.rpartition(".")[2]

    @property
    def parent(self) -> str:
        return self.path.rpartition(".")[0]

    def option(self, name: str) -> Option:
        for o in self.options:
            if o.name == name:
                return o
        raise KeyError(f"{self.path}.{name}")


NON_NEG = Integer(low=0)
POSITIVE = Integer(low=1)
NON_NEG_OR_INF = Integer(low=0, infinity=True)
PORT = Integer(low=1, high=65535)
RULE = Name(allowed='"all", "none" or the name of a rule in [access] ("muc", "muc_create" and '
                   '"muc_admin" are predefined as in MongooseIM\'s default config)')
SHAPER = Name(allowed='"none" or the name of a shaper in [shaper] (an undefined one limits '
                     'nothing, as in MongooseIM)')
POOL = Name(allowed='"none" or the name of a pool in [outgoing_pools.http] (with an undefined '
                   'one every password check fails)')

LOGLEVELS = ("debug", "info", "warning", "error")
POOL_STRATEGIES = ("best_worker", "random_worker", "next_worker", "available_worker",
                   "next_available_worker")
AFFILIATIONS = ("owner", "admin", "member", "outcast", "none")

# ---- mod_muc: names, defaults and doc lines as in the spec --------------------------

MOD_MUC = (
    Option("host", SubdomainTemplate(), "conference.@HOST@",
           "Subdomain for MUC service to reside under. @HOST@ is replaced with each served domain."),
    Option("backend", OneOf(values=("mnesia", "rdbms")), "mnesia",
           "Storage backend to store rooms and settings persistently.",
           note="Accepted for compatibility: RayMUC stores rooms in MongoDB (see [storage])."),
    Option("online_backend", OneOf(values=("mnesia", "cets")), "mnesia",
           "Backend to use to register and find online rooms.",
           note="Accepted for compatibility: RayMUC finds online rooms through Ray."),
    Option("access", RULE, "all",
           "Access Rule to determine who is allowed to use the MUC service."),
    Option("access_create", RULE, "all",
           "Access Rule to determine who is allowed to create rooms."),
    Option("access_admin", RULE, "none",
           "Access Rule to determine who is the administrator in all rooms."),
    Option("access_persistent", RULE, "all",
           "Access Rule to determine who is allowed to make the rooms persistent."),
    Option("history_size", NON_NEG, 20,
           "Room message history to be kept in RAM."),
    Option("room_shaper", SHAPER, "none",
           "Limits per-room data throughput with traffic shaper."),
    Option("max_room_id", NON_NEG_OR_INF, None,
           "Maximum room username length (in JID)."),
    Option("max_room_name", NON_NEG_OR_INF, None,
           "Maximum room name length."),
    Option("max_room_desc", NON_NEG_OR_INF, None,
           "Maximum room description length."),
    Option("min_message_interval", NON_NEG, 0,
           "Minimal interval (in seconds) between messages processed by the room."),
    Option("min_presence_interval", NON_NEG, 0,
           "Minimal interval (in seconds) between presences processed by the room."),
    Option("max_users", POSITIVE, 200,
           "Absolute maximum user count per room on the node."),
    Option("max_users_admin_threshold", POSITIVE, 5,
           "When the server checks if a new user can join a room and they are an admin, "
           "max_users_admin_threshold is added to max_users during occupant limit check."),
    Option("user_message_shaper", SHAPER, "none",
           "Shaper for user messages processed by a room (global for the room)."),
    Option("user_presence_shaper", SHAPER, "none",
           "Shaper for user presences processed by a room (global for the room)."),
    Option("max_user_conferences", NON_NEG, 10,
           "Specifies the number of rooms that a user can occupy simultaneously."),
    Option("http_auth_pool", POOL, "none",
           "If an external HTTP service is chosen to check passwords for password-protected "
           "rooms, this option specifies the HTTP pool name to use."),
    Option("load_permanent_rooms_at_startup", Boolean(), False,
           "Load all rooms at startup."),
    Option("hibernate_timeout", NON_NEG_OR_INF, 90000,
           "Timeout (in milliseconds) defining the inactivity period after which the room's "
           "process should be hibernated."),
    Option("hibernated_room_check_interval", NON_NEG_OR_INF, None,
           "Interval defining how often the hibernated rooms will be checked "
           "(a timer is global for a node)."),
    Option("hibernated_room_timeout", NON_NEG_OR_INF, None,
           "A time after which a hibernated room is stopped (deeply hibernated)."),
)

# Which mod_muc options name things defined elsewhere (checked by the loader).
RULE_OPTIONS = ("access", "access_create", "access_admin", "access_persistent")
SHAPER_OPTIONS = ("room_shaper", "user_message_shaper", "user_presence_shaper")
POOL_OPTIONS = ("http_auth_pool",)

# ---- default_room: the room fields declared by the features, plus three extras -------

DEFAULT_ROOM_DOCS = {
    "title": "Room title, short free text.",
    "description": "Room description, long free text.",
    "allow_change_subj": "Allow all occupants to change the room subject.",
    "allow_query_users": "Allow occupants to send IQ queries to other occupants.",
    "allow_private_messages": "Allow private messaging between occupants.",
    "allow_visitor_status": "Allow occupants to use text statuses in presences.",
    "allow_visitor_nickchange": "Allow occupants to change nicknames.",
    "public": "Room is included in the list available via Service Discovery.",
    "public_list": "Member list can be fetched by non-members.",
    "persistent": "Room will be stored in DB and survive even when the last occupant leaves "
                  "or the node is restarted.",
    "moderated": "Only occupants with a \"voice\" can send group chat messages.",
    "members_by_default": "All new occupants are members by default, unless they have a "
                          "different affiliation assigned.",
    "members_only": "Only users with a member affiliation can join the room.",
    "allow_user_invites": "Allow ordinary members to send mediated invitations.",
    "allow_multiple_sessions": "Allow multiple user session to use the same nick.",
    "password_protected": "Room is protected with a password.",
    "password": "Room password is required upon joining.",
    "anonymous": "Room is anonymous, meaning occupants can't see each others real JIDs, "
                 "except for the room moderators.",
    "max_users": "Maximum user count per room.",
    "logging": "Enables logging of room events (messages, presences) to a file on the disk.",
    "maygetmemberlist": "An array of roles and/or privileges that enable retrieving the "
                        "room's member list.",
    "affiliations": "This is the default list of affiliations set for every new room.",
    "subject": "A default subject for new room.",
    "subject_author": "A nick name of the default subject's author.",
}

ROOM_FIELDS = tuple(f for f in FIELDS.values() if f.in_default_room)
EXTRA_ROOM_OPTIONS = ("subject", "subject_author")   # affiliations is a sub-table

DEFAULT_ROOM = tuple(
    Option(f.name, FieldCheck(field=f), f.default, DEFAULT_ROOM_DOCS.get(f.name, f.label),
           secret=f.kind is Kind.SECRET)
    for f in ROOM_FIELDS
) + (
    Option("subject", Text(), "", DEFAULT_ROOM_DOCS["subject"]),
    Option("subject_author", Text(), "", DEFAULT_ROOM_DOCS["subject_author"]),
)

AFFILIATION = (
    Option("user", LocalPart(), doc="User name (JID local part)."),
    Option("server", Domain(), doc="User domain."),
    Option("resource", Text(), "", doc="Resource (\"\" for the bare JID)."),
    Option("affiliation", OneOf(values=AFFILIATIONS), doc="Affiliation given in every new room."),
)

# ---- mod_muc_log (MongooseIM doc/modules/mod_muc_log.md; defaults as its code) -------

MOD_MUC_LOG = (
    Option("outdir", PathText(), Path("www/muc"),
           "Filesystem directory where the files are stored (relative to storage.data_dir)."),
    Option("access_log", RULE, "muc_admin",
           "ACL that defines who can enable/disable logging for specific rooms."),
    Option("dirtype", OneOf(values=("subdirs", "plain")), "subdirs",
           "Log directory structure: \"subdirs\" = [dirname]/YYYY/MM/DD.ext, "
           "\"plain\" = [dirname]/YYYY-MM-DD.ext."),
    Option("dirname", OneOf(values=("room_jid", "room_name")), "room_jid",
           "Directory name created for each room: its bare JID or its name."),
    Option("file_format", OneOf(values=("html", "plaintext")), "html",
           "Format of output files."),
    Option("css_file", OptionalFile(), None,
           "\"false\" uses default styles for HTML logs; a path is linked from the HTML files."),
    Option("timezone", OneOf(values=("local", "universal")), "local",
           "Timezone of the timestamps written into the logs (universal = GMT)."),
    Option("spam_prevention", Boolean(), True,
           "Enforce rel=\"nofollow\" in links sent by users and written to the logs."),
)
TOP_LINK = (
    Option("target", Text(non_empty=True), "/", "Link target."),
    Option("text", Text(non_empty=True), "Home", "Link text (may be HTML)."),
)

# ---- acl / access / shaper / outgoing_pools (MongooseIM's formats) -------------------

ACL_PATTERN = (
    Option("match", OneOf(values=MATCH_VALUES), "current_domain",
           "\"all\": anyone; \"none\": no one; \"current_domain\": users of the served domain "
           "the rule is checked for; \"any_hosted_domain\": users of any served domain."),
    Option("user", ExactPart(), None, "User name equals (case-insensitive)."),
    Option("server", ExactPart(), None, "Domain equals (case-insensitive)."),
    Option("resource", Text(), None, "Resource equals."),
    Option("user_regexp", Regexp(), None, "User name matches the regular expression (search)."),
    Option("server_regexp", Regexp(), None, "Domain matches the regular expression (search)."),
    Option("resource_regexp", Regexp(), None, "Resource matches the regular expression (search)."),
    Option("user_glob", Glob(), None, "User name matches the glob pattern."),
    Option("server_glob", Glob(), None, "Domain matches the glob pattern."),
    Option("resource_glob", Glob(), None, "Resource matches the glob pattern."),
)
ACCESS_CLAUSE = (
    Option("acl", Name(allowed='"all", "none" or the name of an access class in [acl]'),
           doc="Access class the user is matched against."),
    Option("value", AccessValue(), doc="Result when it matches: \"allow\"/\"deny\", or a value."),
)

HTTP_POOL = (
    Option("strategy", OneOf(values=POOL_STRATEGIES), "best_worker", "Worker selection strategy."),
    Option("workers", POSITIVE, 10, "Number of workers to be started by the pool."),
    Option("call_timeout", POSITIVE, 5000,
           "Number of milliseconds after which a call to the pool will time out."),
    Option("max_worker_queue_len", NON_NEG, None,
           "Requests are dropped when every worker's queue is this long (best_worker only); "
           "unset = no limit."),
)
HTTP_CONNECTION = (
    Option("host", HttpUrl(), doc="Server URL."),
    Option("path_prefix", Text(non_empty=True), "/",
           "Initial part of path which will be common to all calls."),
    Option("request_timeout", POSITIVE, 2000,
           "Number of milliseconds after which http call to the server will time out."),
)

# ---- the whole file ------------------------------------------------------------------

SECTIONS: tuple[Section, ...] = (
    Section("general", "Served XMPP domains and logging.", (
        Option("hosts", Domains(), doc="Served XMPP domains; @HOST@ expands to each."),
        Option("loglevel", OneOf(values=LOGLEVELS), "warning",
               "Log level. At \"warning\" `raymuc run` still logs its few start and stop "
               "lines (`ray.started`, `service.ready`, `service.supervisor_ready`, "
               "`service.stopped`)."),
    ), Presence.REQUIRED),
    Section("component", "XEP-0114 connection to the XMPP server.", (
        Option("host", HostAddress(), "127.0.0.1", "Address of the XMPP server's component port."),
        Option("port", PORT, 5347, "Component port."),
        Option("password", Text(non_empty=True), doc="Component secret shared with the server.",
               secret=True),
        Option("max_stanza_size", Integer(low=65536), 262144,
               "Largest stanza, in bytes, the service ever sends: a message, presence or IQ "
               "whose relay could be larger is refused (not-acceptable), the room list is "
               "paged to fit, and any other stanza over it is dropped and logged. An XMPP "
               "server closes a component stream that sends more than its limit (Prosody: "
               "component_stanza_size_limit, 512 KiB by default), which cuts the whole MUC "
               "domain; 256 KiB is half of that and of Prosody's s2s limit, leaving room for "
               "what servers add when they route a stanza on."),
    ), Presence.REQUIRED),
    Section("storage", "Where rooms are stored.", (
        Option("mongo_uri", MongoUri(), "embedded",
               "\"embedded\" starts SecantusDB under data_dir; otherwise a MongoDB URI."),
        Option("data_dir", PathText(), Path("/var/lib/raymuc"),
               "State directory (relative to the config file's directory when relative); "
               "created with mode 0700 when missing."),
    )),
    Section("ray", "The Ray cluster the room actors run on.", (
        Option("address", RayAddress(), "local",
               "\"local\" starts a private local Ray; \"auto\" or \"host:port\" joins one."),
        Option("namespace", Text(non_empty=True), "raymuc", "Ray namespace of the actors."),
        Option("rooms_per_actor", POSITIVE, 1, "Rooms hosted by one actor (>1 packs many rooms)."),
        Option("room_hosts", POSITIVE, 16,
               "Dense placement (rooms_per_actor > 1): how many named host actors rooms are "
               "hashed onto; room_hosts x rooms_per_actor rooms can be live at once."),
        Option("max_live_rooms_per_node", NON_NEG, 0,
               "Most rooms live at once per node of the cluster (summed over its alive nodes); "
               "a join or stanza that would start one more is refused (resource-constraint, "
               "wait) until others stop or deep-hibernate. 0: what 60% of each node's Ray "
               "memory holds at ~64 MiB per room (rooms_per_actor = 1: a process per room) "
               "or ~256 KiB per room (rooms_per_actor > 1)."),
        Option("max_room_creations_per_minute", NON_NEG_OR_INF, 10,
               "New rooms one user (bare JID) may create per minute, counted over the whole "
               "cluster; more are refused (resource-constraint, wait). Service administrators "
               "are not limited; waking a stored room is not a creation."),
        Option("gateway_workers", Integer(low=0, high=64), 0,
               "Extra gateway processes that route rooms' stanzas and render their replies "
               "(rooms hashed onto them); 0: the gateway process does it all (lowest latency)."),
    )),
    Section("instrumentation", "Metrics.", (
        Option("probe_interval", POSITIVE, 15, "Seconds between gauge probes (rooms online...)."),
    )),
    Section("instrumentation.prometheus", "When present, serves /metrics over HTTP.", (
        Option("host", HostAddress(), "127.0.0.1", "Listen address."),
        Option("port", Integer(low=0, high=65535), 9464, "Listen port (0 = any free port)."),
    ), Presence.OPTIONAL),
    Section("modules", "Modules; only mod_muc and mod_muc_log exist here."),
    Section("modules.mod_muc", "XEP-0045 Multi-User Chat service (always on).", MOD_MUC),
    Section("modules.mod_muc.default_room",
            "Configuration of every new room (may also be written as default_room.KEY = ... "
            "in [modules.mod_muc]).", DEFAULT_ROOM),
    Section("modules.mod_muc.default_room.affiliations",
            DEFAULT_ROOM_DOCS["affiliations"], AFFILIATION, array=True),
    Section("modules.mod_muc_log", "Room logging to files; when absent, rooms are not logged.",
            MOD_MUC_LOG, Presence.OPTIONAL),
    Section("modules.mod_muc_log.top_link", "Custom link at the top of the HTML log files "
            "(defaults as in MongooseIM's code; its documentation shows empty strings).",
            TOP_LINK),
    Section("acl", "Access classes: NAME = [pattern, ...], a union of patterns."),
    Section("acl.*", "A pattern matches when all its conditions hold (an empty one matches "
            "the users of the current domain).", ACL_PATTERN, array=True),
    Section("access", "Access rules: NAME = [{acl, value}, ...]; the first matching clause "
            "wins, no match denies. \"all\" and \"none\" are built in."),
    Section("access.*", "A rule clause.", ACCESS_CLAUSE, array=True),
    Section("shaper", "Traffic shapers, referenced by name."),
    Section("shaper.*", "A shaper.", (
        Option("max_rate", POSITIVE, doc="Bytes per second."),
    )),
    Section("outgoing_pools", "Outgoing connection pools; only http pools exist here."),
    Section("outgoing_pools.http", "HTTP pools, e.g. for modules.mod_muc.http_auth_pool."),
    Section("outgoing_pools.http.*", "An HTTP pool.", HTTP_POOL),
    Section("outgoing_pools.http.*.connection", "Connection of an HTTP pool.", HTTP_CONNECTION,
            Presence.REQUIRED),
)

BY_PATH = {s.path: s for s in SECTIONS}
ROOT = Section("", "The configuration file.")


def section(path: str) -> Section:
    return ROOT if path == "" else BY_PATH[path]


def children(path: str) -> tuple[Section, ...]:
    return tuple(s for s in SECTIONS if s.parent == path)

