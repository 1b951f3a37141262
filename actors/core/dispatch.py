"""Command type -> handler. One line per command."""
from . import commands as c
from .admin import handle_admin_get, handle_admin_set
from .announce import handle_announcement
from .disco import handle_disco_info, handle_disco_items, handle_ping
from .messages import handle_message
from .owner import handle_owner_get, handle_owner_set
from .presence import handle_presence

HANDLERS = {
    c.Presence: handle_presence,
    c.Message: handle_message,
    c.DiscoInfo: handle_disco_info,
    c.DiscoItems: handle_disco_items,
    c.Ping: handle_ping,
    c.OwnerGet: handle_owner_get,
    c.OwnerSet: handle_owner_set,
    c.AdminGet: handle_admin_get,
    c.AdminSet: handle_admin_set,
    c.ServiceAnnouncement: handle_announcement,
}
