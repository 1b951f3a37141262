"""Service-wide settings a room obeys (the mod_muc options that act inside rooms)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .access import AccessRules


@dataclass(frozen=True)
class ServicePolicy:
    service: str                          # the MUC domain, e.g. conference.localhost
    history_size: int = 20
    max_users: int = 200
    max_users_admin_threshold: int = 5
    max_room_name: int | None = None      # None = infinity
    max_room_desc: int | None = None
    access_admin: str = "none"
    access_persistent: str = "all"
    rules: AccessRules = field(default_factory=lambda: AccessRules.from_tables({}, {}))
    server_host: str | None = None        # the served host behind `service` (acl current_domain)

    def allows(self, option: str, jid: str) -> bool:
        """Evaluate the access rule named by a mod_muc option (access_admin, ...)."""
        return self.rules.allows(getattr(self, option), jid, self.server_host)

    def is_service_admin(self, jid: str) -> bool:
        return self.rules.allows(self.access_admin, jid, self.server_host)
