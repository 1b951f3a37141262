"""Typed commands the gateway hands to a room. Payloads are opaque XML strings
the room forwards untouched (children of the stanza it must not interpret)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class HistoryRequest:
    maxchars: int | None = None
    maxstanzas: int | None = None
    seconds: int | None = None
    since: float | None = None


@dataclass(frozen=True, slots=True)
class Form:
    """An XEP-0004 data form: type and (var, values) pairs in document order."""
    type: str
    fields: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def get(self, var: str) -> tuple[str, ...] | None:
        for name, values in self.fields:
            if name == var:
                return values
        return None


@dataclass(frozen=True, slots=True)
class Presence:
    sender: str                 # full JID of the user
    nick: str                   # resource of the 'to' address ('' when absent)
    available: bool
    muc: bool = False           # carried <x xmlns='http://jabber.org/protocol/muc'/>
    password: str | None = None
    history: HistoryRequest | None = None
    status: str | None = None
    payload: str = ""           # other children (show, priority, caps, ...), forwarded
    id: str | None = None


@dataclass(frozen=True, slots=True)
class AuthorizedJoin(Presence):
    """A join whose password the external HTTP service (http_auth_pool) accepted:
    the room runs every other entry check again, not the password one."""

    @classmethod
    def of(cls, p: Presence) -> "AuthorizedJoin":
        return cls(p.sender, p.nick, p.available, p.muc, p.password, p.history, p.status,
                   p.payload, p.id)


@dataclass(frozen=True, slots=True)
class Message:
    sender: str
    nick: str                   # '' = to the room, else a private message to that nick
    type: str                   # normal, chat, groupchat, headline
    id: str | None = None
    body: str | None = None
    subject: str | None = None  # None when the stanza has no <subject/>
    thread: str | None = None
    payload: str = ""           # all children but MUC-reserved ones, forwarded


@dataclass(frozen=True, slots=True)
class Invite:
    sender: str
    invitees: tuple[tuple[str, str], ...]   # (bare or full JID, reason)
    password: str | None = None
    id: str | None = None
    continue_thread: str | None = None


@dataclass(frozen=True, slots=True)
class Decline:
    sender: str
    to: str
    reason: str = ""
    id: str | None = None


@dataclass(frozen=True, slots=True)
class VoiceRequest:
    sender: str
    id: str | None = None


@dataclass(frozen=True, slots=True)
class VoiceApproval:
    sender: str
    form: Form
    id: str | None = None


@dataclass(frozen=True, slots=True)
class StanzaError:
    """A presence/message/iq of type error from an occupant's client."""
    sender: str
    kind: str                   # presence | message | iq
    condition: str
    nick: str = ""


@dataclass(frozen=True, slots=True)
class PageRequest:
    """XEP-0059 paging of a list: at most `max` items after/before an item id, or
    from an index; before == "" asks for the last page."""
    max: int | None = None
    after: str | None = None
    before: str | None = None
    index: int | None = None


@dataclass(frozen=True, slots=True)
class AdminItem:
    affiliation: str | None = None
    role: str | None = None
    jid: str | None = None
    nick: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Iq:
    """Base of the IQs a room answers."""
    sender: str
    id: str


@dataclass(frozen=True, slots=True)
class DiscoInfo(Iq):
    nick: str = ""
    node: str | None = None


@dataclass(frozen=True, slots=True)
class DiscoItems(Iq):
    nick: str = ""
    node: str | None = None


@dataclass(frozen=True, slots=True)
class AdminGet(Iq):
    items: tuple[AdminItem, ...] = ()
    page: PageRequest | None = None   # handed back untouched in the answer: the gateway pages


@dataclass(frozen=True, slots=True)
class AdminSet(Iq):
    items: tuple[AdminItem, ...] = ()


@dataclass(frozen=True, slots=True)
class OwnerGet(Iq):
    pass


@dataclass(frozen=True, slots=True)
class OwnerSet(Iq):
    form: Form | None = None          # None: an empty <query/> is invalid
    destroy: "DestroyRequest | None" = None


@dataclass(frozen=True, slots=True)
class DestroyRequest:
    reason: str = ""
    alternate: str | None = None
    password: str | None = None


@dataclass(frozen=True, slots=True)
class RegisterGet(Iq):
    pass


@dataclass(frozen=True, slots=True)
class RegisterSet(Iq):
    form: Form | None = None
    remove: bool = False


@dataclass(frozen=True, slots=True)
class Ping(Iq):
    nick: str = ""


@dataclass(frozen=True, slots=True)
class IqToOccupant(Iq):
    nick: str = ""
    type: str = "get"
    payload: str = ""
    namespace: str = ""         # of the payload's element: vCard queries go to the bare JID


@dataclass(frozen=True, slots=True)
class IqResponseFromOccupant(Iq):
    """A result/error answering an IQ the room forwarded to an occupant, or one of the
    room's own presence probes (actors/core/probe.py)."""
    type: str = "result"
    payload: str = ""
    condition: str = ""         # of an error: its defined condition


@dataclass(frozen=True, slots=True)
class ProbeOccupants:
    """The gateway's link to the XMPP server is back (or the gateway restarted):
    stanzas were lost meanwhile, among them the unavailable presences of sessions that
    went away. The room asks each session whether it is still there."""


@dataclass(frozen=True, slots=True)
class ServiceAnnouncement:
    """A message from a service administrator to be broadcast in the room."""
    sender: str
    body: str
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Tick:
    """Periodic housekeeping (due delayed messages/presences)."""
    pass


@dataclass(frozen=True, slots=True)
class Shutdown:
    """Deep hibernation or an operator's stop: tell the occupants, then close."""
    reason: str = "Room hibernation"
    codes: tuple[int, ...] = field(default=(332,))
