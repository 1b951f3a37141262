"""Issue 14 items 1 and 2 on a real Ray cluster of three nodes on 127.0.0.1 (a head and two
room nodes advertising raymuc_room), real room hosts, supervisor, conference registry and
SecantusDB: placement over the nodes, then a room node lost for real (SIGKILL of every
process of it). The scenario runs as its own Ray driver in a child process
(tests/actors/multinode_scenario.py): this process is the driver of the suite's head."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from pymongo import MongoClient

pytestmark = [pytest.mark.faults]
REPO = Path(__file__).resolve().parents[2]


def test_a_lost_room_node_s_rooms_answer_again_from_another_node(embedded_mongo):
    database = f"t{uuid.uuid4().hex[:16]}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        done = subprocess.run([sys.executable, "-m", "tests.actors.multinode_scenario",
                               embedded_mongo.uri, database], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=240)
    finally:
        with MongoClient(embedded_mongo.uri) as client:
            client.drop_database(database)
    assert done.returncode == 0, done.stderr[-6000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    print("multinode:", measured)
    assert measured["rooms_lost"]["persistent"] >= 1 and measured["rooms_lost"]["temporary"] >= 1
