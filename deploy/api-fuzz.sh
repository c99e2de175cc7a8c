#!/usr/bin/env bash
# `make api-fuzz`: schemathesis against the app's own OpenAPI schema, every method,
# anonymously and with the tokens of asso92, prefecture92 and ministere (demo accounts).
# It writes through the API: run it on a database of its own (the Makefile passes
# DBNAME=terrain_commun_fuzz, loaded with the demo). Exit code 1 if any run failed.
# FUZZ_ROLES (default "anonymous asso92 prefecture92 ministere") runs only some of them;
# deploy/schemathesis.toml holds the few check exceptions, each with its reason.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
venv=var/schemathesis
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==4.32.5"
fi
mkdir -p var/api-fuzz
port="$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
# The server logs to a file and never holds the caller's output. It loads the French NER
# model of the personal-data guard first, as gunicorn does (preload_app): loaded by the
# first write with free text, it held that request for 20-30 s, past schemathesis's
# 10 s timeout (a "Network Error" on a PATCH).
$PY -c '
import os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from lib.names import model_status
print("personal-data guard:", model_status(), flush=True)
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", "runserver", "--noreload", sys.argv[1]])
' "127.0.0.1:$port" >var/api-fuzz/server.log 2>&1 </dev/null &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 600); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.5; done

# Demo accounts: charter accepted and one API token each (the fuzz database only).
tokens="$($PY manage.py shell -c '
from rest_framework.authtoken.models import Token
from actors.models import User
for name in ("asso92", "prefecture92", "ministere"):
    user = User.objects.get(email=f"{name}@demo.terrain")
    user.charter_version = 10**6
    user.save(update_fields=["charter_version"])
    print(name, Token.objects.get_or_create(user=user)[0].key)
' 2>/dev/null | grep -E '^[a-z0-9]+ [0-9a-f]{40}$')"

roles="${FUZZ_ROLES:-anonymous asso92 prefecture92 ministere}"
failed=0
run() {
  local who="$1"; shift
  echo "== schemathesis as $who"
  if "$venv/bin/schemathesis" --config-file deploy/schemathesis.toml \
      run "$base/api/schema/" --url "$base" --no-color \
      --max-examples "${FUZZ_EXAMPLES:-25}" --seed "${FUZZ_SEED:-20261207}" --workers 1 \
      --report junit --report-dir "var/api-fuzz/$who" "$@" >"var/api-fuzz/$who.txt" 2>&1; then
    echo "   passed"
  else
    failed=1
    echo "   FAILED (var/api-fuzz/$who.txt):"
  fi
  sed -n '/^=* SUMMARY/,$p' "var/api-fuzz/$who.txt" | grep -E "ST[0-9]+|Error|generated|failures?,|passed" || true
}
for who in $roles; do
  if [ "$who" = anonymous ]; then
    run anonymous
    continue
  fi
  token="$(awk -v who="$who" '$1 == who { print $2 }' <<<"$tokens")"
  if [ -z "$token" ]; then
    echo "api-fuzz: no demo account $who" >&2
    failed=1
    continue
  fi
  run "$who" -H "Authorization: Token $token"
done
exit "$failed"
