#!/usr/bin/env bash
# The whole suite with the given interpreter (scripts/test.sh: .venv from the lock;
# scripts/check-latest.sh: a venv of the newest allowed versions): first a protocol subset
# with dense placement (many rooms per actor) and two gateway workers, then everything with
# one actor per room and no workers (tests/e2e/test_dense.py and test_gateway_workers.py
# cover those modes themselves). Usage: bash scripts/suite.sh PYTHON [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$1"; shift
export RAY_USAGE_STATS_ENABLED=0 RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0
RAYMUC_TEST_PLACEMENT=dense+workers "$PY" -m pytest -q -p no:cacheprovider \
    tests/e2e/test_foundation.py tests/e2e/test_occupants.py tests/e2e/test_admin.py "$@"
exec "$PY" -m pytest -q -p no:cacheprovider "$@"
