"""Service-wide settings a room obeys (the mod_muc options that act inside rooms)."""
from __future__ import annotations

from dataclasses import dataclass, field

from .access import AccessRules
from .rate_limits import RateLimits


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
    rates: RateLimits = RateLimits()      # min_*_interval and the shapers (rate_limits.py)
    http_auth: bool = False               # http_auth_pool set: passwords checked over HTTP
    access_log: str = "all"               # mod_muc_log's access_log: who may toggle logging
    logging_available: bool = True        # mod_muc_log configured: rooms may log at all

    def allows(self, option: str, jid: str) -> bool:
        """Evaluate the access rule named by a mod_muc option (access_admin, ...)."""
        return self.rules.allows(getattr(self, option), jid, self.server_host)

    def may_toggle_logging(self, jid: str) -> bool:
        """Whether `jid` (an owner) is offered, and may change, the logging field."""
        return self.logging_available and self.allows("access_log", jid)

    def is_service_admin(self, jid: str) -> bool:
        return self.rules.allows(self.access_admin, jid, self.server_host)
