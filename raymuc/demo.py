"""`raymuc demo`: a private Prosody from Debian with demo accounts, TLS and the modules
today's clients ask for, and RayMUC on the embedded defaults attached to it as
conference.localhost."""
from __future__ import annotations

import json
import secrets
import socket
import threading
from pathlib import Path

DEMO_USERS = ("alice", "bob", "carol")
DEMO_PASSWORD = "demo"
DOMAIN = "localhost"
MUC = f"conference.{DOMAIN}"
LOBBY = f"lobby@{MUC}"


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def demo(data_dir: str, c2s_port: int | None) -> int:
    from raymuc.config import parse_config
    from raymuc.democert import ensure_certificate
    from raymuc.prosody import ProsodyServer
    from raymuc.service import run
    base = Path(data_dir).resolve()
    base.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(12)
    if c2s_port is None and port_free(5222):
        c2s_port = 5222
    # kept across runs (under data_dir): a client that trusted it once keeps trusting it
    cert, key = ensure_certificate(base / "tls", [DOMAIN, MUC])
    server = ProsodyServer(base / "prosody", domain=DOMAIN, components={MUC: secret},
                           c2s_port=c2s_port, tls=(cert, key))
    server.start()
    try:
        for user in DEMO_USERS:
            server.register(user, DEMO_PASSWORD)
        config_path = base / "raymuc.toml"
        text = (f'[general]\nhosts = ["{DOMAIN}"]\nloglevel = "warning"\n'
                f'[component]\nhost = "127.0.0.1"\nport = {server.component_port}\npassword = "{secret}"\n'
                f'[storage]\nmongo_uri = "embedded"\ndata_dir = "{base / "raymuc"}"\n')
        config_path.write_text(text)
        config = parse_config(text, str(config_path))
        from raymuc.cli_support import setup_logging
        setup_logging(config)

        def ready() -> None:     # in the service's loop: the lobby is opened beside it
            threading.Thread(target=announce, args=(server.c2s_port, cert, base, config_path),
                             name="demo-lobby", daemon=True).start()
        return run(config, ready=ready)
    finally:
        server.stop()


def announce(port: int, cert: Path, base: Path, config_path: Path) -> None:
    """Open the lobby (raymuc/demo_lobby.py), then print the banner."""
    import asyncio
    from raymuc.demo_lobby import open_lobby
    from raymuc.service import SESSION_FILE
    try:
        asyncio.run(open_lobby(LOBBY, f"{DEMO_USERS[0]}@{DOMAIN}", DEMO_PASSWORD, port, cert))
        lobby = ""
    except Exception as exc:     # the demo still works: the first joiner creates the room
        lobby = f"  (could not open the lobby in advance: {type(exc).__name__}: {exc})\n"
    session = json.loads((base / "raymuc" / SESSION_FILE).read_text())
    print(lobby + instructions(port, cert, session.get("dashboard_url"), config_path), flush=True)


def instructions(port: int, cert: Path, dashboard: str | None, config_path: Path) -> str:
    from raymuc.democert import fingerprint
    users = ", ".join(f"{u}@{DOMAIN}" for u in DEMO_USERS)
    where = "" if port == 5222 else f" (server 127.0.0.1, port {port})"
    profanity_port = "" if port == 5222 else f" port {port}"
    return f"""
RayMUC demo
  XMPP server : Prosody on 127.0.0.1:{port}, STARTTLS required{where}
  Accounts    : {users}  (password: {DEMO_PASSWORD})
  MUC service : {MUC}
  Try a room  : {LOBBY}  (persistent, public, owned by alice)
  Certificate : {cert}  (self-signed, made by the demo)
                SHA-256 {fingerprint(cert)}
                SHA-1   {fingerprint(cert, "sha1")}
                Gajim/Dino: check the fingerprint in the certificate dialog and trust it once;
                profanity: answer '/tls always' when it asks.
                Or trust it system-wide: cp {cert} /usr/local/share/ca-certificates/raymuc-demo.crt && update-ca-certificates
  e.g. profanity: /connect alice@{DOMAIN}{" server 127.0.0.1" + profanity_port if profanity_port else ""}
                  /join {LOBBY}
  Dashboard   : {dashboard or "(not started)"}  (Ray; it asks for a token, printed by:)
                .venv/bin/raymuc dashboard --config {config_path}
Stop with Ctrl-C.
"""
