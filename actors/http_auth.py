"""External HTTP authentication for password-protected rooms (mod_muc http_auth_pool).

Every attempt to enter or create such a room sends
    GET <connection.host><path_prefix>check_password?from=<user JID>&to=<room JID>&pass=<password>
(form-encoded query, as MongooseIM's uri_string:compose_query). The answer, as
mod_muc_room:make_http_auth_request / decode_http_auth_response read it:
- 200 with a JSON object whose "code" is 0: admitted;
- 200 with another integer "code": not-authorized, text "<code> <msg>" (MongooseIM's);
- anything else (unreachable, timed out, not 200, not a JSON object with an integer
  code): service-unavailable. (MongooseIM crashes the room on an answer without
  "msg"; we refuse with the code alone.)

[outgoing_pools.http.NAME] maps onto one aiohttp session per room-host process:
`workers` calls run at once (a call beyond it waits for a free worker),
`call_timeout` bounds the whole call including that wait, `connection.request_timeout`
the HTTP request itself. With strategy = "best_worker" and max_worker_queue_len set, a
call that would wait behind more than workers * max_worker_queue_len others is
dropped (service-unavailable), as MongooseIM drops it when every worker's queue is
full. The other strategies only choose among identical workers in MongooseIM; over
one connection pool they behave alike. The limits hold per host process (each room
host runs its own pool), not across the cluster."""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlencode

log = logging.getLogger("raymuc.http_auth")
_MAX_BODY = 64 * 1024
# Checks in flight or waiting for a worker in one host process, whatever the pool's
# strategy: past it a join is refused resource-constraint at once instead of waiting.
MAX_CHECKS = 1000


@dataclass(frozen=True)
class AuthPool:
    """What a host needs of [outgoing_pools.http.NAME] (picklable, no config types)."""
    name: str
    host: str = "http://127.0.0.1"
    path_prefix: str = "/"
    request_timeout: float = 2.0       # seconds (connection.request_timeout is in ms)
    call_timeout: float = 5.0          # seconds (call_timeout is in ms)
    workers: int = 10
    strategy: str = "best_worker"
    max_queue: int | None = None       # max_worker_queue_len

    def url(self, sender: str, room: str, password: str) -> str:
        prefix = "/" + self.path_prefix.strip("/")
        prefix = prefix if prefix.endswith("/") else prefix + "/"
        query = urlencode([("from", sender), ("to", room), ("pass", password)])
        return f"{self.host.rstrip('/')}{prefix}check_password?{query}"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    condition: str = ""                # the stanza error when refused
    text: str = ""


ADMITTED = Verdict(True)


def unavailable(why: str) -> Verdict:
    return Verdict(False, "service-unavailable", f"The password check failed: {why}")


def decode(status: int, body: bytes) -> Verdict:
    """The verdict for an HTTP answer (pure)."""
    if status != 200:
        return unavailable(f"the service answered HTTP {status}")
    try:
        answer = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return unavailable("the service's answer is not JSON")
    code = answer.get("code") if isinstance(answer, dict) else None
    if isinstance(code, bool) or not isinstance(code, int):
        return unavailable('the service\'s answer has no integer "code"')
    if code == 0:
        return ADMITTED
    msg = answer.get("msg")
    text = f"{code} {msg}" if isinstance(msg, str) and msg else str(code)
    return Verdict(False, "not-authorized", text)


class HttpAuthClient:
    def __init__(self, pool: AuthPool):
        self.pool = pool
        self._session = None
        self._calls = 0                # in flight or waiting for a worker
        self._workers = asyncio.Semaphore(pool.workers)
        self._busy = False             # logged once per burst

    async def check(self, sender: str, room: str, password: str) -> Verdict:
        pool = self.pool
        if pool.max_queue is not None and pool.strategy == "best_worker" \
                and self._calls >= pool.workers * (1 + pool.max_queue):
            log.warning("http_auth.dropped pool=%s room=%s user=%s calls=%d", pool.name, room,
                        sender, self._calls)
            return unavailable("too many checks are waiting")
        if self._calls >= MAX_CHECKS:
            if not self._busy:
                self._busy = True
                log.warning("http_auth.busy pool=%s calls=%d", pool.name, self._calls)
            return Verdict(False, "resource-constraint",
                           "Too many password checks are waiting; try again later")
        if self._calls < MAX_CHECKS // 2:
            self._busy = False
        self._calls += 1
        try:
            verdict, status = await asyncio.wait_for(self._call(pool.url(sender, room, password)),
                                                     pool.call_timeout)
        except asyncio.TimeoutError:
            verdict, status = unavailable("the service did not answer in time"), "timeout"
        except Exception as exc:    # aiohttp.ClientError, OSError: unreachable
            verdict, status = unavailable("the service is unreachable"), type(exc).__name__
        finally:
            self._calls -= 1
        log.info("http_auth.checked pool=%s room=%s user=%s status=%s admitted=%s", pool.name,
                 room, sender, status, verdict.allowed)
        return verdict

    async def _call(self, url: str) -> tuple[Verdict, int]:
        async with self._workers:       # waiting here counts against call_timeout only
            return await asyncio.wait_for(self._get(url), self.pool.request_timeout)

    async def _get(self, url: str) -> tuple[Verdict, int]:
        import aiohttp
        from yarl import URL
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.pool.workers),
                timeout=aiohttp.ClientTimeout(total=self.pool.request_timeout))
        async with self._session.get(URL(url, encoded=True), allow_redirects=False) as resp:
            body = await resp.content.read(_MAX_BODY)
            return decode(resp.status, body), resp.status

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
