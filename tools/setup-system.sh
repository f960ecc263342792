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
# the fleet's tests start a real MQTT broker and a real PostgreSQL on free ports in temporary
# folders (vitrine/bench/servers.py); PostgreSQL refuses to run as root, so as root the tests
# run it as the `postgres` user the package creates (Popen user=/group=)
[ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)

if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
echo "setup: installing Debian packages: ${need[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
