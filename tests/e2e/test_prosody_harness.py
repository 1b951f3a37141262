"""The Prosody harness works with real slixmpp clients and components, and fails loudly."""
from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from raymuc.netutil import LOOPBACK, free_port
from raymuc.prosody import ProsodyError, ProsodyServer
from tests.e2e.xmpp_clients import XmppConnectError, connected_client, connected_component
from tests.fixtures.prosody import BUILTIN_MUC_DOMAIN, COMPONENT_DOMAIN, COMPONENT_SECRET, make_user

pytestmark = pytest.mark.e2e

DISCO_INFO = "http://jabber.org/protocol/disco#info"
MUC_NS = "http://jabber.org/protocol/muc"


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))


def is_message_with_body(body: str):
    return lambda stanza: stanza.name == "message" and stanza["body"] == body


def test_client_logs_in_with_plain_and_receives_own_message(prosody: ProsodyServer, xmpp_account) -> None:
    jid, password = xmpp_account()
    body = f"hello {secrets.token_hex(4)}"

    async def scenario() -> None:
        async with connected_client(jid, password, LOOPBACK, prosody.c2s_port) as client:
            client.send_message(mto=jid, mbody=body, mtype="chat")
            received = await client.wait_for_stanza(is_message_with_body(body))
            assert received["from"].bare == jid

    run(scenario())


def test_component_receives_message_sent_to_room(prosody: ProsodyServer, xmpp_account) -> None:
    jid, password = xmpp_account()
    room = f"room{secrets.token_hex(3)}@{COMPONENT_DOMAIN}"
    body = f"to the room {secrets.token_hex(4)}"

    async def scenario() -> None:
        async with connected_component(COMPONENT_DOMAIN, COMPONENT_SECRET, LOOPBACK, prosody.component_port) as gw:
            async with connected_client(jid, password, LOOPBACK, prosody.c2s_port) as client:
                client.send_message(mto=room, mbody=body, mtype="groupchat")
                received = await gw.wait_for_stanza(is_message_with_body(body))
                assert received["to"].bare == room
                assert received["from"].bare == jid
                assert received["type"] == "groupchat"

    run(scenario())


def test_builtin_muc_answers_disco_info_with_muc_feature(prosody: ProsodyServer, xmpp_account) -> None:
    jid, password = xmpp_account()

    async def scenario() -> list[str]:
        async with connected_client(jid, password, LOOPBACK, prosody.c2s_port) as client:
            iq = client.make_iq_get(queryxmlns=DISCO_INFO, ito=BUILTIN_MUC_DOMAIN)
            result = await iq.send(timeout=10)
            return [f.get("var") for f in result.xml.iterfind(f"{{{DISCO_INFO}}}query/{{{DISCO_INFO}}}feature")]

    assert MUC_NS in run(scenario())


def test_wrong_password_is_refused(prosody: ProsodyServer, xmpp_account) -> None:
    jid, _ = xmpp_account()

    async def scenario() -> None:
        async with connected_client(jid, "not-the-password", LOOPBACK, prosody.c2s_port, timeout=10):
            pass

    with pytest.raises(XmppConnectError, match="authentication failed"):
        run(scenario())


def test_wrong_component_secret_is_refused(prosody: ProsodyServer) -> None:
    async def scenario() -> None:
        async with connected_component(COMPONENT_DOMAIN, "wrong-secret", LOOPBACK, prosody.component_port,
                                       timeout=10):
            pass

    with pytest.raises(XmppConnectError, match="not-authorized"):
        run(scenario())


def test_accounts_and_pidfile_live_in_work_dir(prosody: ProsodyServer) -> None:
    account = make_user(prosody)
    user = account.jid.split("@")[0]
    assert (prosody.work_dir / "data" / "localhost" / "accounts" / f"{user}.dat").is_file()
    assert (prosody.work_dir / "prosody.pid").read_text().strip() == str(prosody.pid)


def test_lua_special_characters_in_secret_and_password(tmp_path: Path) -> None:
    # Quotes, backslashes, a newline and non-ASCII must reach Prosody byte-exact.
    secret = 'se"cr\\et\n]]é'
    password = 'pa"ss\\wörd -x'
    with ProsodyServer(tmp_path, components={"gw.localhost": secret}) as server:
        jid = server.register("quoted", password)

        async def scenario() -> None:
            async with connected_component("gw.localhost", secret, LOOPBACK, server.component_port):
                pass
            async with connected_client(jid, password, LOOPBACK, server.c2s_port):
                pass

        run(scenario())


def test_start_fails_with_log_tail_when_fixed_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind((LOOPBACK, 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        server = ProsodyServer(tmp_path, c2s_port=taken, component_port=free_port(),
                               components={"gw.localhost": "s"})
        with pytest.raises(ProsodyError, match="Failed to open server port"):
            server.start(timeout=10)
        assert not server.running


def test_stop_is_idempotent_and_frees_the_port(tmp_path: Path) -> None:
    server = ProsodyServer(tmp_path)
    server.start()
    port = server.c2s_port
    server.stop()
    server.stop()
    assert not server.running
    with socket.socket() as probe:
        assert probe.connect_ex((LOOPBACK, port)) != 0


def test_bad_settings_are_rejected_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="invalid VirtualHost domain"):
        ProsodyServer(tmp_path, domain="Local Host")
    with pytest.raises(ValueError, match="non-empty secret"):
        ProsodyServer(tmp_path, components={"gw.localhost": ""})
    with pytest.raises(ValueError, match="distinct domains"):
        ProsodyServer(tmp_path, components={"localhost": "s"})
    with pytest.raises(ValueError, match="invalid c2s_port"):
        ProsodyServer(tmp_path, c2s_port=70000)
    with pytest.raises(ValueError, match="log level"):
        ProsodyServer(tmp_path, log_level="verbose")
    with pytest.raises(ValueError, match="invalid XMPP username"):
        ProsodyServer(tmp_path).register("a@b", "pw")


def test_register_reports_prosodyctl_refusal(prosody: ProsodyServer) -> None:
    # Passes our cheap checks but fails Prosody's nodeprep (a prohibited character).
    with pytest.raises(ProsodyError, match="prosodyctl register"):
        prosody.register("bad\"user", "pw")
