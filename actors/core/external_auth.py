"""External HTTP authentication (mod_muc http_auth_pool) on the room's side.

With http_auth_pool set, a password-protected room does not compare passwords itself:
every attempt to enter it or create it (the creator too, as in MongooseIM) is sent to
the HTTP service. The room does not wait for the answer: the join is handed to the
shell as a CheckPassword effect and the room goes on with other stanzas. The shell
asks the service and either refuses the join (not-authorized with the service's
message, or service-unavailable) or submits it again as commands.AuthorizedJoin,
which runs every other entry check against the room as it is by then (the nick may
have been taken meanwhile, the user banned, the room filled up) but not the password.

A join without any password is refused at once (not-authorized), no HTTP call, as
MongooseIM does. Service administrators are not asked for a password at all."""
from __future__ import annotations

from . import commands as c
from .effects import CheckPassword
from .errors import Refused
from .outbox import Outbox

PASSWORD_REQUIRED = "A password is required to enter this room"


class NeedsExternalAuth(Exception):
    """Raised by the password feature's pre_join hook; presence.join defers the join."""


def check(room, attempt) -> None:
    """The password rule when the service checks passwords over HTTP."""
    if attempt.external_auth:
        return
    if attempt.password is None:
        raise Refused("not-authorized", PASSWORD_REQUIRED)
    raise NeedsExternalAuth()


def defer_join(room, cmd: c.Presence, out: Outbox, created: bool) -> None:
    out.add(CheckPassword(cmd))
    if created:
        # the room does not exist until a creator is admitted: AuthorizedJoin creates it
        room.close("awaiting external authentication", out)
