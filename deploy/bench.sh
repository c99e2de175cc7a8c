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
DATABASE_URL="$tipg_url" TIPG_DB_SCHEMAS='["public"]' TIPG_MAX_FEATURES_PER_QUERY=10000 \
  var/tipg/bin/uvicorn tipg.main:app --host 127.0.0.1 --port "$port" --workers 1 \
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
.venv/bin/python manage.py bench --scale "$scale" --tipg "http://127.0.0.1:$port" \
  ${BENCH_ARGS:-}
