"""A copy of a room taken before a command that may change its stored state.

When storing the change fails (storage down, timed out), the shell puts the copy back:
nobody has seen the change yet (its effects are only delivered once stored), so the room
goes on as it was and its occupants stay inside, rather than being dropped and told to
rejoin. Only the few commands that can persist pay for the copy; messages and presence
never do.
"""
from __future__ import annotations

import copy

from . import commands as c

# What can reach room.changed(): affiliation and role lists, the owner form and
# destruction, registration, invitations that grant membership, subject changes.
_MAY_PERSIST = (c.AdminSet, c.OwnerSet, c.RegisterSet, c.Invite)


def may_change_stored_state(cmd) -> bool:
    if isinstance(cmd, _MAY_PERSIST):
        return True
    return isinstance(cmd, c.Message) and cmd.subject is not None


def checkpoint(room, cmd):
    """A deep copy of `room` when `cmd` may change what is stored, else None.

    The service policy is shared, never copied: it is the service's, not the room's."""
    if room is None or not may_change_stored_state(cmd):
        return None
    return copy.deepcopy(room, {id(room.policy): room.policy})
