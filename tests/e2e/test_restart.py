"""A persistent room survives the whole service (Ray, gateway, SecantusDB) being
stopped and started again; `raymuc run` stopped with SIGTERM leaves nothing behind."""
from __future__ import annotations

import asyncio
import json
import os
import secrets
import tempfile
from pathlib import Path

import pytest

from raymuc.prosody import ProsodyServer
from tests.e2e.muc import codes, create_instant, field, join, owner_submit
from tests.e2e.xmpp_clients import connected_client
from tests.fixtures.service import ServiceProcess, write_config

pytestmark = pytest.mark.e2e
DOMAIN = "persist.localhost"
DISCO_INFO = "http://jabber.org/protocol/disco#info"


def _processes_mentioning(*needles: str) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(n in cmd for n in needles):
            found.append(f"{pid}: {cmd[:200]}")
    return found


@pytest.fixture
def own_setup():
    base = Path(tempfile.mkdtemp(prefix="rmr-"))
    secret = secrets.token_hex(8)
    server = ProsodyServer(base / "prosody", components={DOMAIN: secret})
    server.start()
    cfg = write_config(base / "raymuc.toml", server.component_port, secret, base / "data",
                       domain_template="persist.@HOST@")
    yield server, cfg, base
    server.stop()


def _stop_and_check_clean(service: ServiceProcess, base: Path) -> None:
    session = json.loads((base / "data" / "ray-session.json").read_text())
    temp_dir = session.get("temp_dir")
    assert temp_dir, session
    assert service.stop() == 0, service.log_tail()
    leftovers = _processes_mentioning(temp_dir, str(base / "data" / "mongo"))
    assert leftovers == [], leftovers


def test_persistent_room_survives_full_restart(own_setup):
    server, cfg, base = own_setup
    owner = (server.register("owner", "pw"), "pw")
    guest = (server.register("guest", "pw"), "pw")
    room = f"keep{secrets.token_hex(3)}@{DOMAIN}"

    async def configure():
        async with connected_client(*owner, "127.0.0.1", server.c2s_port) as a:
            await join(a, room, "Boss")
            reply = await owner_submit(a, room, field("FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig")
                                       + field("muc#roomconfig_persistentroom", "1")
                                       + field("muc#roomconfig_roomname", "Kept Room")
                                       + field("muc#roomconfig_membersonly", "0"))
            assert reply["type"] == "result", reply
            a.send_raw(f"<presence to='{room}/Boss' type='unavailable'/>")
            await a.wait_for_stanza(lambda s: s.name == "presence" and s["type"] == "unavailable")

    async def check_after():
        async with connected_client(*guest, "127.0.0.1", server.c2s_port) as g:
            g.send_raw(f"<iq type='get' to='{room}' id='i1'><query xmlns='{DISCO_INFO}'/></iq>")
            info = await g.wait_for_stanza(lambda s: s.name == "iq" and s["id"] == "i1")
            assert info["type"] == "result", info
            q = info.xml.find(f"{{{DISCO_INFO}}}query")
            feats = {f.get("var") for f in q.iter(f"{{{DISCO_INFO}}}feature")}
            assert "muc_persistent" in feats
            assert q.find(f"{{{DISCO_INFO}}}identity").get("name") == "Kept Room"
            pres = await join(g, room, "Guest")
            assert pres["type"] != "error" and 201 not in codes(pres), pres
        async with connected_client(*owner, "127.0.0.1", server.c2s_port) as a:
            pres = await join(a, room, "Boss")
            assert pres.xml.find(".//{http://jabber.org/protocol/muc#user}item").get("affiliation") == "owner"

    service = ServiceProcess(cfg, base / "service1.log").start()
    try:
        asyncio.run(configure())
    finally:
        _stop_and_check_clean(service, base)
    service = ServiceProcess(cfg, base / "service2.log").start()
    try:
        asyncio.run(check_after())
    finally:
        _stop_and_check_clean(service, base)


def test_temporary_room_is_gone_after_last_leaves(raymuc_service, prosody, xmpp_account):
    alice, bob = xmpp_account(), xmpp_account()
    room = f"tmp{secrets.token_hex(3)}@conference.localhost"

    async def scenario():
        async with connected_client(*alice, "127.0.0.1", prosody.c2s_port) as a, \
                connected_client(*bob, "127.0.0.1", prosody.c2s_port) as b:
            await create_instant(a, room, "Alice")
            a.send_raw(f"<presence to='{room}/Alice' type='unavailable'/>")
            await a.wait_for_stanza(lambda s: s.name == "presence" and s["type"] == "unavailable")
            b.send_raw(f"<iq type='get' to='{room}' id='gone'><query xmlns='{DISCO_INFO}'/></iq>")
            reply = await b.wait_for_stanza(lambda s: s.name == "iq" and s["id"] == "gone")
            assert reply["type"] == "error"
            pres = await join(b, room, "Bob")
            assert 201 in codes(pres)      # a new room, Bob its creator
    asyncio.run(scenario())
