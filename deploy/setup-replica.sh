#!/usr/bin/env bash
# Make a streaming replica of this machine's PostgreSQL cluster with Debian's own
# tools: a second cluster (pg_createcluster), filled by pg_basebackup -R (it keeps
# streaming the primary's WAL), started by pg_ctlcluster. Prints the
# DATABASE_REPLICA_URL to give the application. Run it again: a replica already in
# place is only started if it is stopped.
#
#   deploy/setup-replica.sh [DBNAME]
#   PRIMARY_CLUSTER=15/main   the primary (default: the first of pg_lsclusters)
#   REPLICA_NAME=replica      the replica cluster's name
#   REPLICA_PORT=5433         its port (default: the next free one, pg_createcluster's)
#   BASEBACKUP_OPTIONS=...    more pg_basebackup options (tests: --no-sync)
#
# The replica connects to the primary over the local socket as the postgres role
# (peer authentication); a "local replication postgres peer" line is added to the
# primary's pg_hba.conf when none allows it. A replica on another machine needs a
# role WITH REPLICATION and a "host replication" line instead (README).
set -euo pipefail

dbname="${1:-terrain_commun}"
name="${REPLICA_NAME:-replica}"
socket=/var/run/postgresql
as_postgres() {
  # cd /: the postgres user may not enter the caller's (private) folder.
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && sudo -u postgres "$@"); fi
}
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
fail() { echo "setup-replica: $*" >&2; exit 1; }

if [ -n "${PRIMARY_CLUSTER:-}" ]; then
  read -r version primary port status _ < <(pg_lsclusters -h "${PRIMARY_CLUSTER%/*}" "${PRIMARY_CLUSTER#*/}")
else
  read -r version primary port status _ < <(pg_lsclusters -h | awk -v n="$name" '$2 != n' | head -1)
fi
[ "$status" = "online" ] || fail "the primary $version/$primary is not running"
psql_primary() { as_postgres psql -h "$socket" -p "$port" -X -q -t -A -v ON_ERROR_STOP=1 -d postgres "$@"; }

# The replica's WAL sender: PostgreSQL 15's defaults (wal_level replica, 10 senders) allow it.
[ "$(psql_primary -c "SHOW wal_level")" != "minimal" ] || fail "wal_level is minimal on the primary"
[ "$(psql_primary -c "SHOW max_wal_senders")" -gt 0 ] || fail "max_wal_senders is 0 on the primary"
allowed="$(psql_primary -c "SELECT count(*) FROM pg_hba_file_rules WHERE type = 'local'
  AND 'replication' = ANY(database) AND user_name && ARRAY['postgres', 'all']
  AND auth_method IN ('peer', 'trust') AND error IS NULL")"
if [ "$allowed" = "0" ]; then
  hba="$(psql_primary -c "SHOW hba_file")"
  echo "setup-replica: allowing local replication connections in $hba" >&2
  echo "local   replication     postgres                                peer" >>"$hba"
  psql_primary -c "SELECT pg_reload_conf()" >/dev/null
fi

if pg_lsclusters -h "$version" "$name" >/dev/null 2>&1; then
  datadir="$(pg_lsclusters -h "$version" "$name" | awk '{print $6}')"
  as_postgres test -f "$datadir/standby.signal" \
    || fail "$version/$name exists and is not a standby; drop it (pg_dropcluster --stop $version $name) or pick another REPLICA_NAME"
else
  echo "setup-replica: creating $version/$name, a copy of $version/$primary" >&2
  # --no-sync: this initdb's files are deleted right after.
  as_root pg_createcluster "$version" "$name" ${REPLICA_PORT:+-p "$REPLICA_PORT"} -- --no-sync >/dev/null
  datadir="$(pg_lsclusters -h "$version" "$name" | awk '{print $6}')"
  # pg_createcluster ran initdb; the copy of the primary replaces that empty cluster.
  as_postgres find "$datadir" -mindepth 1 -delete
  as_postgres pg_basebackup -h "$socket" -p "$port" -U postgres -D "$datadir" \
    --write-recovery-conf --wal-method=stream --checkpoint=fast ${BASEBACKUP_OPTIONS:-}
  # Long exports on the replica are not cancelled by the primary's vacuum.
  as_postgres pg_conftool "$version" "$name" set hot_standby_feedback on
fi

read -r _ _ replica_port replica_status _ < <(pg_lsclusters -h "$version" "$name")
if [[ "$replica_status" != online* ]]; then  # a standby shows "online,recovery"
  # Output to /dev/null: a server holding the caller's pipe keeps it waiting.
  as_postgres pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start \
    </dev/null >/dev/null 2>&1
fi
for _ in $(seq 60); do
  pg_isready -q -h "$socket" -p "$replica_port" && break
  sleep 0.5
done
pg_isready -q -h "$socket" -p "$replica_port" || fail "$version/$name does not accept connections"
echo "postgis://%2Fvar%2Frun%2Fpostgresql:${replica_port}/${dbname}"
