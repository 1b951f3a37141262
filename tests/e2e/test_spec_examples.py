"""The mod_muc spec's examples run: `raymuc run` starts with them behind a real Prosody and
real clients see what the spec says (tests/config/test_spec_examples.py checks each one
with check-config)."""
from __future__ import annotations

import asyncio
import secrets
import tempfile
from pathlib import Path

import pytest

from raymuc.prosody import ProsodyServer
from tests.config.spec_examples import SPEC, spec_examples
from tests.e2e.muc import codes, error_condition, join, owner_submit
from tests.e2e.muc import item as item_of
from tests.e2e.muc_flow import iq
from tests.e2e.xmpp_clients import connected_client
from tests.fixtures.service import ServiceProcess

pytestmark = pytest.mark.e2e
if not SPEC.is_file():
    pytest.skip(f"spec file not found at {SPEC.resolve()}", allow_module_level=True)

EXAMPLES = spec_examples(SPEC.read_text(encoding="utf-8"))
NS_INFO = "http://jabber.org/protocol/disco#info"
NS_ADMIN = "http://jabber.org/protocol/muc#admin"
SECRET = secrets.token_hex(8)


@pytest.fixture(scope="module")
def server():
    base = Path(tempfile.mkdtemp(prefix="rmspec-"))
    prosody = ProsodyServer(base / "prosody",
                            components={"group.localhost": SECRET, "muc.example.com": SECRET})
    prosody.start()
    prosody.base = base
    prosody.accounts = [(prosody.register(n, "pw"), "pw") for n in ("alice", "bob")]
    yield prosody
    prosody.stop()


class Running:
    """`raymuc run` with the spec's TOML after a base of the sections RayMUC adds."""

    def __init__(self, server, name: str, toml: str):
        self.dir = server.base / name
        self.dir.mkdir()
        path = self.dir / "raymuc.toml"
        path.write_text(f"""[general]
hosts = ["localhost"]
loglevel = "info"
[component]
host = "127.0.0.1"
port = {server.component_port}
password = "{SECRET}"
[storage]
mongo_uri = "embedded"
data_dir = "{self.dir / 'data'}"
[ray]
address = "local"
""" + toml)
        self.service = ServiceProcess(path, self.dir / "service.log")

    def __enter__(self):
        self.service.start()
        return self

    def __exit__(self, *exc):
        code = self.service.stop()
        assert code == 0, self.service.log_tail()


def features(info) -> set[str]:
    return {f.get("var") for f in info.xml.iter(f"{{{NS_INFO}}}feature")}


async def serves_muc(client, domain: str) -> None:
    info = await iq(client, domain, f"<query xmlns='{NS_INFO}'/>")
    assert info["type"] == "result" and "http://jabber.org/protocol/muc" in features(info)


def one_line_examples(*leave_out: str) -> str:
    tables: dict[str, list[str]] = {}
    for example in EXAMPLES:
        if example.table is not None and example.name not in leave_out:
            tables.setdefault(example.table, []).append(example.text)
    return "".join(f"[{table}]\n" + "\n".join(lines) + "\n" for table, lines in tables.items())


def block(heading: str) -> str:
    [found] = [e for e in EXAMPLES if e.table is None and e.name == f"{heading} (block)"]
    return found.toml()


async def create(client, room: str):
    # access_create = "muc_create": MongooseIM's default lets local users create rooms
    created = await join(client, room, "Alice", extra="<password>secret</password>")
    assert 201 in codes(created) and 110 in codes(created), created
    assert (await owner_submit(client, room, ""))["type"] == "result"     # unlocks it


def test_every_one_line_example_at_once(server):
    # http_auth_pool = "external_auth" names no pool: every password check would fail, so it
    # runs in its own test below
    (alice, pw), (bob, _) = server.accounts
    room = f"r{secrets.token_hex(3)}@group.localhost"        # host = "group.@HOST@"

    async def scenario():
        async with connected_client(alice, pw, "127.0.0.1", server.c2s_port) as a, \
                connected_client(bob, "pw", "127.0.0.1", server.c2s_port) as b:
            await create(a, room)
            info = await iq(b, room, f"<query xmlns='{NS_INFO}'/>")
            assert {"muc_passwordprotected", "muc_membersonly", "muc_persistent",
                    "muc_nonanonymous", "muc_unmoderated", "muc_hidden"} <= features(info)
            assert "muc_logging" not in features(info)       # no mod_muc_log: turned off
            form = await iq(a, room, "<query xmlns='http://jabber.org/protocol/muc#owner'/>")
            offered = {f.get("var") for f in form.xml.iter("{jabber:x:data}field")}
            assert "muc#roomconfig_maxusers" in offered          # the form is there...
            assert "muc#roomconfig_enablelogging" not in offered  # ...without logging
            # access_admin = "muc_create": every local user administers every room, so Bob
            # enters this members-only, password-protected room as its owner
            entered = await join(b, room, "Bob")
            assert entered["type"] != "error", entered
            assert item_of(entered).get("affiliation") == "owner"
    with Running(server, "one-line", one_line_examples("http_auth_pool")):
        asyncio.run(scenario())


def test_members_only_and_password_of_the_one_line_examples(server):
    # the same without access_admin, so that Bob is no service administrator
    (alice, pw), (bob, _) = server.accounts
    room = f"r{secrets.token_hex(3)}@group.localhost"

    async def scenario():
        async with connected_client(alice, pw, "127.0.0.1", server.c2s_port) as a, \
                connected_client(bob, "pw", "127.0.0.1", server.c2s_port) as b:
            await create(a, room)
            pw_xml = "<password>secret</password>"
            refused = await join(b, room, "Bob", extra=pw_xml)     # members_only = true
            assert error_condition(refused) == "registration-required"
            made = await iq(a, room, f"<query xmlns='{NS_ADMIN}'><item affiliation='member' "
                                     f"jid='{bob}'/></query>", type="set")
            assert made["type"] == "result"
            refused = await join(b, room, "Bob")                   # password = "secret"
            assert error_condition(refused) == "not-authorized"
            entered = await join(b, room, "Bob", extra=pw_xml)
            assert entered["type"] != "error" and item_of(entered).get("affiliation") == "member"
    with Running(server, "one-line-no-admin", one_line_examples("http_auth_pool", "access_admin")):
        asyncio.run(scenario())


def test_example_configuration_fails_closed_without_its_pool(server):
    # host = "muc.example.com", access = "muc", http_auth_pool = "my_auth_pool" (not defined
    # in the example): rooms are password-protected by default, a join without a password
    # is refused at once, and every password check fails, as in MongooseIM when the pool
    # is not started
    (alice, pw), _ = server.accounts

    async def scenario():
        async with connected_client(alice, pw, "127.0.0.1", server.c2s_port) as a:
            await serves_muc(a, "muc.example.com")
            room = f"r{secrets.token_hex(3)}@muc.example.com"
            pres = await join(a, room, "Alice")          # no password: refused at once
            assert error_condition(pres) == "not-authorized"
            pres = await join(a, room, "Alice", extra="<password>pw</password>")
            assert error_condition(pres) == "service-unavailable"     # no pool to ask
    with Running(server, "example", block("Example Configuration")) as running:
        asyncio.run(scenario())
    log = running.service.log_path.read_text()
    assert 'config.note' in log and 'http_auth_pool = "my_auth_pool": no such pool' in log


def test_http_auth_example_starts(server):
    # connection.host = "http://my_server:8000": accepted and the service serves; no room is
    # created, since that would look the made-up host name up outside this machine
    (alice, pw), _ = server.accounts

    async def scenario():
        async with connected_client(alice, pw, "127.0.0.1", server.c2s_port) as a:
            await serves_muc(a, "muc.example.com")
    with Running(server, "http", block("External HTTP Authentication")):
        asyncio.run(scenario())
