"""The demo's lobby, opened once it is up: a persistent, public room owned by alice, so
that `lobby@conference.localhost` from the banner exists for every client's join flow
(Gajim's "Start Chat" looks a room up first and says "No such room" otherwise). Done as a
client would, through the demo's Prosody over its TLS; a restarted demo finds it stored."""
from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

STATUS_CREATED = "201"


async def connected_client(jid: str, password: str, port: int, cert: Path, *plugins: str,
                           timeout: float = 30.0):
    """A slixmpp client logged in to the demo's Prosody (STARTTLS, trusting its certificate)."""
    from slixmpp import ClientXMPP
    client = ClientXMPP(jid, password)
    client.ssl_context = ssl.create_default_context(cafile=str(cert))
    client.enable_direct_tls = False          # the demo offers STARTTLS only
    for plugin in plugins:
        client.register_plugin(plugin)
    online, failed = asyncio.Event(), asyncio.Event()
    client.add_event_handler("session_start", lambda _e: online.set())
    client.add_event_handler("failed_auth", lambda _e: failed.set())
    client.connect("127.0.0.1", port)
    done, _ = await asyncio.wait([asyncio.create_task(online.wait()),
                                  asyncio.create_task(failed.wait())], timeout=timeout,
                                 return_when=asyncio.FIRST_COMPLETED)
    if not online.is_set():
        client.disconnect()
        raise RuntimeError(f"{jid} could not log in to 127.0.0.1:{port}"
                           + (" (wrong password)" if failed.is_set() else ""))
    client.send_presence()
    return client


async def open_lobby(room: str, owner: str, password: str, port: int, cert: Path,
                     timeout: float = 30.0) -> bool:
    """Create `room` as `owner` if it does not exist yet (True when it was created)."""
    client = await connected_client(f"{owner}/demo-setup", password, port, cert,
                                    "xep_0030", "xep_0004", "xep_0045", timeout=timeout)
    try:
        muc = client.plugin["xep_0045"]
        presences: asyncio.Queue = asyncio.Queue()
        client.add_event_handler(f"muc::{room}::presence", presences.put_nowait)
        nick = owner.partition("@")[0]
        muc.join_muc(room, nick)
        own = await asyncio.wait_for(presences.get(), timeout)
        if own["type"] == "error":
            raise RuntimeError(f"joining {room} failed: {own['error']['condition']}")
        created = STATUS_CREATED in {str(s) for s in own["muc"]["status_codes"]}
        if created:
            form = await muc.get_room_config(room)
            form["type"] = "submit"
            values = {"muc#roomconfig_persistentroom": True, "muc#roomconfig_publicroom": True,
                      "muc#roomconfig_roomname": "Lobby"}
            for var, value in values.items():
                if var in form.get_fields():
                    form.get_fields()[var]["value"] = value
            await muc.set_room_config(room, form)
        left = asyncio.Event()

        def watch(stanza):   # a raw filter: slixmpp forgets the room before the answer comes
            if stanza.name == "presence" and stanza["type"] == "unavailable" \
                    and stanza["from"].bare == room and stanza["from"].resource == nick:
                left.set()
            return stanza
        client.add_filter("in", watch)
        muc.leave_muc(room, nick)
        await asyncio.wait_for(left.wait(), timeout)    # out for sure before the stream ends
        return created
    finally:
        client.disconnect()
