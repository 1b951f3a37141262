#!/usr/bin/env bash
# One-shot, idempotent setup for a fresh Debian 12 (run as root, e.g. by CI): installs Prosody
# without ever running the system service, openssl, profanity and tmux, then creates .venv and
# installs RayMUC into it from the lock (requirements/dev.lock).
# Safe to re-run: every step skips work that is already done.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

step() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }

PYTHON="${PYTHON:-python3.11}"
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    PYTHON=python3
fi

if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi

step "Blocking service starts by package scripts (/usr/sbin/policy-rc.d)"
# Debian's postinst would start the system Prosody; RayMUC runs its own private one instead.
if [ -e /usr/sbin/policy-rc.d ]; then
    note "already present, left as is"
else
    printf '#!/bin/sh\n# Installed by RayMUC scripts/setup.sh: never start services from package scripts.\nexit 101\n' \
        | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 0755 /usr/sbin/policy-rc.d
    note "created (exits 101)"
fi

step "Installing Prosody"
if dpkg-query -W -f='${Status}' prosody 2>/dev/null | grep -q '^install ok installed$'; then
    note "already installed: $(dpkg-query -W -f='${Version}' prosody)"
else
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update
    $SUDO apt-get install -y --no-install-recommends prosody
    note "installed: $(dpkg-query -W -f='${Version}' prosody)"
fi

step "Installing the demo's and tests' tools: openssl, profanity, tmux, redis-server"
# openssl makes the demo's TLS certificate; tests/e2e/test_demo_clients.py drives
# profanity (Debian's terminal XMPP client) under tmux against `raymuc demo`.
# redis-server is the GCS's external storage in tests/e2e/test_head_loss.py (never a service).
missing=""
for pkg in openssl profanity tmux redis-server; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $pkg"
done
if [ -z "$missing" ]; then
    note "already installed"
else
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update
    # shellcheck disable=SC2086
    $SUDO apt-get install -y --no-install-recommends $missing
    note "installed:$missing"
fi

step "Keeping the system Prosody service stopped"
# Without systemd (containers) there is nothing to stop; never fail the setup over it.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now prosody >/dev/null 2>&1 || true
    note "systemd unit disabled and stopped"
elif [ -f /run/prosody/prosody.pid ] && kill -0 "$(cat /run/prosody/prosody.pid)" 2>/dev/null; then
    $SUDO /etc/init.d/prosody stop >/dev/null 2>&1 || true
    note "init.d service stopped"
else
    note "not running"
fi

step "Creating virtualenv $REPO_ROOT/.venv with $($PYTHON --version 2>&1)"
if [ -x .venv/bin/python ]; then
    note "already exists"
else
    "$PYTHON" -m venv .venv
    note "created"
fi

step "Installing the locked dependencies (requirements/dev.lock, hashes checked)"
# Every package of the tree at the version and hash the lock names: a new release on PyPI
# cannot change what a fresh machine runs. scripts/lock.sh updates the lock.
.venv/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements/dev.lock
note "$(.venv/bin/python -m pip --version)"

step "Installing RayMUC (editable) with embedded and test extras"
# --no-build-isolation: build with the locked setuptools instead of fetching the newest one.
.venv/bin/python -m pip install --quiet --no-deps --no-build-isolation -e '.[embedded,test]'
.venv/bin/python -m pip check >/dev/null || { .venv/bin/python -m pip check; exit 1; }
note "done"

step "Setup complete: activate with 'source $REPO_ROOT/.venv/bin/activate'"
