"""Shared helpers for the muc#admin core tests (tests/core/test_admin.py, test_affiliations.py)."""
from actors.core import commands as c
from actors.core.effects import AdminListResult, IqResult, PresenceOut
from actors.core.roles import Role
from actors.core.state import RoomSeed
from tests.core.driver import Driver, presences, to

OWNER = "owner@localhost/o"
BOB = "bob@localhost/b"
CAROL = "carol@localhost/c"
DAVE = "dave@localhost/d"
I = c.AdminItem


def seeded(*affs, **config) -> Driver:
    return Driver(seed=RoomSeed(config=config, affiliations=tuple(affs)))


def aset(d: Driver, sender: str, *items: c.AdminItem, iq_id: str = "a1") -> list:
    return d.send(c.AdminSet(sender, iq_id, tuple(items)))


def aget(d: Driver, sender: str, item: c.AdminItem, iq_id: str = "g1") -> list:
    return d.send(c.AdminGet(sender, iq_id, (item,)))


def ok(out, jid: str) -> bool:
    return any(isinstance(s, IqResult) and s.payload is None for s in to(out, jid))


def listed(out, jid: str):
    results = [s for s in to(out, jid) if isinstance(s, IqResult)]
    assert len(results) == 1, to(out, jid)
    assert isinstance(results[0].payload, AdminListResult)
    return results[0].payload.items


def about(out, jid: str, nick: str) -> list[PresenceOut]:
    return [p for p in presences(out, jid) if p.nick == nick]


def role(d: Driver, nick: str) -> Role:
    return d.room.occupants[nick].role


def speak(d: Driver, jid: str) -> list:
    return d.send(c.Message(jid, "", "groupchat", "m", body="x", payload="<body>x</body>"))
