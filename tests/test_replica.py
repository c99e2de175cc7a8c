"""A real streaming replica: lists, tiles and indicators read it; writes, and a
writer's own reads for a while after, go to the primary.

Two small Debian clusters owned by this module: a primary (pg_createcluster) and
its replica, made by deploy/setup-replica.sh; both dropped at the end whatever
happens. The suite's test database is not used: the app is migrated on the
test primary with the one département it needs. Pausing WAL replay on the
replica makes it lag on demand, so which database answered shows in the answer.
"""

import csv
import io
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.gis.db.backends.postgis.base import DatabaseWrapper
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connections, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from actors.roles import Role
from config import middleware
from config.db_router import (
    PRIMARY,
    REPLICA,
    ReplicaRouter,
    forget_replica_health,
    replica_reads,
)
from sites.models import Site
from sites.services.site import declare_site
from territory.services import import_reference
from tests.factories import point_in, user_with

ROOT = Path(__file__).resolve().parent.parent
SOCKET = "/var/run/postgresql"
DBNAME = "tc_replica_probe"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("pg_createcluster") is None,
    reason="creating PostgreSQL clusters needs root and Debian's postgresql-common",
)


def free_ports(count: int) -> list[int]:
    """Ports from 5433 up that nothing listens on (PostgreSQL's neighbours)."""
    ports: list[int] = []
    for port in range(5433, 6000):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        if not Path(SOCKET, f".s.PGSQL.{port}").exists():
            ports.append(port)
        if len(ports) == count:
            return ports
    raise RuntimeError("no free port for a test cluster")


def run(*command: str, **env: str) -> str:
    done = subprocess.run(  # noqa: S603 (our own fixed commands)
        command,
        capture_output=True,
        text=True,
        cwd="/",
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, f"{command} failed: {done.stderr}"
    return done.stdout


def as_postgres(*command: str) -> str:
    return run("runuser", "-u", "postgres", "--", *command)


@dataclass(frozen=True)
class Clusters:
    version: str
    primary: str
    replica: str
    primary_port: int
    replica_port: int


@pytest.fixture(scope="module")
def clusters():
    """A throwaway primary holding an empty database; the replica's name and port.

    Both clusters are dropped at the end, whatever happened."""
    version = sorted(os.listdir("/usr/lib/postgresql"), key=int)[-1]
    suffix = secrets.token_hex(3)
    made = Clusters(version, f"tcprim{suffix}", f"tcrepl{suffix}", *free_ports(2))
    try:
        # No fsync: nothing here outlives the test.
        run("pg_createcluster", version, made.primary, "-p", str(made.primary_port),
            "-o", "fsync=off", "--", "--no-sync")  # fmt: skip
        as_postgres("pg_ctlcluster", "--skip-systemctl-redirect", version, made.primary, "start")  # fmt: skip
        psql = ("psql", "-h", SOCKET, "-p", str(made.primary_port), "-X", "-q", "-d", "postgres", "-c")  # fmt: skip
        me = run("id", "-un").strip()
        as_postgres(*psql, f'CREATE ROLE "{me}" LOGIN SUPERUSER')
        as_postgres(*psql, f'CREATE DATABASE {DBNAME} OWNER "{me}"')
        yield made
    finally:
        for name in (made.replica, made.primary):
            for command in (
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, name, "stop", "-m", "immediate"],
                ["pg_dropcluster", version, name],
            ):  # fmt: skip
                subprocess.run(command, capture_output=True, check=False)  # noqa: S603


def make_replica(clusters: Clusters) -> None:
    url = run(
        str(ROOT / "deploy" / "setup-replica.sh"),
        DBNAME,
        PRIMARY_CLUSTER=f"{clusters.version}/{clusters.primary}",
        REPLICA_NAME=clusters.replica,
        REPLICA_PORT=str(clusters.replica_port),
        # A throwaway copy: not flushed to disk.
        BASEBACKUP_OPTIONS="--no-sync",
    )
    assert url.strip().endswith(f":{clusters.replica_port}/{DBNAME}")


@pytest.fixture(scope="module")
def app(clusters, django_db_blocker):
    """The app's "default" on the test primary and a "replica" alias on its copy,
    as this OS user over the socket (the role the clusters fixture made)."""
    default = connections[PRIMARY]
    saved = dict(default.settings_dict)
    with django_db_blocker.unblock():
        _forget_connections()
        default.settings_dict.update(
            HOST=SOCKET,
            PORT=str(clusters.primary_port),
            NAME=DBNAME,
            USER="",
            PASSWORD="",
        )
        try:
            call_command("migrate", verbosity=0, database=PRIMARY)
            call_command("createcachetable", verbosity=0, database=PRIMARY)
            import_reference(departements=["92"])
            # Copied once the schema is there: less WAL to replay on 2 busy cores.
            make_replica(clusters)
            connections.settings[REPLICA] = {
                **default.settings_dict,
                "PORT": str(clusters.replica_port),
            }
            yield
        finally:
            _forget_connections()
            if REPLICA in connections.settings:
                del connections[REPLICA]
                del connections.settings[REPLICA]
            default.settings_dict.clear()
            default.settings_dict.update(saved)


def _forget_connections() -> None:
    for alias in (PRIMARY, REPLICA):
        if alias in connections.settings:
            connections[alias].close()
        # PostGIS type OIDs are cached per alias; another database has its own.
        for registry in DatabaseWrapper._type_infos.values():
            registry.pop(alias, None)


@pytest.fixture
def routed(app, settings):
    settings.READ_REPLICA_ENABLED = True
    settings.DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
    # Checked at every request; the paused replica lags but is still used.
    settings.REPLICA_CHECK_SECONDS = 0
    settings.REPLICA_MAX_LAG_SECONDS = 3600
    settings.READ_YOUR_WRITES_SECONDS = 10
    forget_replica_health()
    replayed()
    yield
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    forget_replica_health()


def replayed(received_only: bool = False) -> None:
    """Wait until the replica has replayed (or received) all the primary wrote."""
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        target = cursor.fetchone()[0]
    position = "receive" if received_only else "replay"
    deadline = time.monotonic() + 30
    with connections[REPLICA].cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                f"SELECT pg_last_wal_{position}_lsn() >= %s::pg_lsn", [target]
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError(f"the replica did not {position} {target} in 30 s")


def pause_replay() -> None:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")


def declare(user, code: str = "92012", **fields) -> int:
    return declare_site(
        {
            "point": point_in(code),
            "people": 7,
            "population_date": timezone.localdate(),
            **fields,
        },
        acting_user=user,
        confirm_nearby=True,
    ).pk


def listed(client) -> set[int]:
    response = client.get("/api/v1/sites/?limit=1000")
    assert response.status_code == 200, response.content
    return {feature["id"] for feature in response.json()["features"]}


def client_of(user) -> APIClient:
    # A session, as a browser has: the dashboards are Django views, not DRF's.
    client = APIClient()
    client.force_login(user)
    return client


@contextmanager
def executed(alias: str) -> Iterator[list[str]]:
    """The SQL run on one database (CaptureQueriesContext loses it at each request)."""
    statements: list[str] = []

    def record(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connections[alias].execute_wrapper(record):
        yield statements


def site_reads(statements: list[str]) -> int:
    return sum('"sites_site"' in sql for sql in statements)


def test_the_replica_is_a_streaming_standby_and_setting_it_up_again_keeps_it(
    routed, clusters
):
    make_replica(clusters)  # a second run finds it in place
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), status FROM pg_stat_wal_receiver")
        assert cursor.fetchone() == (True, "streaming")


def test_reads_inside_a_transaction_or_outside_a_request_stay_on_the_primary(routed):
    router = ReplicaRouter()
    assert router.db_for_read(Site) == PRIMARY  # a command, the worker, a test
    token = replica_reads.set(True)  # as the middleware does for a list
    try:
        assert router.db_for_read(Site) == REPLICA
        assert router.db_for_read(Session) == PRIMARY  # sessions, users, grants
        with transaction.atomic():
            assert router.db_for_read(Site) == PRIMARY
        assert router.db_for_write(Site) == PRIMARY
    finally:
        replica_reads.reset(token)


def test_lists_tiles_and_indicators_read_the_replica(routed):
    user = user_with(Role.LOCAL_ADMIN, "92")
    seen = declare(user)
    replayed()
    pause_replay()
    unseen = declare(user, "92040")  # on the primary only while replay is paused
    client = client_of(user)
    with executed(PRIMARY) as on_primary, executed(REPLICA) as on_replica:
        assert listed(client) == {seen}
        tile = client.get("/tiles/sites/0/0/0.pbf")
        assert tile.status_code == 200
        dashboard = client.get("/indicators/departement/92/")
        assert dashboard.status_code == 200
    assert unseen not in listed(client)
    assert site_reads(on_primary) == 0
    assert any("ST_AsMVT" in sql for sql in on_replica)
    assert site_reads(on_replica) >= 3


def test_writes_go_to_the_primary_and_the_writer_reads_them_at_once(
    routed, settings, monkeypatch
):
    writer = user_with(Role.LOCAL_ADMIN, "92")
    other = user_with(Role.LOCAL_ADMIN, "92")
    replayed()
    pause_replay()
    client = client_of(writer)
    point = point_in("92048")
    created = client.post(
        "/api/v1/sites/?confirm_nearby=1",
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
            "properties": {"people": 3, "population_date": str(timezone.localdate())},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    new = created.json()["id"]
    assert middleware.WROTE_COOKIE in created.cookies
    with executed(REPLICA) as on_replica:
        assert new in listed(client)  # the writer: the primary, despite the lag
    assert site_reads(on_replica) == 0
    assert new not in listed(client_of(other))  # everyone else: the lagging replica
    # Once the window has passed, the writer reads the replica again.
    later = time.time() + settings.READ_YOUR_WRITES_SECONDS + 2
    monkeypatch.setattr(middleware, "wall_clock", lambda: later)
    assert new not in listed(client)
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    replayed()
    assert new in listed(client)


def test_an_unreachable_replica_sends_reads_to_the_primary_with_a_warning(
    routed, caplog
):
    user = user_with(Role.LOCAL_ADMIN, "92")
    replayed()
    pause_replay()
    unseen = declare(user, "92012")
    replica = connections[REPLICA]
    replica.close()
    port = replica.settings_dict["PORT"]
    replica.settings_dict["PORT"] = str(free_ports(1)[0])
    try:
        with caplog.at_level("WARNING", logger="config.db_router"):
            assert unseen in listed(client_of(user))
    finally:
        replica.close()
        replica.settings_dict["PORT"] = port
    assert "Read replica unreachable" in caplog.text


def test_a_replica_lagging_past_the_limit_is_skipped_with_a_warning(
    routed, settings, caplog
):
    settings.REPLICA_MAX_LAG_SECONDS = 0
    user = user_with(Role.LOCAL_ADMIN, "92")
    replayed()
    pause_replay()
    unseen = declare(user, "92040")
    replayed(received_only=True)
    with caplog.at_level("WARNING", logger="config.db_router"):
        assert unseen in listed(client_of(user))
    assert "behind" in caplog.text


def test_a_streamed_export_reads_the_replica_while_it_is_sent(routed, settings):
    settings.EXPORT_SYNC_LIMIT = 0  # every export streams
    user = user_with(Role.LOCAL_ADMIN, "92")
    declare(user)
    replayed()
    pause_replay()
    declare(user, "92040")  # on the primary only
    client = client_of(user)
    on_replica_now = listed(client)
    with executed(PRIMARY) as on_primary, executed(REPLICA) as on_replica:
        response = client.get("/api/v1/sites/export/?format_type=csv")
        assert response.streaming
        body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(body)))) == len(on_replica_now)
    assert site_reads(on_primary) == 0 and site_reads(on_replica) >= 2
