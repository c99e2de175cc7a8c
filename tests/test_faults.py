"""Faults: a killed import, a database that goes away, a backup given back.

These tests run real processes (manage.py, runserver, pg_dump, pg_restore) against
the test database: only committed data is visible to them, so they read and write
through their own connections and leave the database as they found it.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

from deploy.backup import backup, checksums, compare, restore
from sites.models import AccessibilityPoint
from territory.sources import REFERENCE_DIR

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent
GPSO = REFERENCE_DIR / "accessibility" / "gpso-92-places-stationnement-pmr.geojson.xz"


def conninfo(dbname: str | None = None) -> str:
    settings = connection.settings_dict
    parts = {
        "host": settings["HOST"],
        "port": settings["PORT"],
        "dbname": dbname or settings["NAME"],
        "user": settings["USER"],
        "password": settings["PASSWORD"],
    }
    return " ".join(f"{k}={v}" for k, v in parts.items() if v)


def django_url(host: str | None = None) -> str:
    """A DATABASE_URL for a subprocess, on the test database (optionally another host)."""
    settings = connection.settings_dict
    auth = settings["USER"] or ""
    if settings["PASSWORD"]:
        auth += ":" + quote(settings["PASSWORD"], safe="")
    host = quote(host or settings["HOST"] or "", safe="")
    port = settings["PORT"] or "5432"
    return f"postgis://{auth + '@' if auth else ''}{host}:{port}/{settings['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "DEBUG": "1", **extra}


@pytest.fixture
def scratch_database():
    name = f"tc_restore_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(conninfo(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(conninfo(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restored_elsewhere_gives_back_identical_data(
    tmp_path, scratch_database, capsys
):
    dump = backup(conninfo(), tmp_path)
    manifest = json.loads(dump.with_suffix(".json").read_text())["tables"]
    assert manifest["territory_territory"]["rows"] > 400  # the test départements

    assert restore(conninfo(scratch_database), dump) == 0
    with (
        psycopg.connect(conninfo()) as source,
        psycopg.connect(conninfo(scratch_database)) as copy,
    ):
        assert compare(checksums(source.cursor()), checksums(copy.cursor())) == []
        # The comparison sees a single lost row.
        copy.execute(
            "DELETE FROM territory_territory WHERE id = "
            "(SELECT max(id) FROM territory_territory WHERE level = 'commune')"
        )
        problems = compare(manifest, checksums(copy.cursor()))
    assert [p.split(":")[0] for p in problems] == ["territory_territory"]


def test_a_restore_that_does_not_match_its_manifest_fails(
    tmp_path, scratch_database, capsys
):
    dump = backup(conninfo(), tmp_path)
    manifest_path = dump.with_suffix(".json")
    manifest = json.loads(manifest_path.read_text())
    manifest["tables"]["territory_territory"]["rows"] += 1
    manifest_path.write_text(json.dumps(manifest))
    assert restore(conninfo(scratch_database), dump) == 1
    assert "territory_territory: expected" in capsys.readouterr().out
    assert restore(conninfo(scratch_database), tmp_path / "missing.dump") == 2


def point_table_sums() -> dict:
    with psycopg.connect(conninfo()) as conn:
        found = checksums(conn.cursor())
    return found[AccessibilityPoint._meta.db_table]


def wait_for(condition, seconds: float, step: float = 0.02):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return None


def test_kill_9_during_an_import_leaves_nothing_partial():
    before = point_table_sums()
    app_name = f"killtest-{uuid.uuid4().hex[:6]}"
    importer = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "import_accessibility_points",
            "--dataset",
            "gpso/places-pmr",
            str(GPSO),
        ],  # fmt: skip
        cwd=ROOT,
        env=subprocess_env(DATABASE_URL=django_url(), PGAPPNAME=app_name),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with psycopg.connect(conninfo(), autocommit=True) as watcher:

        def writing() -> bool:
            # A transaction id is given at the first write: rows are being saved.
            return bool(
                watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE application_name = %s AND backend_xid IS NOT NULL",
                    [app_name],
                ).fetchone()[0]
            )

        try:
            assert wait_for(writing, 120), "the import never started writing"
            os.kill(importer.pid, signal.SIGKILL)
        finally:
            importer.wait(30)
        assert importer.returncode == -signal.SIGKILL

        def gone() -> bool:
            return not watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                [app_name],
            ).fetchone()[0]

        assert wait_for(gone, 30)
    assert point_table_sums() == before


class SocketProxy:
    """A PostgreSQL socket that can be taken away and given back, like a restart."""

    def __init__(self, directory: Path, port: str, upstream: tuple):
        self.path = directory / f".s.PGSQL.{port}"
        self.upstream = upstream
        self.listener: socket.socket | None = None
        self.open: list[socket.socket] = []

    def start(self) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(self.path))
        self.listener.listen()
        threading.Thread(
            target=self._accept, args=(self.listener,), daemon=True
        ).start()

    def stop(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.close()
            self.path.unlink(missing_ok=True)
        for sock in self.open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            family, address = self.upstream
            server = socket.socket(family, socket.SOCK_STREAM)
            server.connect(address)
            self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (local)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def test_healthz_says_503_while_the_database_is_away_and_the_app_recovers(tmp_path):
    settings = connection.settings_dict
    port = str(settings["PORT"] or "5432")
    host = settings["HOST"] or "/var/run/postgresql"
    upstream = (
        (socket.AF_UNIX, f"{host}/.s.PGSQL.{port}")
        if host.startswith("/")
        else (socket.AF_INET, (host, int(port)))
    )
    proxy = SocketProxy(tmp_path, port, upstream)
    proxy.start()
    web = free_port()
    base = f"http://127.0.0.1:{web}"
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{web}"],
        cwd=ROOT,
        env=subprocess_env(DATABASE_URL=django_url(host=str(tmp_path))),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    try:
        assert wait_for(lambda: status_of(base + "/healthz") == 200, 90, 0.5)
        assert status_of(base + "/public/") == 200

        proxy.stop()  # the database goes away, its connections with it
        assert status_of(base + "/healthz") == 503

        proxy.start()
        back = time.monotonic()
        assert wait_for(lambda: status_of(base + "/healthz") == 200, 10, 0.2)
        assert status_of(base + "/public/") == 200
        assert time.monotonic() - back <= 10
    finally:
        server.terminate()
        server.wait(30)
        proxy.stop()
        log.close()
