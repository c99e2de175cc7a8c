#!/usr/bin/env bash
# Install the Debian packages the project needs, only those missing.
# PostgreSQL/PostGIS are skipped when DATABASE_URL points elsewhere.
set -euo pipefail

packages=(python3 python3-venv gdal-bin gettext ca-certificates)
if [ -z "${DATABASE_URL:-}" ]; then
  packages+=(postgresql postgresql-contrib postgis)
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "No apt-get here: install ${missing[*]} (PostgreSQL with PostGIS 3, GDAL, Python 3 venv, gettext) yourself, or set DATABASE_URL." >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
