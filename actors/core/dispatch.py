"""Command type -> handler. One line per command."""
from . import commands as c
from .admin import handle_admin_get, handle_admin_set
from .announce import handle_announcement
from .disco import handle_disco_info, handle_disco_items, handle_ping
from .forwarding import handle_iq_response, handle_iq_to_occupant
from .ghosts import handle_stanza_error
from .invites import handle_decline, handle_invite
from .owner import handle_owner_get, handle_owner_set
from .presence import handle_presence
from .probe import handle_probe
from .rate_limits import handle_tick, shaped_message, shaped_presence
from .register import handle_register_get, handle_register_set
from .shutdown import handle_shutdown
from .voice import handle_voice_approval, handle_voice_request

HANDLERS = {
    c.Presence: shaped_presence,          # min_presence_interval, user_presence_shaper
    c.AuthorizedJoin: handle_presence,    # admitted by http_auth_pool; already shaped
    c.Message: shaped_message,            # min_message_interval, room/user message shapers
    c.Tick: handle_tick,                  # held stanzas falling due
    c.DiscoInfo: handle_disco_info,
    c.DiscoItems: handle_disco_items,
    c.Ping: handle_ping,
    c.OwnerGet: handle_owner_get,
    c.OwnerSet: handle_owner_set,
    c.AdminGet: handle_admin_get,
    c.AdminSet: handle_admin_set,
    c.ServiceAnnouncement: handle_announcement,
    c.Invite: handle_invite,
    c.Decline: handle_decline,
    c.VoiceRequest: handle_voice_request,
    c.VoiceApproval: handle_voice_approval,
    c.RegisterGet: handle_register_get,
    c.RegisterSet: handle_register_set,
    c.IqToOccupant: handle_iq_to_occupant,
    c.IqResponseFromOccupant: handle_iq_response,
    c.StanzaError: handle_stanza_error,
    c.ProbeOccupants: handle_probe,       # after the link to the XMPP server came back
    c.Shutdown: handle_shutdown,          # deep hibernation, operator's stop
}
