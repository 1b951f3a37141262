"""Presence probes after a lost link (actors/core/probe.py): a session its server says is
gone leaves with 333; one that answers, in any way, stays."""
from __future__ import annotations

from actors.core import commands as c
from actors.core.effects import IqOut
from actors.core.probe import PROBE_TTL
from tests.core.driver import Driver, presences, to

OWNER, BOB, ANN = "owner@localhost/o", "bob@localhost/b", "ann@remote.example/a"


def probes(effects) -> dict[str, str]:
    """session -> probe id, for the disco#info gets the room sent."""
    return {jid: s.id for jid in (OWNER, BOB, ANN) for s in to(effects, jid)
            if isinstance(s, IqOut) and s.type == "get" and "disco#info" in s.payload
            and s.nick is None}


def room_of_three() -> Driver:
    d = Driver()
    d.join(BOB, "Bob")
    d.join(ANN, "Ann")
    return d


def test_every_session_is_asked_once_from_the_room_itself():
    d = room_of_three()
    asked = probes(d.send(c.ProbeOccupants()))
    assert set(asked) == {OWNER, BOB, ANN} and len(set(asked.values())) == 3
    assert probes(d.send(c.ProbeOccupants())) == {}     # still waiting: not asked twice


def test_a_session_its_server_says_is_gone_leaves_with_333():
    d = room_of_three()
    asked = probes(d.send(c.ProbeOccupants()))
    out = d.send(c.IqResponseFromOccupant(BOB, asked[BOB], "error", "", "service-unavailable"))
    [gone] = [p for p in presences(out, OWNER) if p.nick == "Bob"]
    assert gone.unavailable and 333 in gone.codes
    assert "Bob" not in {o.nick for o in d.room.occupants.values()}


def test_answers_that_mean_the_session_is_there_keep_it():
    d = room_of_three()
    asked = probes(d.send(c.ProbeOccupants()))
    for jid, answer in ((OWNER, ("result", "", "")),
                        (BOB, ("error", "", "feature-not-implemented")),
                        (ANN, ("error", "", "internal-server-error"))):
        assert d.send(c.IqResponseFromOccupant(jid, asked[jid], *answer)) == []
    assert {o.nick for o in d.room.occupants.values()} == {"Owner", "Bob", "Ann"}
    assert set(probes(d.send(c.ProbeOccupants()))) == {OWNER, BOB, ANN}   # answered: ask again


def test_an_answer_from_someone_else_or_to_an_unknown_probe_changes_nothing():
    d = room_of_three()
    asked = probes(d.send(c.ProbeOccupants()))
    forged = c.IqResponseFromOccupant(ANN, asked[BOB], "error", "", "service-unavailable")
    assert d.send(forged) == []
    assert d.send(c.IqResponseFromOccupant(BOB, "rmprobe-nope", "error", "",
                                           "service-unavailable")) == []
    assert "Bob" in {o.nick for o in d.room.occupants.values()}


def test_unanswered_probes_expire():
    d = room_of_three()
    d.send(c.ProbeOccupants())
    d.now += PROBE_TTL + 1
    assert set(probes(d.send(c.ProbeOccupants()))) == {OWNER, BOB, ANN}
    assert len(d.room.probes) == 3
