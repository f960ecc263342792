#!/usr/bin/env bash
# Install the Debian packages Vitrine needs, only those missing. Idempotent.
set -euo pipefail

need=()
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
# systemd-analyze checks the units `vitrine install-service` writes (not in slim images)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
# the player's end-to-end tests and benchmark run in Debian's Chromium (driven by Playwright)
command -v chromium >/dev/null 2>&1 || need+=(chromium)

if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
echo "setup: installing Debian packages: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
