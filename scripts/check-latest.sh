#!/usr/bin/env bash
# Runs the suite on the NEWEST versions that pyproject.toml's ranges allow, ignoring the lock,
# so that a new release that breaks RayMUC is seen before a user installing RayMUC as a library
# meets it. Run it by hand or on a schedule; CI keeps using the lock (scripts/test.sh).
# Usage: bash scripts/check-latest.sh [pytest args]    e.g. tests/config for a quick look
# Prints each package whose newest allowed version differs from requirements/dev.lock.
# When it passes, `bash scripts/lock.sh --upgrade` moves the lock to those versions.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null       # Prosody and the locked .venv (for its Python)
VENV=var/latest-venv
rm -rf "$VENV"
.venv/bin/python -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --no-cache-dir --upgrade pip setuptools wheel
"$VENV/bin/python" -m pip install --quiet --no-cache-dir --upgrade --upgrade-strategy eager \
    -e '.[embedded,test]'
echo "==> newest allowed versions that differ from requirements/dev.lock:"
"$VENV/bin/python" - <<'PY'
import re, importlib.metadata as md
locked = {}
for m in re.finditer(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?: ;.*)? \\$",
                     open("requirements/dev.lock").read(), re.M):
    locked.setdefault(m[1].lower().replace("_", "-"), set()).add(m[2])
for dist in sorted(md.distributions(), key=lambda d: d.metadata["Name"].lower()):
    name = dist.metadata["Name"].lower().replace("_", "-")
    if name != "raymuc" and dist.version not in locked.get(name, ()):
        print(f"    {name}: {'/'.join(sorted(locked.get(name, {'not locked'})))} -> {dist.version}")
PY
exec bash scripts/suite.sh "$VENV/bin/python" "$@"
