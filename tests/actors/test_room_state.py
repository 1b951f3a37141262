"""What a room host tells admin tools about a room (`raymuc room` prints it): never the
room password. Real SecantusDB, no Ray."""
from __future__ import annotations

import asyncio
import json
import uuid

from actors.core.policy import ServicePolicy
from actors.core.state import RoomSeed
from tests.actors.test_deferred import DOMAIN, host_for, instant_room


def test_room_state_masks_the_room_password(embedded_mongo):
    seed = RoomSeed(config={"password_protected": True, "password": "cauldronburn"})
    host = host_for(embedded_mongo, ServicePolicy(DOMAIN), seed)
    room = f"r{uuid.uuid4().hex[:8]}@{DOMAIN}"
    asyncio.run(instant_room(host, room))          # the creator enters without it
    state = host.room_state(room)
    assert state["config"]["password"] == "********" and state["config"]["password_protected"]
    assert "cauldronburn" not in json.dumps(state, default=str)
    assert host.rooms[room].config.password == "cauldronburn"     # the room still checks it
