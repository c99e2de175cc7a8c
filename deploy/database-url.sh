#!/usr/bin/env bash
# Print the DATABASE_URL to use: the caller's, else Debian's local cluster over
# its socket, on whatever port pg_lsclusters reports (not always 5432).
set -euo pipefail
if [ -n "${DATABASE_URL:-}" ]; then echo "$DATABASE_URL"; exit 0; fi
# Debian's "main" cluster when there is one: a replica (deploy/setup-replica.sh) may be
# listed before it.
clusters="$(pg_lsclusters -h 2>/dev/null || true)"
line="$(awk '$2 == "main"' <<<"$clusters" | head -1)"
[ -n "$line" ] || line="$(grep -v recovery <<<"$clusters" | head -1 || true)"
port="$(awk '{print $3}' <<<"$line")"
echo "postgis://%2Fvar%2Frun%2Fpostgresql:${port:-5432}/${1:-terrain_commun}"
