"""gunicorn settings for Terrain Commun: `gunicorn -c deploy/gunicorn.conf.py`.

Every value comes from the environment (the systemd unit's EnvironmentFile), so one
file serves production, the recipe's test and `make loadtest`.
"""

import multiprocessing
import os
from pathlib import Path

wsgi_app = "config.wsgi:application"
chdir = str(Path(__file__).resolve().parent.parent)

# Behind nginx on the same machine: loopback only. Another host's load balancer
# reaches a routable address: set GUNICORN_BIND (and TRUSTED_PROXY_ADDRESSES).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Synchronous workers: each request holds one database connection, and the slow
# answers (exports, big tiles) are bounded by the timeout below. Two per core plus
# one keeps the cores busy while some workers wait on PostgreSQL.
workers = int(
    os.environ.get("GUNICORN_WORKERS", str(2 * multiprocessing.cpu_count() + 1))
)
# Large exports stream or go to the background worker; nothing legitimate runs longer.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# nginx keeps connections to us open (upstream keepalive).
keepalive = 5
# A worker is replaced after this many requests (slow leaks never accumulate);
# the jitter keeps them from restarting all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10

# "-": stdout/stderr, collected by journald under systemd.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The client as the application sees it (X-Forwarded-For from nginx), time in µs.
access_log_format = '%({x-forwarded-for}i)s %(h)s "%(r)s" %(s)s %(B)s %(D)sus "%(a)s"'

# The application reads X-Forwarded-For and -Proto itself, trusting only
# TRUSTED_PROXY_ADDRESSES (actors/ratelimit.py, SECURE_PROXY_SSL_HEADER); gunicorn's
# own reading of them must agree.
forwarded_allow_ips = ",".join(
    item.strip()
    for item in os.environ.get("TRUSTED_PROXY_ADDRESSES", "127.0.0.1,::1").split(",")
    if item.strip()
)
proc_name = "terrain-commun"

# The application, and the French NER model of the personal-data guard (lib/names.py:
# a hundred megabytes, seconds to load, minutes on a loaded machine), are loaded once
# in the master before it forks: no request waits for the model (the first write with
# free text in each worker used to, past the timeout under load, and the worker was
# killed), workers share its memory, and a recycled worker starts at once. Hence a new
# release needs `systemctl restart`: a reload (HUP) forks again from the loaded code.
preload_app = True


def on_starting(server) -> None:
    from lib.names import model_status  # noqa: PLC0415 - the app is loaded by now

    server.log.info("personal-data guard: %s", model_status())
