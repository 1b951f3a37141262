"""Property-based fuzzing of the pure room core (Hypothesis): random sequences of commands
from a small cast of users, and after every command the invariants below.

- No exception escapes Room.handle.
- A persistent room always has an owner.
- In a semi-anonymous room no real JID of another occupant reaches a non-moderator.
- Roles agree with affiliations: no outcast inside, owners and admins are moderators,
  members-only rooms hold members and above, an occupant's affiliation is the room's.
- Every command gets at most one reply (one error or one IQ result) addressed to it.

CI runs the `ci` profile (bounded); `bash bench/fuzz.sh` runs the `long` one, 100,000
sequences (RAYMUC_FUZZ_PROFILE, RAYMUC_FUZZ_EXAMPLES)."""
from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actors.core import commands as c
from actors.core.effects import Deliver, ErrorOut, IqResult, PresenceOut
from actors.core.jid import bare_of
from actors.core.policy import ServicePolicy
from actors.core.roles import Affiliation, Role
from actors.core.room import Room
from actors.core.state import Env, RoomSeed

pytestmark = pytest.mark.fuzz

ROOM = "fuzz@conference.localhost"
OWNER = "owner@localhost/o"
USERS = (OWNER, "owner@localhost/o2", "alice@localhost/a", "alice@localhost/a2",
         "bob@localhost/b", "eve@remote.example/e")
NICKS = ("Owner", "Alice", "Bob", "Eve", "", "owner", "A lice")
ROOMCONFIG = "http://jabber.org/protocol/muc#roomconfig"

settings.register_profile("ci", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=int(os.environ.get("RAYMUC_FUZZ_EXAMPLES", 100_000)),
                          deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("RAYMUC_FUZZ_PROFILE", "ci"))

users = st.sampled_from(USERS)
nicks = st.sampled_from(NICKS)
texts = st.sampled_from(("", "hi", "x" * 300, "<b>&amp;</b>", "\u202e", "line\nbreak"))
passwords = st.sampled_from((None, "", "secret", "wrong"))
affiliations = st.sampled_from(("admin", "member", "owner", "outcast", "none", "admin", "bogus"))
roles = st.sampled_from(("moderator", "participant", "visitor", "none", "bogus"))
bare_jids = st.sampled_from(tuple(sorted({bare_of(u) for u in USERS})) + ("bad jid@@",))

FORM_VALUES = {
    "muc#roomconfig_persistentroom": ("0", "1", "yes"),
    "muc#roomconfig_membersonly": ("0", "1"),
    "muc#roomconfig_moderatedroom": ("0", "1"),
    "muc#roomconfig_whois": ("moderators", "anyone", "none"),
    "muc#roomconfig_passwordprotectedroom": ("0", "1"),
    "muc#roomconfig_roomsecret": ("", "secret"),
    "muc#roomconfig_maxusers": ("1", "2", "5", "200", "0", "²", "-1"),
    "muc#roomconfig_publicroom": ("0", "1"),
    "muc#roomconfig_changesubject": ("0", "1"),
    "muc#roomconfig_allowinvites": ("0", "1"),
    "muc#roomconfig_roomname": ("", "Name", "x" * 500),
    "muc#roomconfig_roomowners": ("owner@localhost", "alice@localhost", "bad jid@@"),
    "muc#roomconfig_roomadmins": ("bob@localhost", "owner@localhost"),
}
form_fields = st.lists(
    st.sampled_from(sorted(FORM_VALUES)).flatmap(
        lambda var: st.tuples(st.just(var), st.lists(st.sampled_from(FORM_VALUES[var]),
                                                     min_size=0, max_size=2).map(tuple))),
    max_size=5)
forms = st.builds(lambda fields, t: c.Form(t, (("FORM_TYPE", (ROOMCONFIG,)), *fields)),
                  form_fields, st.sampled_from(("submit", "submit", "cancel", "form")))
ids = st.sampled_from(("i1", "i2", "same"))
# the two shapes XEP-0045 uses (affiliation by JID, role by nick), sometimes both or neither
admin_items = st.lists(st.one_of(
    st.builds(lambda a, j, r: c.AdminItem(affiliation=a, jid=j, reason=r), affiliations,
              bare_jids, texts),
    st.builds(lambda a, j: c.AdminItem(affiliation=a, jid=j), affiliations, bare_jids),
    st.builds(lambda r, n: c.AdminItem(role=r, nick=n), roles, nicks),
    st.builds(c.AdminItem, st.one_of(st.none(), affiliations), st.one_of(st.none(), roles),
              st.one_of(st.none(), bare_jids), st.one_of(st.none(), nicks))),
    min_size=0, max_size=3)
owners = st.one_of(st.just(OWNER), users)      # half of the privileged requests are the owner's

join = st.builds(c.Presence, users, nicks, st.just(True), st.booleans(), passwords)
affiliate = st.builds(c.AdminSet, owners, ids, admin_items.map(tuple))
configure = st.builds(c.OwnerSet, owners, ids, forms)
say = st.builds(lambda u, b: c.Message(u, "", "groupchat", "m", body=b,
                                       payload=f"<body>{b}</body>"), users, texts)
commands = st.one_of(
    join, join, join, affiliate, affiliate, configure, say,     # the frequent and the risky
    st.builds(c.Presence, users, nicks, st.just(False)),                              # leave
    st.builds(lambda u, n, b: c.Message(u, n, "chat", "pm", body=b, payload="<body/>"),
              users, nicks, texts),
    st.builds(lambda u, s: c.Message(u, "", "groupchat", "s", subject=s), users, texts),
    st.builds(c.AdminGet, users, ids, admin_items.map(tuple)),
    st.builds(c.OwnerGet, users, ids),
    st.builds(lambda u, i: c.OwnerSet(u, i, destroy=c.DestroyRequest("bye")), users, ids),
    st.builds(c.DiscoInfo, users, ids, nicks),
    st.builds(c.DiscoItems, users, ids),
    st.builds(c.RegisterGet, users, ids),
    st.builds(lambda u, i, n: c.RegisterSet(u, i, c.Form("submit", (
        ("FORM_TYPE", ("http://jabber.org/protocol/muc#register",)),
        ("muc#register_roomnick", (n,))))), users, ids, nicks),
    st.builds(lambda u, t: c.Invite(u, ((t, "come"),)), users, bare_jids),
    st.builds(lambda u, t: c.Decline(u, t), users, bare_jids),
    st.builds(c.VoiceRequest, users),
    st.builds(c.Ping, users, ids, nicks),
    st.builds(lambda u, i, n: c.IqToOccupant(u, i, n, "get", "<query xmlns='q'/>", "q"),
              users, ids, nicks),
    st.builds(lambda u, n: c.StanzaError(u, "message", "recipient-unavailable", n), users, nicks),
    st.builds(c.Tick),
)

def replies_to(effects, cmd) -> list:
    """Errors and IQ results addressed to the command's sender about this command."""
    sender, cmd_id = getattr(cmd, "sender", None), getattr(cmd, "id", None)
    found = []
    for eff in effects:
        if not isinstance(eff, Deliver) or sender not in eff.to:
            continue
        stanza = eff.stanza
        if isinstance(stanza, IqResult) and stanza.id == cmd_id:
            found.append(stanza)
        elif isinstance(stanza, ErrorOut) and getattr(stanza, "id", None) == cmd_id:
            found.append(stanza)
    return found


def check_invariants(room: Room, cmd, effects, anonymous_before: bool) -> None:
    if room.closed:
        return
    if room.config.persistent:
        assert Affiliation.OWNER in room.affiliations.values(), "persistent room without owner"
    for occ in room.occupants.values():
        assert occ.affiliation is not Affiliation.OUTCAST, occ
        if occ.affiliation in (Affiliation.OWNER, Affiliation.ADMIN):
            assert occ.role is Role.MODERATOR, occ
        if room.config.members_only:
            assert occ.affiliation.rank >= Affiliation.MEMBER.rank, occ
        assert occ.affiliation is room.affiliation_of(occ.bare), occ
        assert occ.role is not Role.NONE, occ
    if isinstance(cmd, (c.Iq, c.Presence, c.Message)) and getattr(cmd, "id", None) is not None:
        assert len(replies_to(effects, cmd)) <= 1, (cmd, effects)
    if anonymous_before and room.config.anonymous:
        for eff in effects:
            if not isinstance(eff, Deliver) or not isinstance(eff.stanza, PresenceOut):
                continue
            item = eff.stanza.item
            if item is None or item.jid is None:
                continue
            for to in eff.to:
                viewer = room.occupant_of(to)
                if viewer is None or viewer.role is Role.MODERATOR:
                    continue
                assert bare_of(item.jid) == bare_of(to), \
                    f"{item.jid} shown to non-moderator {to} in a semi-anonymous room"


@given(st.lists(commands, min_size=15, max_size=40), st.booleans(), st.booleans())
def test_random_command_sequences_keep_the_invariants(cmds, persistent, moderated):
    policy = ServicePolicy("conference.localhost", max_users=4)
    seed = RoomSeed(config={"persistent": persistent, "moderated": moderated})
    now = [1_000_000.0]

    def env(i: int) -> Env:
        now[0] += 7.0
        return Env(now[0], f"u{i}")
    room = Room.new(ROOM, policy, seed, OWNER, env(0))
    room.handle_create(c.Presence(OWNER, "Owner", True, muc=True), env(0))
    room.handle(c.OwnerSet(OWNER, "instant", form=c.Form("submit")), env(0))
    for i, cmd in enumerate(cmds, 1):
        anonymous_before = room.config.anonymous
        effects = room.handle(cmd, env(i))
        check_invariants(room, cmd, effects, anonymous_before)
        if room.closed:
            break
