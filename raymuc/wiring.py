"""From the validated Config to what the actors and the gateway are built with."""
from __future__ import annotations

from types import MappingProxyType

from actors.core.policy import ServicePolicy
from actors.core.rate_limits import RateLimits
from actors.core.state import RoomSeed
from actors.http_auth import AuthPool
from actors.placement import Placement
from actors.room_log import RoomLogSettings
from actors.settings import HostSettings, ServiceSettings


def service_policy(config, domain: str) -> ServicePolicy:
    muc = config.muc
    return ServicePolicy(
        service=domain,
        history_size=muc.history_size,
        max_users=muc.max_users,
        max_users_admin_threshold=muc.max_users_admin_threshold,
        max_room_name=muc.max_room_name,
        max_room_desc=muc.max_room_desc,
        access_admin=muc.access_admin,
        access_persistent=muc.access_persistent,
        rules=access_rules(config),
        server_host=config.server_host_of(domain),
        rates=rate_limits(config),
        http_auth=config.muc.http_auth_pool != "none",
        access_log=config.muc_log.access_log if config.muc_log is not None else "none",
        logging_available=config.muc_log is not None,
    )


def rate_limits(config) -> RateLimits:
    muc = config.muc

    def rate(shaper: str) -> int | None:
        # "none", or a name [shaper] does not define: no limit (MongooseIM's lookup)
        found = config.shapers.get(shaper)
        return None if found is None else found.max_rate
    return RateLimits(muc.min_message_interval, muc.min_presence_interval,
                      rate(muc.room_shaper), rate(muc.user_message_shaper),
                      rate(muc.user_presence_shaper))


def http_auth_pool(config) -> AuthPool | None:
    name = config.muc.http_auth_pool
    if name == "none":
        return None
    pool = config.http_pools.get(name)
    if pool is None:
        return None     # undefined pool: the password checks fail closed (config/compat.py)
    conn = pool.connection
    return AuthPool(name, conn.host, conn.path_prefix, conn.request_timeout / 1000,
                    pool.call_timeout / 1000, pool.workers, pool.strategy,
                    pool.max_worker_queue_len)


def room_log_settings(config) -> RoomLogSettings | None:
    log = config.muc_log
    if log is None:
        return None
    return RoomLogSettings(str(log.outdir), log.dirtype, log.dirname, log.file_format,
                           log.css_file, log.timezone, tuple(log.top_link), log.spam_prevention)


def access_rules(config) -> AccessRules:
    return config.access_rules()


def room_seed(config) -> RoomSeed:
    room = config.muc.default_room
    affs = tuple((bare_jid(user_server), aff) for user_server, aff in _affs(room.affiliations))
    return RoomSeed(MappingProxyType(dict(room.config)), affs, room.subject, room.subject_author)


def _affs(entries):
    for entry in entries:
        bare, _resource, aff = entry
        if aff != "none":
            yield bare, aff


def bare_jid(text: str) -> str:
    return text.lower()


def host_settings(config, mongo_uri: str) -> HostSettings:
    services = {domain: ServiceSettings(service_policy(config, domain), room_seed(config),
                                        config.muc.access_create, config.muc.max_room_id,
                                        config.muc.max_user_conferences,
                                        config.ray.max_room_creations_per_minute)
                for domain in config.muc_domains()}
    return HostSettings(MappingProxyType(services), mongo_uri, namespace=config.ray.namespace,
                        room_log=room_log_settings(config), http_auth=http_auth_pool(config),
                        hibernate_timeout=config.muc.hibernate_timeout,
                        hibernated_room_timeout=config.muc.hibernated_room_timeout,
                        directory_renew=DIRECTORY_RENEW,
                        room_capacity=config.ray.rooms_per_actor, live_room_cap=True)


# Room hosts send the supervisor their whole room list this often (seconds); the
# supervisor forgets a silent host's rooms after a lease of a bit over three renewals.
DIRECTORY_RENEW = 30.0


def supervisor_settings(config):
    from actors.supervisor import SupervisorSettings
    muc, inst = config.muc, config.instrumentation

    def seconds(ms):
        return None if ms is None else ms / 1000
    prom = inst.prometheus
    return SupervisorSettings(
        namespace=config.ray.namespace, placement=placement(config),
        host_types=MappingProxyType({d: config.server_host_of(d) for d in config.muc_domains()}),
        check_interval=seconds(muc.hibernated_room_check_interval),
        hibernated_room_timeout=seconds(muc.hibernated_room_timeout),
        probe_interval=float(inst.probe_interval),
        prometheus=(prom.host, prom.port) if prom is not None else None,
        lease=3 * DIRECTORY_RENEW + 5, live_rooms_per_node=config.ray.max_live_rooms_per_node)


def placement(config) -> Placement:
    return Placement(config.ray.namespace, config.ray.rooms_per_actor, config.ray.room_hosts)
