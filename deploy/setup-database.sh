#!/usr/bin/env bash
# Make sure Debian's own PostgreSQL cluster runs and holds a PostGIS database
# for the current OS user. Data stays where Debian keeps it (/var/lib/postgresql):
# CI clones the project into a private folder the postgres user cannot enter.
# With DATABASE_URL set, the database is someone else's: do nothing.
set -euo pipefail
[ -n "${DATABASE_URL:-}" ] && exit 0

dbname="${1:-terrain_commun}"
me="$(id -un)"
as_postgres() {
  # cd /: the postgres user may not enter the caller's (private) folder.
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && sudo -u postgres "$@"); fi
}

if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
  version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
  echo "Creating PostgreSQL cluster $version/main"
  as_postgres pg_createcluster "$version" main >/dev/null
fi
# Debian's "main" cluster when there is one: a replica (deploy/setup-replica.sh) may be
# listed before it.
clusters="$(pg_lsclusters -h)"
line="$(awk '$2 == "main"' <<<"$clusters" | head -1)"
[ -n "$line" ] || line="$(grep -v recovery <<<"$clusters" | head -1)"
read -r version cluster port status _ <<<"$line"
if [ "$status" != "online" ]; then
  echo "Starting PostgreSQL cluster $version/$cluster"
  # Output to /dev/null: a server holding the caller's pipe keeps CI waiting.
  as_postgres pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start \
    </dev/null >/dev/null 2>&1
fi

psql_pg() { as_postgres psql -p "$port" -X -q -t -A -v ON_ERROR_STOP=1 "$@"; }
if [ "$(psql_pg -c "SELECT 1 FROM pg_roles WHERE rolname = '$me'")" != "1" ]; then
  psql_pg -c "CREATE ROLE \"$me\" LOGIN SUPERUSER"
fi
if [ "$(psql_pg -c "SELECT 1 FROM pg_database WHERE datname = '$dbname'")" != "1" ]; then
  psql_pg -c "CREATE DATABASE \"$dbname\" OWNER \"$me\""
fi
psql_pg -d "$dbname" -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS postgis"
