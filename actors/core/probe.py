"""Presence probes after a lost link: finding ghosts nobody told the room about.

Stanzas to and from the room are lost while the gateway is cut from the XMPP server
(the server restarting, the gateway restarting): among them the unavailable presence of
every session that ended meanwhile, and when the server itself restarted, every client
session ended. Those occupants stay listed (XEP-0045 §18.1.2 "ghost users"): their nick
is taken, the room tells others they are in. So when the link comes back the gateway
sends each live room ProbeOccupants, and the room asks every session a disco#info
(XEP-0030: every MUC client answers it; an unknown namespace would draw
service-unavailable from a live client, as RFC 6120 §8.4 says). A session that is gone is
answered for by its server with an error (RFC 6121 §8.5.3.2.1: service-unavailable), and
it leaves as a ghost does: status 333 (actors/core/ghosts.py). Any answer from the
session itself, a result or another error, means it is there.

Probes are transient, one per session, and expire after PROBE_TTL: a session that never
answers (its server is down) stays, as a message bounce will remove it later."""
from __future__ import annotations

from dataclasses import dataclass

from . import commands as c
from .effects import IqOut
from .ghosts import GONE_CONDITIONS, handle_stanza_error
from .outbox import Outbox
from .state import Env

ID_PREFIX = "rmprobe-"       # gateway/parse_iq.py lets answers to the bare room JID through
PROBE_TTL = 120.0
QUERY = "<query xmlns='http://jabber.org/protocol/disco#info'/>"


@dataclass(frozen=True, slots=True)
class Probe:
    session: str
    at: float


def handle_probe(room, cmd: c.ProbeOccupants, env: Env, out: Outbox) -> None:
    _expire(room, env.now)
    asked = {p.session for p in room.probes.values()}
    for n, session in enumerate(sorted(room.sessions)):
        if session in asked:        # one question per session at a time
            continue
        probe_id = f"{ID_PREFIX}{env.uid}-{n}"
        room.probes[probe_id] = Probe(session, env.now)
        out.deliver((session,), IqOut(probe_id, "get", None, QUERY))


def answers_probe(room, cmd: c.IqResponseFromOccupant, env: Env, out: Outbox) -> bool:
    """True when `cmd` is the answer to a probe (handled here), else False."""
    if not cmd.id.startswith(ID_PREFIX):
        return False
    probe = room.probes.get(cmd.id)
    if probe is None or probe.session != cmd.sender:    # not ours, or not from whom we asked
        return True
    del room.probes[cmd.id]
    if cmd.type == "error" and cmd.condition in GONE_CONDITIONS and \
            cmd.condition != "internal-server-error":
        handle_stanza_error(room, c.StanzaError(cmd.sender, "presence", cmd.condition),
                            env, out)
    return True


def _expire(room, now: float) -> None:
    for probe_id in [i for i, p in room.probes.items() if p.at < now - PROBE_TTL]:
        del room.probes[probe_id]
