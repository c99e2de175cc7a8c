"""`make bench`'s parts: a deterministic dataset, and a table of app against SQL whose
two sides answer the same question. Times are printed, never asserted."""

import json

import pytest
from django.core.management import call_command

from maps.bench import dataset
from maps.bench.throughput import Rate, parse_wrk
from maps.management.commands.bench import import_row
from sites.models import AccessibilityPoint, Site, SiteRevision

pytestmark = pytest.mark.django_db


def bench_sites():
    return Site.objects.filter(name__startswith=dataset.SITE_PREFIX)


def test_the_dataset_is_made_once_per_scale_and_replaced_at_another():
    counts = dataset.ensure(40, log=lambda _: None)

    versions = [1 + g % dataset.VERSION_CYCLE for g in range(1, 41)]
    assert (counts.sites, counts.revisions) == (40, sum(versions))
    assert counts.points == round(40 * dataset.POINTS_PER_SITE)
    closed = bench_sites().exclude(status="open")
    assert closed.count() == 8
    assert not closed.filter(closed_on=None).exists()
    assert not bench_sites().filter(status="open").exclude(closed_on=None).exists()
    ids = set(bench_sites().values_list("pk", flat=True))

    dataset.ensure(40, log=lambda _: None)
    assert set(bench_sites().values_list("pk", flat=True)) == ids

    dataset.ensure(25, log=lambda _: None)
    assert bench_sites().count() == 25
    assert not bench_sites().filter(pk__in=ids).exists()
    assert SiteRevision.objects.filter(site__in=bench_sites()).count() == sum(
        1 + g % dataset.VERSION_CYCLE for g in range(1, 26)
    )


def test_the_dataset_is_the_same_at_each_making():
    dataset.ensure(30, log=lambda _: None)
    first = sorted(bench_sites().values_list("name", "point", "people", "status"))
    points = sorted(AccessibilityPoint.objects.values_list("source_id", "point"))
    dataset.ensure(31, log=lambda _: None)
    dataset.ensure(30, log=lambda _: None)
    assert (
        sorted(bench_sites().values_list("name", "point", "people", "status")) == first
    )
    assert (
        sorted(AccessibilityPoint.objects.values_list("source_id", "point")) == points
    )


def test_the_bench_writes_a_row_per_call_with_both_sides(tmp_path, capsys):
    # The imports (100,000 points, a territory re-import) are no test's business.
    call_command("bench", scale=20, repeat=1, out=str(tmp_path), imports=False)

    (result,) = tmp_path.glob("bench-20-*.json")
    document = json.loads(result.read_text())
    rows = {row["name"]: row for row in document["rows"]}
    assert document["scale"]["sites"] == 20
    for name, row in rows.items():
        assert {"name", "app_ms", "sql_ms", "ratio", "bytes", "queries"} <= set(row)
        assert row["queries"] > 0
        if name.startswith("tile"):
            # The raw ST_AsMVT's bytes exactly: both sides answer one question.
            assert row["bytes"] == row["sql_bytes"]
        else:
            assert row["bytes"] > 0 and row["sql_bytes"] > 0
    assert rows["tile sites 5/16/11"]["bytes"] > 0
    assert "national CSV export" in capsys.readouterr().out


WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:40111/api/v1/sites/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   483.21ms   95.12ms   1.02s    71.23%
    Req/Sec    33.10     12.85    80.00     68.42%
  660 requests in 10.02s, 166.50MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 3
Requests/sec:     65.87
Transfer/sec:     16.62MB
"""


def test_wrk_summary_gives_the_rate_and_counts_every_error():
    assert parse_wrk(WRK_OUTPUT) == Rate(65.87, 6)
    clean = WRK_OUTPUT.replace(
        "  Socket errors: connect 0, read 1, write 0, timeout 2\n", ""
    )
    assert parse_wrk(clean.replace("  Non-2xx or 3xx responses: 3\n", "")) == Rate(
        65.87, 0
    )
    with pytest.raises(RuntimeError, match="no rate"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def test_an_import_row_says_whether_its_time_is_met_and_by_how_much():
    assert import_row("points", 42.0, 60) == {
        "name": "points",
        "app_ms": 42000,
        "sql_ms": None,
        "tipg_ms": None,
        "ratio": None,
        "bytes": None,
        "queries": None,
        "target": "≤ 60 s",
        "met": True,
        "by": "",
    }
    late = import_row("re-import", 6.5, 5)
    assert (late["met"], late["by"]) == (False, "1.5 s over")
