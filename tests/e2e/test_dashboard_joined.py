"""`raymuc dashboard` for a service that joined a cluster ([ray] address = "host:port"): it
asks Ray for the dashboard's URL and prints the token Ray would use (RAY_AUTH_TOKEN_PATH
here), and that pair opens the dashboard."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

pytestmark = pytest.mark.e2e


def test_dashboard_of_a_joined_cluster(ray_head, tmp_path):
    session, _ = ray_head
    config = tmp_path / "raymuc.toml"
    config.write_text(f'[general]\nhosts = ["localhost"]\n[component]\nport = 5347\n'
                      f'password = "x"\n[storage]\nmongo_uri = "embedded"\n'
                      f'data_dir = "{tmp_path / "data"}"\n[ray]\naddress = "{session.gcs_address}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
    env["RAY_AUTH_TOKEN_PATH"] = str(session.token_file)
    out = subprocess.run([sys.executable, "-m", "raymuc.cli", "dashboard", "--json", "--config",
                          str(config)], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    shown = json.loads(out.stdout)
    assert shown == {"url": session.dashboard_url, "token": session.token()}
    request = urllib.request.Request(f"{shown['url']}/api/version",
                                     headers={"Authorization": f"Bearer {shown['token']}"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        assert response.status == 200
