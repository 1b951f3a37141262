"""`raymuc demo`: a private Prosody from Debian with demo accounts, and RayMUC on the
embedded defaults attached to it as conference.localhost."""
from __future__ import annotations

import secrets
import socket
from pathlib import Path

DEMO_USERS = ("alice", "bob", "carol")
DEMO_PASSWORD = "demo"


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def demo(data_dir: str, c2s_port: int | None) -> int:
    from raymuc.config import parse_config
    from raymuc.prosody import ProsodyServer
    from raymuc.service import run
    base = Path(data_dir).resolve()
    base.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(12)
    if c2s_port is None and _port_free(5222):
        c2s_port = 5222
    server = ProsodyServer(base / "prosody", components={"conference.localhost": secret},
                           c2s_port=c2s_port)
    server.start()
    try:
        for user in DEMO_USERS:
            server.register(user, DEMO_PASSWORD)
        text = (f'[general]\nhosts = ["localhost"]\nloglevel = "warning"\n'
                f'[component]\nhost = "127.0.0.1"\nport = {server.component_port}\npassword = "{secret}"\n'
                f'[storage]\nmongo_uri = "embedded"\ndata_dir = "{base / "raymuc"}"\n')
        (base / "raymuc.toml").write_text(text)
        config = parse_config(text, str(base / "raymuc.toml"))
        print(_instructions(server.c2s_port), flush=True)
        return run(config)
    finally:
        server.stop()


def _instructions(port: int) -> str:
    users = ", ".join(f"{u}@localhost" for u in DEMO_USERS)
    return f"""
RayMUC demo
  XMPP server : Prosody on 127.0.0.1:{port} (plain TCP, no TLS; allow plaintext auth in your client)
  Accounts    : {users}  (password: {DEMO_PASSWORD})
  MUC service : conference.localhost
  Try a room  : lobby@conference.localhost
  e.g. profanity: /connect alice@localhost server 127.0.0.1 port {port} tls disable
                  /join lobby@conference.localhost
Stop with Ctrl-C.
"""
