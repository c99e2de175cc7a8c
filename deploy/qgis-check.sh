#!/usr/bin/env bash
# `make qgis-check`: serve the demo on a spare port, let QGIS read /ogc/ sites with
# HTTP Basic (deploy/qgis_check.py), compare with the API, stop the server.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${QGIS_CHECK_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
email=${QGIS_CHECK_EMAIL:-ministere@demo.terrain}
password=${QGIS_CHECK_PASSWORD:-terrain-demo-2026}
mkdir -p var
# The API stays closed until the usage charter is accepted: the demo account accepts it.
.venv/bin/python manage.py shell -v 0 -c "from django.conf import settings; from actors.models import User; User.objects.filter(email='$email').update(charter_version=settings.CHARTER_VERSION)"
.venv/bin/python manage.py runserver --noreload "127.0.0.1:$port" >var/qgis-check-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 60); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 1
done
QT_QPA_PLATFORM=offscreen /usr/bin/python3 deploy/qgis_check.py "http://127.0.0.1:$port" "$email" "$password"
