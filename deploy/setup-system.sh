#!/usr/bin/env bash
# Install the Debian packages the project needs, only those missing.
# PostgreSQL/PostGIS are skipped when DATABASE_URL points elsewhere.
set -euo pipefail

# chromium: the browser tests drive Debian's Chromium through Playwright, whose
# bundled node driver needs libatomic1.
packages=(python3 python3-venv gdal-bin gettext ca-certificates chromium libatomic1)
[ -z "${DATABASE_URL:-}" ] && packages+=(postgresql postgresql-contrib)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }

install() {
  local missing=() pkg
  for pkg in "$@"; do installed "$pkg" || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null; then
    echo "No apt-get here: install ${missing[*]} (PostgreSQL with PostGIS 3, GDAL, Python 3 venv, gettext) yourself, or set DATABASE_URL." >&2
    exit 1
  fi
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing system packages: ${missing[*]}"
  [ -n "${APT_UPDATED:-}" ] || { $sudo apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install "${packages[@]}"

# nginx: the production recipe (deploy/nginx/) and its test, which starts its own nginx
# on spare ports. Installing it must not start Debian's default site on port 80 nor
# enable it at boot: a policy-rc.d (where none is in place) refuses the start during
# the install, and the service is then disabled.
if ! installed nginx; then
  policy=/usr/sbin/policy-rc.d sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    trap '$sudo rm -f "$policy"' EXIT
  fi
  install nginx
  if command -v systemctl >/dev/null; then
    $sudo systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
fi
if [ -z "${DATABASE_URL:-}" ]; then
  # PostGIS is packaged per PostgreSQL major version: take the one installed.
  version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
  install "postgresql-${version}-postgis-3"
fi
