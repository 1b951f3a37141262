"""Discovery of a room (§6.4, 6.5) and XEP-0410 self-ping."""
from __future__ import annotations

from . import commands as c
from .commands import Form
from .effects import DiscoInfoResult, DiscoItemsResult, IqResult
from .errors import Refused
from .features.registry import hooks
from .jid import bare_of
from .outbox import Outbox
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
)
ROOMINFO = "http://jabber.org/protocol/muc#roominfo"


def room_name(room) -> str:
    return room.config.title or room.jid.split("@", 1)[0]


def room_features(room) -> tuple[str, ...]:
    feats = list(BASE_FEATURES)
    for hook in hooks("disco_features"):
        feats.extend(hook(room.config))
    return tuple(sorted(set(feats)))


def roominfo_form(room) -> Form:
    """XEP-0128 extended info (§6.4): FORM_TYPE muc#roominfo plus the roominfo hooks
    of the features (occupants, subjectmod, maxhistoryfetch, ...)."""
    cfg = room.config
    fields: list[tuple[str, tuple[str, ...]]] = [
        ("FORM_TYPE", (ROOMINFO,)),
        ("muc#roomconfig_roomname", (room_name(room),)),
        ("muc#roominfo_description", (cfg.description,)),
        ("muc#roominfo_subject", (room.subject,)),
    ]
    if cfg.language:
        fields.append(("muc#roominfo_lang", (cfg.language,)))
    if not cfg.anonymous:
        # owners' addresses, only where real JIDs are no secret anyway
        owners = sorted(j for j, a in room.affiliations.items() if a is Affiliation.OWNER)
        fields.append(("muc#roominfo_contactjid", tuple(owners)))
    for hook in hooks("roominfo"):
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
    if cmd.node:
        raise Refused("item-not-found", "No such node")
    out.deliver((cmd.sender,), IqResult(cmd.id, None, DiscoInfoResult(
        (("conference", "text", room_name(room)),), room_features(room),
        (roominfo_form(room),))))


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


def handle_ping(room, cmd: c.Ping, env: Env, out: Outbox) -> None:
    if cmd.nick:
        occ = room.occupant_of(cmd.sender)
        if occ is None or occ.nick != cmd.nick:
            raise Refused("not-acceptable", "You are not an occupant of this room")
    out.deliver((cmd.sender,), IqResult(cmd.id, cmd.nick or None))
