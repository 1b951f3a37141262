#!/usr/bin/env bash
# Sets everything up (Prosody from Debian, venv, SecantusDB) and runs the whole suite:
# first a protocol subset with dense placement (many rooms per actor), then everything
# with one actor per room (tests/e2e/test_dense.py covers dense placement itself).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export RAY_USAGE_STATS_ENABLED=0 RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0
RAYMUC_TEST_PLACEMENT=dense .venv/bin/python -m pytest -q -p no:cacheprovider \
    tests/e2e/test_foundation.py tests/e2e/test_occupants.py tests/e2e/test_admin.py "$@"
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
