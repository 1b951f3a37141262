#!/usr/bin/env bash
# Regenerates the dependency locks in requirements/ from pyproject.toml's ranges:
#   dev.lock      .venv: RayMUC with its embedded and test extras (setup.sh, CI, the benchmark)
#   runtime.lock  the container image: RayMUC alone (k8s/Dockerfile)
#   bench.lock    the benchmark's load-generator extras in var/bench-deps
# Each pins every package of the tree with its hashes, for Python 3.11 on any platform. runtime
# and bench are resolved against dev.lock, so a package has one version everywhere.
# Usage: bash scripts/lock.sh              keep what is pinned, add what a range change needs
#        bash scripts/lock.sh --upgrade    move everything to the newest allowed versions
# then run `bash scripts/test.sh` and commit requirements/ with what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
TOOL=var/lock-tool
if ! "$TOOL/bin/uv" --version 2>/dev/null | grep -q " $UV_VERSION"; then
    python3 -m venv "$TOOL"
    "$TOOL/bin/python" -m pip install --quiet "uv==$UV_VERSION"
fi
compile() { "$TOOL/bin/uv" pip compile --quiet --generate-hashes --universal --python-version 3.11 \
    --no-header --custom-compile-command "bash scripts/lock.sh" "$@"; }
upgrade=()
[ "${1:-}" = "--upgrade" ] && upgrade=(--upgrade)
compile "${upgrade[@]}" pyproject.toml requirements/tools.in --extra embedded --extra test \
    -o requirements/dev.lock
compile pyproject.toml requirements/tools.in -c requirements/dev.lock -o requirements/runtime.lock
compile "${upgrade[@]}" requirements/bench.in -c requirements/dev.lock -o requirements/bench.lock
echo "locks written: $(grep -c '^[a-z]' requirements/dev.lock) packages in dev.lock," \
     "$(grep -c '^[a-z]' requirements/runtime.lock) in runtime.lock, $(grep -c '^[a-z]' requirements/bench.lock) in bench.lock"
