#!/usr/bin/env bash
# A desktop client against the demo (not CI): Gajim 1.7 from Debian under Xvfb joins the
# demo's lobby and a screenshot lands in bench/results/gui/ (bench/gui_client.py says how).
# Installs what it needs, idempotently: scripts/setup.sh, gajim, xvfb, imagemagick (the
# screenshots), xdotool (a click), dbus (Gajim's session bus), and an unprivileged user raymuc-gui (Gajim
# refuses to run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
missing=""
for pkg in gajim xvfb imagemagick xdotool dbus; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    # shellcheck disable=SC2086
    apt-get install -y --no-install-recommends $missing
fi
id raymuc-gui >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin raymuc-gui
export RAY_USAGE_STATS_ENABLED=0 RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0
exec .venv/bin/python bench/gui_client.py "$@"
