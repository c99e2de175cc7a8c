#!/usr/bin/env bash
# `make loadtest`: the production recipe (gunicorn behind nginx, DEBUG=0) on spare
# ports, loaded by locust with mixed reads and writes of every role
# (deploy/loadtest/locustfile.py) at LOADTEST_RPS requests a second (default 50) for
# DURATION (default 5m), then a table per endpoint group (deploy/loadtest/report.py).
# It writes: run it on a database of its own (the Makefile passes
# DBNAME=terrain_commun_load, loaded with the demo). Exit code 1 if any request failed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
out=var/loadtest
venv=$out/venv
duration="${DURATION:-5m}"
rps="${LOADTEST_RPS:-50}"
users=30  # the locustfile's fixed_count, summed
# 2 cores, shared with PostgreSQL, nginx and locust itself: 4 synchronous workers keep
# both busy while some wait on the database, without a fifth process's memory.
workers="${LOADTEST_WORKERS:-4}"

if [ ! -x "$venv/bin/locust" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "locust==2.47.0"
fi
run="$out/run"
rm -rf "$run" && mkdir -p "$run"

# Demo accounts: usage charter accepted and no lockout left from an earlier run (this
# database only); a public snapshot for /public/ if none was published yet.
$PY manage.py shell -c '
from actors.models import User
User.objects.filter(email__endswith="@demo.terrain").update(charter_version=10**6)
' >/dev/null 2>&1
$PY manage.py axes_reset >/dev/null 2>&1
$PY manage.py shell -c '
from maps.models import IndicatorSnapshot
print(IndicatorSnapshot.objects.exists())
' 2>/dev/null | grep -q True || $PY manage.py publish_indicators >/dev/null 2>&1

free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
app_port="$(free_port)" http_port="$(free_port)" https_port="$(free_port)"
export DEBUG=0 ALLOWED_HOSTS=localhost STATIC_ROOT="$PWD/$run/static" \
  SECRET_KEY="loadtest-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
  EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend \
  GUNICORN_BIND="127.0.0.1:$app_port" GUNICORN_WORKERS="$workers" \
  GUNICORN_ACCESS_LOG="$PWD/$run/gunicorn-access.log"
$PY manage.py collectstatic --no-input -v 0
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost \
  -keyout "$run/key.pem" -out "$run/cert.pem" 2>/dev/null
nginx_conf="$(python3 deploy/render_nginx.py --server-name localhost \
  --upstream "127.0.0.1:$app_port" --static-root "$STATIC_ROOT" \
  --certificate "$PWD/$run/cert.pem" --certificate-key "$PWD/$run/key.pem" \
  --cache-dir "$PWD/$run/cache" --http-port "$http_port" --https-port "$https_port" \
  --private "$run/nginx")"
nginx="$(command -v nginx || echo /usr/sbin/nginx)"

# Both servers log to files and never hold the caller's output; both always stop.
$PY -m gunicorn -c deploy/gunicorn.conf.py >"$run/gunicorn.log" 2>&1 </dev/null &
app=$!
"$nginx" -p "$PWD/$run/nginx" -c "$nginx_conf" -e "$PWD/$run/nginx/error.log" \
  >"$run/nginx.log" 2>&1 </dev/null &
proxy=$!
trap 'kill $app $proxy 2>/dev/null || true; wait $app $proxy 2>/dev/null || true' EXIT
base="https://localhost:$https_port"
for _ in $(seq 120); do
  curl -sf --cacert "$run/cert.pem" "$base/healthz" >/dev/null && break
  sleep 0.5
done
curl -sf --cacert "$run/cert.pem" "$base/healthz" >/dev/null \
  || { echo "the servers did not start: $run/gunicorn.log, $run/nginx.log" >&2; exit 1; }

echo "load test: $rps requests/s for $duration, $users users, gunicorn with $workers workers behind nginx ($base)"
echo "before: $(uptime)"
# locust exits non-zero when a request failed: the report below says which and decides.
LOADTEST_RATE_PER_USER="$(python3 -c "print($rps / $users)")" \
LOADTEST_CA_BUNDLE="$PWD/$run/cert.pem" \
  "$venv/bin/locust" -f deploy/loadtest/locustfile.py --headless --only-summary \
  --users "$users" --spawn-rate 10 --run-time "$duration" --stop-timeout 10 \
  --host "$base" --csv "$out/result" >"$out/locust.log" 2>&1 </dev/null || true
echo "after:  $(uptime)"
python3 deploy/loadtest/report.py "$out/result_stats.csv" --target "$rps" \
  --access-log "$run/gunicorn-access.log"
