"""The production recipe: nginx (deploy/nginx/) in front of gunicorn
(deploy/gunicorn.conf.py) with production settings, on spare ports.

Both servers are real processes on the test database: they see only committed data,
so the few rows this test needs are committed by a fixture and deleted after it.
Both are always stopped, their output in files (never the caller's pipe).
"""

import contextlib
import gzip
import http.client
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mapbox_vector_tile
import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.cache import cache
from rest_framework.authtoken.models import Token

from actors.models import AuditEvent, Grant, User
from actors.roles import Role
from deploy.render_nginx import private_instance, render
from maps.api.public_sites import CACHE_KEY
from sites.models import Site
from territory.models import Territory
from tests.factories import point_in, user_with
from tests.maps.test_tiles import tile_of
from tests.test_faults import django_url

# The servers use the test database, set up for tests that use it; this process
# itself only reads what they wrote.
pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
NGINX = shutil.which("nginx", path=os.environ.get("PATH", "") + ":/usr/sbin")
STATIC_FILE = "maps/basemap.js"  # served as /static/maps/basemap.js
SOURCE_OF_STATIC_FILE = ROOT / "maps" / "static" / "maps" / "basemap.js"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Committed:
    user: User
    token: str
    site: Site


@pytest.fixture(scope="module")
def committed(django_db_setup, django_db_blocker) -> Iterator[Committed]:
    """A contributor of 92012 with an API token and one open site, committed.

    Module-scoped: it runs before, and outside, each test's own transaction.
    """
    with django_db_blocker.unblock():
        user = user_with(Role.CONTRIBUTOR, "92012", email="recipe@example.org")
        token = Token.objects.create(user=user).key
        place = point_in("92012")
        site = Site.objects.create(
            point=place, commune=Territory.objects.commune_at(place), people=4
        )
        try:
            yield Committed(user, token, site)
        finally:
            # Everything the servers committed for this user: later tests start clean.
            AccessAttempt.objects.filter(username__iexact=user.email).delete()
            AccessFailureLog.objects.filter(username__iexact=user.email).delete()
            AccessLog.objects.filter(username__iexact=user.email).delete()
            AuditEvent.objects.filter(actor_email__iexact=user.email).delete()
            AuditEvent.objects.filter(actor=user).delete()
            Site.objects.filter(pk=site.pk).delete()
            Token.objects.filter(user=user).delete()
            Grant.objects.filter(user=user).delete()
            User.objects.filter(pk=user.pk).delete()
            cache.delete(CACHE_KEY)  # the public aggregates the servers computed


@contextlib.contextmanager
def running(command: list[str], log: Path, **options) -> Iterator[subprocess.Popen]:
    with log.open("w") as out:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=out, **options
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return cert, key


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


class Client:
    def __init__(self, port: int, certificate: Path):
        self.port = port
        self.tls = ssl.create_default_context(cafile=str(certificate))

    def request(self, path: str, method: str = "GET", body=None, **headers) -> Answer:
        conn = http.client.HTTPSConnection(
            "localhost", self.port, context=self.tls, timeout=20
        )
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return Answer(response.status, response.headers, response.read())
        finally:
            conn.close()


def wait_until_up(client: Client, processes: list[subprocess.Popen], logs: list[Path]):
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        for process, log in zip(processes, logs, strict=True):
            assert process.poll() is None, log.read_text()
        with contextlib.suppress(OSError, http.client.HTTPException):
            if client.request("/healthz").status == 200:
                return
        time.sleep(0.3)
    raise AssertionError("not up in 40 s:\n" + "\n".join(p.read_text() for p in logs))


@pytest.fixture(scope="module")
def recipe(tmp_path_factory, committed) -> Iterator[tuple[Client, int, Committed]]:
    """nginx and gunicorn, started once for the module's tests."""
    tmp_path = tmp_path_factory.mktemp("recipe")
    assert NGINX, "nginx is missing: deploy/setup-system.sh installs it"
    static_root = tmp_path / "static"
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "recipe-test-" + os.urandom(24).hex(),
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": django_url(),
        "STATIC_ROOT": str(static_root),
        "TRUSTED_PROXIES": "1",
        "TRUSTED_PROXY_ADDRESSES": "127.0.0.1,::1",
        "GUNICORN_WORKERS": "2",
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT, env=env, check=True, stdin=subprocess.DEVNULL, capture_output=True,
    )  # fmt: skip
    cert, key = self_signed_certificate(tmp_path)
    http_port, https_port = free_port(), free_port()
    site = render(
        server_name="localhost",
        upstreams=[env["GUNICORN_BIND"]],
        static_root=str(static_root),
        certificate=str(cert),
        certificate_key=str(key),
        cache_dir=str(tmp_path / "cache"),
        http_port=http_port,
        https_port=https_port,
    )
    config = private_instance(tmp_path, site)
    gunicorn = [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"]
    nginx = [NGINX, "-p", str(tmp_path), "-c", str(config), "-e", str(tmp_path / "error.log")]  # fmt: skip
    logs = [tmp_path / "gunicorn.log", tmp_path / "nginx.log"]
    with (
        running(gunicorn, logs[0], cwd=ROOT, env=env) as app,
        running(nginx, logs[1]) as proxy,
    ):
        client = Client(https_port, cert)
        wait_until_up(client, [app, proxy], logs)
        yield client, http_port, committed


def test_nginx_serves_pages_static_files_and_tiles_from_gunicorn(recipe):
    client, http_port, _ = recipe
    page = client.request("/", **{"Accept-Language": "en"})
    assert page.status == 200
    assert b"<title>" in page.body and b"Terrain Commun" in page.body
    # Production settings behind TLS: HSTS, and the app knows the request was https.
    assert "max-age=31536000" in page.header("Strict-Transport-Security")

    static = client.request(f"/static/{STATIC_FILE}")
    assert static.status == 200
    assert static.body == SOURCE_OF_STATIC_FILE.read_bytes()
    assert "max-age=3600" in static.header("Cache-Control")
    squeezed = client.request(f"/static/{STATIC_FILE}", **{"Accept-Encoding": "gzip"})
    assert squeezed.header("Content-Encoding") == "gzip"
    assert gzip.decompress(squeezed.body) == SOURCE_OF_STATIC_FILE.read_bytes()

    tile = client.request("/tiles/territories/5/16/11.pbf", **{"Accept-Encoding": "gzip"})  # fmt: skip
    assert tile.status == 200
    assert tile.header("Content-Encoding") == "gzip"
    layer = mapbox_vector_tile.decode(gzip.decompress(tile.body))["territories"]
    assert "Bouches-du-Rhône" in {f["properties"]["name"] for f in layer["features"]}

    # JSON leaves compressed, whether nginx (tiles' TileJSON) or the app (API) does it.
    for path in ("/tiles/territories.json", "/api/v1/territories/?level=departement"):
        document = client.request(path, **{"Accept-Encoding": "gzip"})
        assert document.header("Content-Encoding") == "gzip", path
        assert json.loads(gzip.decompress(document.body)), path

    # Plain http is sent to https, on the same host and port.
    conn = http.client.HTTPConnection("localhost", http_port, timeout=10)
    conn.request("GET", "/sites/?page=2")
    moved = conn.getresponse()
    assert moved.status == 301
    assert moved.headers["Location"] == f"https://localhost:{client.port}/sites/?page=2"
    conn.close()


def test_anonymous_tiles_are_cached_and_signed_in_ones_never(recipe):
    client, _, data = recipe
    z, x, y = tile_of(data.site.point, 14)
    path = f"/tiles/sites/{z}/{x}/{y}.pbf"
    token = {"Authorization": f"Token {data.token}"}

    def site_ids(answer: Answer) -> set[int]:
        assert answer.status == 200, answer.body
        layer = mapbox_vector_tile.decode(answer.body)["sites"]
        return {f["properties"]["id"] for f in layer["features"]}

    signed_in = client.request(path, **token)
    assert site_ids(signed_in) == {data.site.pk}
    assert signed_in.header("X-Cache-Status") == "BYPASS"
    assert signed_in.header("Cache-Control") == "private, max-age=60"

    # One site alone is never shown to the public: the anonymous tile is empty, and
    # not the signed-in answer taken from the cache.
    first = client.request(path)
    assert (first.status, first.header("X-Cache-Status")) == (204, "MISS")
    again = client.request(path)
    assert (again.status, again.header("X-Cache-Status")) == (204, "HIT")
    # Other cookies do not matter to an anonymous tile; a session cookie does.
    with_language = client.request(path, Cookie="django_language=en")
    assert with_language.header("X-Cache-Status") == "HIT"
    with_session = client.request(path, Cookie="sessionid=not-a-session")
    assert with_session.header("X-Cache-Status") == "BYPASS"

    signed_in_again = client.request(path, **token)
    assert signed_in_again.header("X-Cache-Status") == "BYPASS"
    assert site_ids(signed_in_again) == {data.site.pk}


def test_the_client_address_is_the_one_nginx_saw_not_a_forged_header(
    recipe, django_db_blocker
):
    client, _, data = recipe
    answer = client.request(
        "/api/v1/auth/token",
        method="POST",
        body=json.dumps({"email": data.user.email, "password": "wrong"}),
        **{"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"},
    )
    assert answer.status == 401
    with django_db_blocker.unblock():  # the attempt gunicorn's worker committed
        attempts = AccessAttempt.objects.filter(username__iexact=data.user.email)
        # The loopback nginx saw: 127.0.0.1, or ::1 where "localhost" resolves to
        # IPv6 first (Debian's default /etc/hosts); never the forged address.
        assert len(attempts) == 1
        assert ipaddress.ip_address(attempts[0].ip_address).is_loopback
