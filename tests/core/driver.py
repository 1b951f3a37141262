"""A tiny harness around the pure room: a fake clock, sequential ids, and helpers
to find what was delivered to whom."""
from __future__ import annotations

from actors.core import commands as c
from actors.core.effects import Deliver, ErrorOut, PresenceOut
from actors.core.policy import ServicePolicy
from actors.core.room import Room
from actors.core.state import Env, RoomSeed

ROOM = "room@conference.localhost"


class Driver:
    def __init__(self, seed: RoomSeed | None = None, policy: ServicePolicy | None = None,
                 creator: str = "owner@localhost/o", nick: str = "Owner", instant: bool = True):
        self.now = 1_000_000.0
        self.seq = 0
        self.policy = policy or ServicePolicy("conference.localhost")
        self.room = Room.new(ROOM, self.policy, seed or RoomSeed(), creator, self.env())
        self.created = self.room.handle_create(c.Presence(creator, nick, True, muc=True), self.env())
        if instant:
            self.send(c.OwnerSet(creator, "instant", form=c.Form("submit")))

    def env(self) -> Env:
        self.seq += 1
        self.now += 1
        return Env(self.now, f"id{self.seq}")

    def send(self, cmd) -> list:
        return self.room.handle(cmd, self.env())

    def join(self, jid: str, nick: str, **kw) -> list:
        return self.send(c.Presence(jid, nick, True, muc=True, **kw))


def to(effects, jid: str) -> list:
    return [e.stanza for e in effects if isinstance(e, Deliver) and jid in e.to]


def errors(effects, jid: str) -> list[str]:
    return [s.error.condition for s in to(effects, jid) if isinstance(s, ErrorOut)]


def presences(effects, jid: str) -> list[PresenceOut]:
    return [s for s in to(effects, jid) if isinstance(s, PresenceOut)]
