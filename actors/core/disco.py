"""Discovery of a room (§6.4, 6.5) and XEP-0410 self-ping."""
from __future__ import annotations

from . import commands as c
from .commands import Form
from .effects import DiscoInfoResult, DiscoItemsResult, IqResult
from .errors import Refused
from .features.registry import hooks
from .outbox import Outbox
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


def room_features(room) -> tuple[str, ...]:
    feats = list(BASE_FEATURES)
    for hook in hooks("disco_features"):
        feats.extend(hook(room.config))
    return tuple(sorted(set(feats)))


def roominfo_form(room) -> Form:
    fields: list[tuple[str, tuple[str, ...]]] = [("FORM_TYPE", (ROOMINFO,))]
    cfg = room.config
    fields.append(("muc#roominfo_subject", (room.subject,)))
    for hook in hooks("roominfo"):
        fields.extend(hook(room))
    if cfg.description:
        fields.append(("muc#roominfo_description", (cfg.description,)))
    if cfg.language:
        fields.append(("muc#roominfo_lang", (cfg.language,)))
    return Form("result", tuple(fields))


def handle_disco_info(room, cmd: c.DiscoInfo, env: Env, out: Outbox) -> None:
    if cmd.nick:
        raise Refused("feature-not-implemented", "Disco to occupants is forwarded")
    if cmd.node:
        raise Refused("item-not-found", "No such node")
    name = room.config.title or room.jid.split("@", 1)[0]
    out.deliver((cmd.sender,), IqResult(cmd.id, None, DiscoInfoResult(
        (("conference", "text", name),), room_features(room), (roominfo_form(room),))))


def handle_disco_items(room, cmd: c.DiscoItems, env: Env, out: Outbox) -> None:
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
