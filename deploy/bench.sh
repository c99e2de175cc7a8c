#!/usr/bin/env bash
# `make bench`: the national dataset at SCALE sites, then every production call against
# its plain SQL and against tipg (a fast OGC API server for PostGIS, installed in
# var/tipg, never in the project's venv), all in the same run. DATABASE_URL: the
# bench's own database (territories loaded by `make data`).
set -euo pipefail
scale="${SCALE:-200000}"
mkdir -p var
if [ ! -x var/tipg/bin/uvicorn ]; then
  echo "Installing tipg into var/tipg (once)..."
  python3 -m venv var/tipg
  var/tipg/bin/pip install -q --disable-pip-version-check "tipg==1.*" "uvicorn[standard]"
fi
# asyncpg wants postgresql:// and the socket folder as a `host` parameter.
tipg_url="$(python3 - "$DATABASE_URL" <<'PY'
import sys
from urllib.parse import unquote, urlsplit
url = urlsplit(sys.argv[1])
host = unquote(url.hostname or "")
auth = f"{url.username}:{url.password}@" if url.username else ""
if host.startswith("/"):
    # pydantic wants a host in the URL; asyncpg takes the socket from `host=`.
    user = auth or f"{__import__('getpass').getuser()}@"
    print(f"postgresql://{user}localhost{url.path}?host={host}&port={url.port or 5432}")
else:
    print(f"postgresql://{auth}{host}:{url.port or 5432}{url.path}")
PY
)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# tipg answers on a spare port, logs to a file and never holds the caller's terminal.
# Four workers, as many as gunicorn gets in the throughput measure.
DATABASE_URL="$tipg_url" TIPG_DB_SCHEMAS='["public"]' TIPG_MAX_FEATURES_PER_QUERY=10000 \
  var/tipg/bin/uvicorn tipg.main:app --host 127.0.0.1 --port "$port" --workers 4 \
  --log-level warning </dev/null >var/tipg.log 2>&1 &
tipg_pid=$!
trap 'kill $tipg_pid 2>/dev/null || true; wait $tipg_pid 2>/dev/null || true' EXIT INT TERM
python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(120):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=2)
        break
    except OSError:
        time.sleep(0.5)
else:
    sys.exit("tipg did not start: see var/tipg.log")
PY
# Throughput (BENCH_THROUGHPUT seconds of wrk at 32 clients, 0: none) of the app, of
# tipg and of the app reading from a streaming replica (BENCH_REPLICA=0: none), a
# second cluster made by deploy/setup-replica.sh and dropped at the end.
throughput="${BENCH_THROUGHPUT:-20}"
replica_args=()
if [ "$throughput" != 0 ]; then
  if ! command -v wrk >/dev/null; then
    echo "Installing wrk (Debian's) for the throughput measure..."
    if [ "$(id -u)" -eq 0 ]; then apt-get install -y -q wrk >/dev/null; else sudo apt-get install -y -q wrk >/dev/null; fi
  fi
  if [ "${BENCH_REPLICA:-1}" != 0 ]; then
    echo "Making a streaming replica of the cluster (deploy/setup-replica.sh)..."
    replica_url="$(REPLICA_NAME=bench_replica BASEBACKUP_OPTIONS=--no-sync \
      deploy/setup-replica.sh "${DATABASE_URL##*/}" </dev/null | tail -1)"
    replica_args=(--replica-url "$replica_url")
    drop_replica() {
      version="$(pg_lsclusters -h | awk '$2 == "bench_replica" {print $1}')"
      [ -z "$version" ] && return 0
      if [ "$(id -u)" -eq 0 ]; then pg_dropcluster --stop "$version" bench_replica; else sudo pg_dropcluster --stop "$version" bench_replica; fi
    }
    trap 'kill $tipg_pid 2>/dev/null || true; wait $tipg_pid 2>/dev/null || true; drop_replica' EXIT INT TERM
  fi
fi
.venv/bin/python manage.py bench --scale "$scale" --tipg "http://127.0.0.1:$port" \
  --throughput "$throughput" "${replica_args[@]}" ${BENCH_ARGS:-}
