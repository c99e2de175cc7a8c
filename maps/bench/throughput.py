"""Requests a second on one call at 32 clients: the app under gunicorn with production
settings against tipg on the same database, then the app reading from a streaming
replica. Debian's wrk makes the load (a C program: the load generator takes little of
the cores it shares with the servers); this module only starts the app and reads
wrk's summary. It measures; nothing asserts a rate.
"""

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rest_framework.authtoken.models import Token

ROOT = Path(__file__).resolve().parent.parent.parent
CLIENTS = 32
WORKERS = 4  # the set-up: gunicorn with 4 workers (tipg gets as many)


@dataclass(frozen=True)
class Rate:
    requests_per_second: float
    errors: int  # non-2xx answers and socket errors


def wrk_missing() -> bool:
    return shutil.which("wrk") is None


def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def app_server(database_url: str, replica_url: str = "") -> Iterator[str]:
    """gunicorn (deploy/gunicorn.conf.py) with DEBUG off on a spare port; its base URL."""
    port = spare_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DATABASE_REPLICA_URL": replica_url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(WORKERS),
        "GUNICORN_ACCESS_LOG": os.devnull,
        "GUNICORN_LOG_LEVEL": "warning",
        "GUNICORN_MAX_REQUESTS": "0",  # no worker restart inside a measure
    }
    log = ROOT / "var" / "bench-gunicorn.log"
    log.parent.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"]
    # The server logs to a file and never holds the caller's output or input.
    with log.open("ab") as out:
        server = subprocess.Popen(  # noqa: S603 (fixed arguments)
            command, cwd=ROOT, env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/healthz", server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_for(url: str, server: subprocess.Popen) -> None:
    for _ in range(120):
        if server.poll() is not None:
            raise RuntimeError("gunicorn stopped: see var/bench-gunicorn.log")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (local)
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer: see var/bench-gunicorn.log")


def rate(url: str, seconds: int, headers: dict[str, str] | None = None) -> Rate:
    """wrk's requests/s over `seconds` at CLIENTS connections, after 3 s of warm-up."""
    options = [f"-H{name}: {value}" for name, value in (headers or {}).items()]
    # A 30 s timeout: a slow answer is measured as slow, not dropped as an error.
    base = ["wrk", "-t2", f"-c{CLIENTS}", "--timeout", "30s", *options, url]
    subprocess.run([*base[:-1], "-d3s", url], check=True, capture_output=True)  # noqa: S603
    done = subprocess.run(  # noqa: S603 (fixed arguments)
        [*base[:-1], f"-d{seconds}s", url], check=True, capture_output=True, text=True
    )
    return parse_wrk(done.stdout)


def parse_wrk(output: str) -> Rate:
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if found is None:
        raise RuntimeError(f"wrk printed no rate:\n{output}")
    errors = 0
    if non_2xx := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        errors += int(non_2xx[1])
    if sockets := re.search(r"Socket errors: (.*)", output):
        errors += sum(int(n) for n in re.findall(r"\d+", sockets[1]))
    return Rate(float(found[1]), errors)
