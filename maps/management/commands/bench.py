"""`make bench`: each production call against its plain-SQL floor, medians in a table
and in bench/results/<scale>-<date>.json. Measures only: nothing here asserts a time."""

import datetime
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from actors.models import Grant, User
from actors.roles import Role
from maps.bench import dataset, throughput
from maps.bench.cases import Case, list_cases, run_sql, tile_cases
from sites.management.commands.benchmark_point_import import measure_point_import
from territory.models import Level, Territory

BENCH_USER = "bench@example.invalid"
IMPORTED_POINTS = 100_000


class Command(BaseCommand):
    help = "Time each production endpoint against its plain SQL (and tipg) at a scale."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=200_000, help="sites")
        parser.add_argument("--repeat", type=int, default=7, help="runs per call (≥ 7)")
        parser.add_argument(
            "--slow-repeat", type=int, default=3, help="runs of a national export"
        )
        parser.add_argument("--out", default="bench/results", help="JSON folder")
        parser.add_argument("--tipg", default="", help="base URL of a running tipg")
        parser.add_argument(
            "--only", default="", help="run the cases whose name holds this"
        )
        parser.add_argument(
            "--throughput",
            type=int,
            default=0,
            help="seconds of wrk load on the bbox call (0: none)",
        )
        parser.add_argument(
            "--no-imports",
            dest="imports",
            action="store_false",
            help="leave out the timed imports (points, territory re-import)",
        )
        parser.add_argument(
            "--replica-url",
            default="",
            help="a streaming replica: the throughput is measured again reading there",
        )

    def handle(self, *args, scale, repeat, slow_repeat, out, tipg, only, **options):  # noqa: PLR0913
        counts = dataset.ensure(scale, log=self.stdout.write)
        self.stdout.write(
            f"Dataset: {counts.sites:,} sites, {counts.revisions:,} revisions, "
            f"{counts.points:,} accessibility points."
        )
        user = bench_user()
        cases = [c for c in list_cases() + tile_cases(user) if only in c.name]
        with override_settings(ALLOWED_HOSTS=["testserver"], SECURE_SSL_REDIRECT=False):
            rows = [
                self.measure(
                    case, user, max(slow_repeat if case.slow else repeat, 1), tipg
                )
                for case in cases
            ]
        self.print_table(rows)
        if options["imports"]:
            rows += self.imports()
        if options["throughput"]:
            rows.append(self.throughput(user, options, tipg))
        path = write_results(rows, counts, Path(out), repeat)
        self.stdout.write(f"Written: {path}")

    def measure(self, case: Case, user: User, repeat: int, tipg: str) -> dict:
        client = Client()
        if not case.anonymous:
            client.force_login(user)
        app, sql, tipg_times = [], [], []
        size = sql_size = 0
        for _ in range(repeat):  # alternating, so load drifts hit all sides alike
            if case.uncached:
                caches["tiles"].clear()
            started = time.perf_counter()
            size = fetch(client, case.url)
            app.append(ms_since(started))
            started = time.perf_counter()
            sql_size = run_sql(case)
            sql.append(ms_since(started))
            if tipg and case.tipg:
                started = time.perf_counter()
                fetch_url(tipg.rstrip("/") + case.tipg)
                tipg_times.append(ms_since(started))
        if case.uncached:
            caches["tiles"].clear()
        with CaptureQueriesContext(connection) as queries:
            fetch(client, case.url)
        app_ms = round(statistics.median(app), 1)
        sql_ms = round(statistics.median(sql), 1)
        row: dict = {
            "name": case.name,
            "app_ms": app_ms,
            "sql_ms": sql_ms,
            "tipg_ms": round(statistics.median(tipg_times), 1) if tipg_times else None,
            "bytes": size,
            "sql_bytes": sql_size,
            "queries": len(queries),
            "target": case.target.describe(),
            "runs": repeat,
        }
        row["ratio"] = round(app_ms / sql_ms, 2) if sql_ms else None
        row["met"], row["by"] = judge(case, row)
        self.stdout.write(f"  {case.name}: {row['app_ms']} ms / SQL {row['sql_ms']} ms")
        return row

    def imports(self) -> list[dict]:
        """The imports' targets, each timed once: they take seconds, not milliseconds."""
        seconds = measure_point_import(IMPORTED_POINTS, log=self.stdout.write)
        rows = [
            import_row(
                f"import of {IMPORTED_POINTS:,} accessibility points (GeoJSON)",
                seconds["first import"],
                60,
            )
        ]
        # The first run leaves its fingerprint (a full import if there was none);
        # the second is timed as people run it, Django's start included.
        call_command("import_territories", stdout=StringIO())
        started = time.perf_counter()
        subprocess.run(  # noqa: S603 (this project's own command)
            [
                sys.executable,
                str(settings.BASE_DIR / "manage.py"),
                "import_territories",
            ],
            check=True,
            capture_output=True,
        )
        elapsed = time.perf_counter() - started
        rows.append(import_row("territory re-import, nothing changed", elapsed, 5))
        for row in rows:
            verdict = "met" if row["met"] else f"NOT met ({row['by']})"
            self.stdout.write(
                f"{row['name']}: {row['app_ms'] / 1000:.1f} s; {row['target']}: {verdict}"
            )
        return rows

    def throughput(self, user: User, options: dict, tipg: str) -> dict:
        """Requests/s on the bbox call at 32 clients: app, tipg, app on the replica."""
        if throughput.wrk_missing():
            raise CommandError("--throughput needs wrk (apt-get install wrk)")
        case = list_cases()[0]  # the bbox of dép. 13, 1,000 features
        seconds = options["throughput"]
        headers = {
            "Authorization": f"Token {throughput.token_for(user)}",
            "X-Forwarded-Proto": "https",  # as nginx says it (no HTTPS redirect)
        }
        database = os.environ["DATABASE_URL"]
        row: dict = {"name": f"throughput: {case.name}, {throughput.CLIENTS} clients"}
        with throughput.app_server(database) as base:
            check_answers(base + case.url, headers)
            app = throughput.rate(base + case.url, seconds, headers)
        row |= {"app_rps": app.requests_per_second, "app_errors": app.errors}
        if tipg and case.tipg:
            other = throughput.rate(tipg.rstrip("/") + case.tipg, seconds)
            row |= {"tipg_rps": other.requests_per_second, "tipg_errors": other.errors}
        if options["replica_url"]:
            with throughput.app_server(database, options["replica_url"]) as base:
                replica = throughput.rate(base + case.url, seconds, headers)
            row |= {
                "replica_rps": replica.requests_per_second,
                "replica_errors": replica.errors,
            }
        row["target"] = "≥ tipg's requests/s"
        row["met"] = "tipg_rps" in row and row["app_rps"] >= row["tipg_rps"]
        row["by"] = (
            "" if row["met"] or "tipg_rps" not in row
            else f"{row['tipg_rps'] - row['app_rps']:.1f} req/s under"
        )  # fmt: skip
        self.stdout.write(
            f"{row['name']}: app {row['app_rps']:.1f} req/s ({row['app_errors']} errors)"
            + (f", tipg {row['tipg_rps']:.1f} ({row['tipg_errors']} errors)" if "tipg_rps" in row else "")
            + (f", app on the replica {row['replica_rps']:.1f}" if "replica_rps" in row else "")
            + f"; {row['target']}: {'met' if row['met'] else 'NOT met ' + row['by']}"
        )  # fmt: skip
        return row

    def print_table(self, rows: list[dict]) -> None:
        header = f"{'call':<40}{'app ms':>9}{'SQL ms':>9}{'tipg':>8}{'ratio':>7}"
        header += f"{'bytes':>12}{'queries':>8}  target"
        self.stdout.write(header)
        for r in rows:
            tipg = "-" if r["tipg_ms"] is None else f"{r['tipg_ms']:.1f}"
            verdict = "met" if r["met"] else f"NOT met ({r['by']})"
            self.stdout.write(
                f"{r['name']:<40}{r['app_ms']:>9.1f}{r['sql_ms']:>9.1f}{tipg:>8}"
                f"{r['ratio'] or 0:>7.2f}{r['bytes']:>12,}{r['queries']:>8}  "
                f"{r['target']}: {verdict}"
            )


def ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def fetch(client: Client, url: str) -> int:
    """The app's answer read to its last byte (a streamed export included)."""
    response = client.get(url, secure=True)
    if response.status_code not in (200, 204):  # 204: an empty tile
        raise RuntimeError(f"{url}: HTTP {response.status_code}")
    if isinstance(response, StreamingHttpResponse):
        return sum(len(chunk) for chunk in response.streaming_content)
    return len(response.content)


def fetch_url(url: str) -> int:
    from urllib.request import urlopen

    with urlopen(url, timeout=60) as response:  # noqa: S310 (a local tipg)
        return len(response.read())


def check_answers(url: str, headers: dict[str, str]) -> None:
    """One call first: wrk counts redirects as answers, a 301 must not be measured."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (local)
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        if response.status != 200 or response.url != url:
            raise CommandError(f"{url}: HTTP {response.status} at {response.url}")


def judge(case: Case, row: dict) -> tuple[bool, str]:
    """Whether the app's median meets the case's target; if not, by how much."""
    target, misses = case.target, []
    if target.ratio is not None:
        bound = target.ratio * row["sql_ms"] + target.slack_ms
        if row["app_ms"] > bound:
            misses.append(f"{row['app_ms'] - bound:.1f} ms over {bound:.1f}")
    if target.max_ms is not None and row["app_ms"] > target.max_ms:
        misses.append(f"{row['app_ms'] - target.max_ms:.1f} ms over {target.max_ms:g}")
    if target.max_bytes is not None and row["bytes"] > target.max_bytes:
        misses.append(f"{row['bytes'] - target.max_bytes:,} bytes over")
    return not misses, "; ".join(misses)


def import_row(name: str, seconds: float, limit: float) -> dict:
    return {
        "name": name,
        "app_ms": round(seconds * 1000),
        "sql_ms": None,
        "tipg_ms": None,
        "ratio": None,
        "bytes": None,
        "queries": None,
        "target": f"≤ {limit:g} s",
        "met": seconds <= limit,
        "by": "" if seconds <= limit else f"{seconds - limit:.1f} s over",
    }


def bench_user() -> User:
    """A national reader who has accepted the charter."""
    user, _ = User.objects.get_or_create(email=BENCH_USER)
    user.charter_version = settings.CHARTER_VERSION
    user.charter_accepted_at = timezone.now()
    user.save()
    nation = Territory.objects.get(level=Level.NATION)
    Grant.objects.get_or_create(user=user, role=Role.NATIONAL, territory=nation)
    return user


def write_results(rows, counts, folder: Path, repeat: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    today = datetime.date.today().isoformat()  # noqa: DTZ011 (a file name)
    path = folder / f"bench-{counts.sites}-{today}.json"
    document = {
        "scale": {
            "sites": counts.sites,
            "revisions": counts.revisions,
            "points": counts.points,
        },
        "repeat": repeat,
        "debug": settings.DEBUG,
        "rows": rows,
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return path
