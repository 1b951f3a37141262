"""Discovery of a room (§6.4, 6.5) and XEP-0410 self-ping."""
from __future__ import annotations

from . import commands as c
from .commands import Form
from .effects import DiscoInfoResult, DiscoItemsResult, IqResult
from .errors import Refused
from .features.registry import hooks
from .forwarding import handle_iq_to_occupant
from .jid import bare_of
from .nick import same_nick
from .outbox import Outbox
from .register import reserved_nick
from .roles import Affiliation
from .state import Env

BASE_FEATURES = (
    "http://jabber.org/protocol/muc",
    "http://jabber.org/protocol/disco#info",
    "http://jabber.org/protocol/disco#items",
    "http://jabber.org/protocol/muc#stable_id",
    "urn:xmpp:occupant-id:0",
    "urn:xmpp:sid:0",
    "urn:xmpp:ping",
    "http://jabber.org/protocol/muc#self-ping-optimization",
    "http://jabber.org/protocol/muc#request",       # voice requests (§7.13), voice.py
    "jabber:iq:register",                           # registration (§7.10), register.py
)
RESERVED_NICK_NODE = "x-roomuser-item"
ROOMINFO = "http://jabber.org/protocol/muc#roominfo"
NS_PING = "urn:xmpp:ping"


def room_name(room) -> str:
    return room.config.title or room.jid.split("@", 1)[0]


def room_features(room) -> tuple[str, ...]:
    feats = list(BASE_FEATURES)
    for hook in hooks("disco_features"):
        feats.extend(hook(room.config))
    return tuple(sorted(set(feats)))


def may_see_details(room, sender: str) -> bool:
    """§6.4 leaves room information to the room's privacy: a hidden or members-only room
    shows its description, subject and occupants only to those who belong there (its
    occupants, members, admins and owners, service administrators), not to anyone who
    asks; its identity, features and rules stay visible to all."""
    cfg = room.config
    if cfg.public and not cfg.members_only:
        return True
    if room.occupant_of(sender) is not None:
        return True
    return room.effective_affiliation(bare_of(sender)).rank >= Affiliation.MEMBER.rank


def roominfo_form(room, details: bool = True) -> Form:
    """XEP-0128 extended info (§6.4): FORM_TYPE muc#roominfo plus the roominfo hooks
    of the features (subjectmod, maxhistoryfetch, ...); with `details`, also what is in
    the room (description, subject, owners, the roominfo_details hooks: occupants ...)."""
    cfg = room.config
    fields: list[tuple[str, tuple[str, ...]]] = [
        ("FORM_TYPE", (ROOMINFO,)),
        ("muc#roomconfig_roomname", (room_name(room),)),
    ]
    if details:
        fields.append(("muc#roominfo_description", (cfg.description,)))
        fields.append(("muc#roominfo_subject", (room.subject,)))
    if cfg.language:
        fields.append(("muc#roominfo_lang", (cfg.language,)))
    if details and not cfg.anonymous:
        # owners' addresses, only where real JIDs are no secret anyway
        owners = sorted(j for j, a in room.affiliations.items() if a is Affiliation.OWNER)
        fields.append(("muc#roominfo_contactjid", tuple(owners)))
    for hook in hooks("roominfo") + (hooks("roominfo_details") if details else ()):
        fields.extend(hook(room))
    return Form("result", tuple(fields))


def _hide_locked(room, sender: str) -> None:
    """A locked room does not officially exist yet (§7.2.10): only owners see it."""
    if room.locked and room.effective_affiliation(bare_of(sender)) is not Affiliation.OWNER:
        raise Refused("item-not-found", "No such room")


def handle_disco_info(room, cmd: c.DiscoInfo, env: Env, out: Outbox) -> None:
    _hide_locked(room, cmd.sender)
    if cmd.nick:
        raise Refused("feature-not-implemented", "Disco to occupants is forwarded")
    if cmd.node == RESERVED_NICK_NODE:
        _reserved_nick(room, cmd, out)
        return
    if cmd.node:
        raise Refused("item-not-found", "No such node")
    out.deliver((cmd.sender,), IqResult(cmd.id, None, DiscoInfoResult(
        (("conference", "text", room_name(room)),), room_features(room),
        (roominfo_form(room, may_see_details(room, cmd.sender)),))))


def handle_disco_items(room, cmd: c.DiscoItems, env: Env, out: Outbox) -> None:
    """§6.5: the occupants, to occupants always and to others when public_list;
    otherwise an empty list."""
    _hide_locked(room, cmd.sender)
    if cmd.node:
        raise Refused("item-not-found", "No such node")
    items: tuple = ()
    if room.config.public_list or room.occupant_of(cmd.sender) is not None:
        items = tuple((f"{room.jid}/{nick}", nick, None) for nick in room.occupants)
    out.deliver((cmd.sender,), IqResult(cmd.id, None, DiscoItemsResult(items)))


def _reserved_nick(room, cmd: c.DiscoInfo, out: Outbox) -> None:
    """§7.12: the sender's registered nick as the identity's name; an empty query
    when it has none (also after joining: never an error)."""
    nick = reserved_nick(room, bare_of(cmd.sender))
    identities = (("conference", "text", nick),) if nick else ()
    out.deliver((cmd.sender,), IqResult(cmd.id, None, DiscoInfoResult(
        identities, (), node=RESERVED_NICK_NODE)))


def handle_ping(room, cmd: c.Ping, env: Env, out: Outbox) -> None:
    """XEP-0199 to the room; XEP-0410 self-ping to one's own occupant JID, answered by
    the room itself (muc#self-ping-optimization: result when joined, not-acceptable
    when not), whatever allow_query_users says. A ping to another occupant is an IQ
    to that occupant like any other (forwarding.py)."""
    if cmd.nick:
        occ = room.occupant_of(cmd.sender)
        if occ is None:
            raise Refused("not-acceptable", "You are not currently connected to this room",
                          type="cancel")         # as XEP-0410's example
        if not same_nick(occ.nick, cmd.nick):      # one's own, in any spelling: answered here
            handle_iq_to_occupant(room, c.IqToOccupant(
                cmd.sender, cmd.id, cmd.nick, "get", f"<ping xmlns='{NS_PING}'/>", NS_PING),
                env, out)
            return
    out.deliver((cmd.sender,), IqResult(cmd.id, cmd.nick or None))
