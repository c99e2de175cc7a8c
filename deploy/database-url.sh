#!/usr/bin/env bash
# Print the DATABASE_URL to use: the caller's, else Debian's local cluster over
# its socket, on whatever port pg_lsclusters reports (not always 5432).
set -euo pipefail
if [ -n "${DATABASE_URL:-}" ]; then echo "$DATABASE_URL"; exit 0; fi
port="$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $3}')"
echo "postgis://%2Fvar%2Frun%2Fpostgresql:${port:-5432}/${1:-terrain_commun}"
