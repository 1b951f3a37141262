"""The component's socket writes respect backpressure: while the XMPP server reads
nothing (a real Prosody stopped with SIGSTOP), the gateway stops reading the server's
stanzas and never holds more than MAX_BACKLOG bytes for it, dropping whole stanzas
past that; once the server reads again, the backlog drains and the link is still up."""
from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import tempfile
from pathlib import Path

import pytest

from gateway import component
from gateway.component import MucComponent
from raymuc.prosody import ProsodyServer

pytestmark = pytest.mark.e2e
DOMAIN = "bp.localhost"
BACKLOG = 4 << 20
STANZA = 256 << 10


@pytest.fixture
def server():
    secret = secrets.token_hex(8)
    srv = ProsodyServer(Path(tempfile.mkdtemp(prefix="rmbp-")), components={DOMAIN: secret})
    srv.start()
    srv.secret = secret
    yield srv
    os.kill(srv.pid, signal.SIGCONT)
    srv.stop()


async def until(condition, timeout: float = 30.0) -> None:
    async def poll():
        while not condition():
            await asyncio.sleep(0.05)
    await asyncio.wait_for(poll(), timeout)


def test_a_server_that_reads_nothing_gets_a_bounded_backlog(server, monkeypatch, caplog):
    monkeypatch.setattr(component, "MAX_BACKLOG", BACKLOG, raising=False)
    body = "x" * (STANZA - 200)
    headline = f"<message type='headline' from='{DOMAIN}' to='localhost'><body>{body}</body></message>"

    async def scenario():
        comp = MucComponent(DOMAIN, server.secret, "127.0.0.1", server.component_port,
                            lambda *_: None)
        comp.connect()
        await asyncio.wait_for(comp.online.wait(), 30)
        os.kill(server.pid, signal.SIGSTOP)
        try:
            largest = 0
            for _ in range(200):                 # 50 MiB: far past the kernel's buffers
                comp.send_out(headline)
                largest = max(largest, comp.transport.get_write_buffer_size())
                await asyncio.sleep(0)
            reading = comp.transport.is_reading()
        finally:
            os.kill(server.pid, signal.SIGCONT)
        await until(lambda: comp.transport.get_write_buffer_size() == 0)
        await until(lambda: comp.transport.is_reading())
        online = comp.online.is_set() and comp.transport is not None
        await comp.stop()
        return largest, reading, getattr(comp, "dropped", 0), online

    with caplog.at_level(logging.WARNING, "raymuc.component"):
        largest, reading, dropped, online = asyncio.run(scenario())
    assert largest <= BACKLOG and dropped > 0
    assert not reading                                  # the server's stanzas waited meanwhile
    assert online
    assert sum("gateway.dropped_backlog" in r.getMessage() for r in caplog.records) == 1
