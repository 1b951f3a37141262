"""What a room asks the world to do. Outgoing stanzas are typed descriptions the
gateway renders once per distinct value and then addresses to each recipient."""
from __future__ import annotations

from dataclasses import dataclass

from .commands import Form
from .errors import XmppError


@dataclass(frozen=True, slots=True)
class Item:
    affiliation: str
    role: str
    jid: str | None = None
    nick: str | None = None
    actor_nick: str | None = None
    actor_jid: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class DestroyNotice:
    reason: str = ""
    alternate: str | None = None
    password: str | None = None


@dataclass(frozen=True, slots=True)
class PresenceOut:
    nick: str                        # from room@service/nick
    unavailable: bool = False
    item: Item | None = None
    codes: tuple[int, ...] = ()
    payload: str = ""
    status: str | None = None
    occupant_id: str | None = None
    destroy: DestroyNotice | None = None
    id: str | None = None            # the join's id reflected in self-presence (§7.2.3)


@dataclass(frozen=True, slots=True)
class MessageOut:
    nick: str | None                 # None: from the room itself
    type: str = "groupchat"
    id: str | None = None
    payload: str = ""                # forwarded children (body, thread, extensions)
    subject: str | None = None
    stanza_id: str | None = None
    occupant_id: str | None = None
    delay: float | None = None       # epoch seconds, for history
    codes: tuple[int, ...] = ()
    body: str | None = None          # room-generated text (not in payload)
    private: bool = False            # a PM: add <x xmlns='muc#user'/>
    form: Form | None = None         # voice request form etc.
    invite_from: str | None = None   # mediated invitation
    decline_from: str | None = None
    reason: str | None = None
    password: str | None = None
    thread: str | None = None


@dataclass(frozen=True, slots=True)
class Invitation:
    """A mediated invitation, sent from the room's bare JID."""
    sender: str
    reason: str = ""
    password: str | None = None
    continue_thread: str | None = None
    id: str | None = None            # the inviter's message id (§7.8.2 examples keep it)


@dataclass(frozen=True, slots=True)
class DeclineOut:
    sender: str
    reason: str = ""
    id: str | None = None


@dataclass(frozen=True, slots=True)
class IqResult:
    id: str
    nick: str | None = None          # from room/nick (None: the room)
    payload: object = None           # a typed result below, or None for empty


@dataclass(frozen=True, slots=True)
class IqOut:
    """An IQ the room forwards to an occupant (from room/nick) or its answer."""
    id: str
    type: str
    nick: str | None
    payload: str


@dataclass(frozen=True, slots=True)
class ErrorOut:
    kind: str                        # presence | message | iq
    id: str | None
    error: XmppError
    nick: str | None = None          # from room/nick (None: the room)
    payload: str = ""                # original content echoed back where useful


@dataclass(frozen=True, slots=True)
class Deliver:
    to: tuple[str, ...]
    stanza: object


# Typed IQ payloads --------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DiscoInfoResult:
    identities: tuple[tuple[str, str, str], ...]    # (category, type, name)
    features: tuple[str, ...]
    forms: tuple[Form, ...] = ()
    node: str | None = None


@dataclass(frozen=True, slots=True)
class ResultSetPage:
    """XEP-0059: where a page of a longer list sits."""
    count: int                                       # items in the whole list
    first: str | None = None                         # None: an empty page
    first_index: int | None = None
    last: str | None = None


@dataclass(frozen=True, slots=True)
class DiscoItemsResult:
    items: tuple[tuple[str, str, str | None], ...]  # (jid, name, node)
    node: str | None = None
    page: ResultSetPage | None = None                # a page of a longer list (XEP-0059)


@dataclass(frozen=True, slots=True)
class AdminListResult:
    items: tuple[Item, ...]
    request: object = None                           # AdminGet.page (a commands.PageRequest)
    page: ResultSetPage | None = None                # the gateway answers one page (XEP-0059)


@dataclass(frozen=True, slots=True)
class FormField:
    var: str
    type: str
    label: str = ""
    values: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class FormResult:
    """A query (owner or register) carrying a data form to fill in."""
    namespace: str
    form_type: str
    title: str
    fields: tuple[FormField, ...]
    instructions: str = ""
    registered: bool = False
    username: str | None = None      # jabber:iq:register: the registered nick (§7.10)


# Effects for the shell only ------------------------------------------------

@dataclass(frozen=True, slots=True)
class Persist:
    snapshot: object                 # state.RoomSnapshot


@dataclass(frozen=True, slots=True)
class Forget:
    version: int


@dataclass(frozen=True, slots=True)
class Closed:
    reason: str


@dataclass(frozen=True, slots=True)
class LogEvent:
    """A room event for mod_muc_log (written by the shell when logging is on)."""
    kind: str                        # message, join, leave, nick, subject, kick, ban, config
    nick: str
    text: str = ""
    jid: str | None = None


@dataclass(frozen=True, slots=True)
class WakeUp:
    """Send the room a Tick at `at` (epoch seconds): held stanzas fall due then
    (rate_limits.py). The shell keeps one timer per room, the earliest asked for."""
    at: float


@dataclass(frozen=True, slots=True)
class CheckPassword:
    """Ask the external HTTP service (http_auth_pool) about this join's password,
    outside the room's mailbox; the join comes back as commands.AuthorizedJoin when
    admitted, or the shell refuses it."""
    presence: object                 # commands.Presence
