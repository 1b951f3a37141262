"""What a room host needs to know about the service, built once from the config and
shipped to every host actor (picklable, frozen)."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from actors.core.creation import CreationPolicy
from actors.core.policy import ServicePolicy
from actors.core.state import RoomSeed
from actors.http_auth import AuthPool
from actors.room_log import RoomLogSettings


@dataclass(frozen=True)
class ServiceSettings:
    policy: ServicePolicy
    seed: RoomSeed
    access_create: str = "all"
    max_room_id: int | None = None          # None = infinity
    max_user_conferences: int | None = 10   # rooms one user occupies at once; None = no limit
    max_room_creations_per_minute: int | None = None   # per user (gateway/admission.py); None = no limit

    @property
    def creation(self) -> CreationPolicy:
        return CreationPolicy(self.policy.rules, self.access_create, self.max_room_id,
                              self.policy.server_host)


@dataclass(frozen=True)
class HostSettings:
    services: Mapping[str, ServiceSettings]          # MUC domain -> settings
    mongo_uri: str
    database: str = "raymuc"
    namespace: str = "raymuc"
    room_log: RoomLogSettings | None = None           # [modules.mod_muc_log]; None: not logged
    http_auth: AuthPool | None = None                 # the pool named by http_auth_pool
    hibernate_timeout: int | None = 90000             # ms idle before a room hibernates; None = never
    hibernated_room_timeout: int | None = None        # ms hibernated before deep hibernation; None = never
    directory_renew: float = 30.0                     # s between a host's full reports to the supervisor
    room_capacity: int = 1                            # [ray] rooms_per_actor: live rooms one host holds
    live_room_cap: bool = False                       # ask the supervisor before a room starts
    extra: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def service_for(self, room_jid: str) -> ServiceSettings | None:
        return self.services.get(room_jid.partition("@")[2])
