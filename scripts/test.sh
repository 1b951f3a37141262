#!/usr/bin/env bash
# Sets everything up (Prosody from Debian, venv, SecantusDB) and runs the whole suite:
# first a protocol subset with dense placement (many rooms per actor) and two gateway
# workers, then everything with one actor per room and no workers (tests/e2e/test_dense.py
# and test_gateway_workers.py cover those modes themselves).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export RAY_USAGE_STATS_ENABLED=0 RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0
RAYMUC_TEST_PLACEMENT=dense+workers .venv/bin/python -m pytest -q -p no:cacheprovider \
    tests/e2e/test_foundation.py tests/e2e/test_occupants.py tests/e2e/test_admin.py "$@"
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
