"""Indicators: scope of dashboards, as-of figures, additivity, public outputs, queries."""

import datetime
import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from actors.roles import Role
from lib.disclosure import Rules
from maps.indicators import engine
from maps.indicators.public import COLUMNS, FIELDS, build_table, publish
from maps.models import IndicatorSnapshot
from sites.history import as_of, record_revision
from sites.models import Site
from territory.models import Level, Territory
from tests.factories import point_in, territory, user_with

pytestmark = pytest.mark.django_db
SECRET = "Impasse des Glycines secrète"


def make_site(code: str, people: int, *, kind="land", water="network", days_ago=400):
    site = Site.objects.create(
        point=point_in(code),
        commune=territory(code),
        name=SECRET,
        address=SECRET,
        closure_reason="",
        kind=kind,
        water=water,
        people=people,
        households=people // 4,
        minors=people // 3,
        population_date=datetime.date(2024, 1, 1),
    )
    record_revision(site, by=None, action="declared", before=None)
    site.revisions.update(at=timezone.now() - datetime.timedelta(days=days_ago))
    return site


def login(client, user):
    client.force_login(user)
    user.charter_version = 10**6
    user.save(update_fields=["charter_version"])


@pytest.fixture
def sites():
    made = [make_site(c, p) for c, p in (("92012", 40), ("92040", 30), ("92050", 25))]
    made += [
        make_site(c, p, kind="encampment", water="none")
        for c, p in (("93066", 20), ("93048", 35), ("93008", 15))
    ]
    made += [make_site("13055", 50), make_site("13055", 12, kind="building")]
    return made


def test_local_admin_of_92_gets_nothing_of_13(client, sites):
    login(client, user_with(Role.LOCAL_ADMIN, "92", Level.DEPARTEMENT))
    assert client.get("/indicators/").url == "/indicators/departement/92/"
    for url in (
        "/indicators/departement/13/",
        "/indicators/commune/13055/",
        "/indicators/nation/FR/",
        "/indicators/region/93/",
        "/indicators/departement/13/by_kind.csv",
    ):
        assert client.get(url).status_code == 404
    page = client.get("/indicators/departement/92/")
    assert page.context["key_figures"].rows[0]["value"] == 3
    assert "Marseille" not in page.content.decode()


def test_the_ministry_default_page_is_the_national_dashboard(client, sites):
    login(client, user_with(Role.NATIONAL, "FR", Level.NATION))
    assert client.get("/indicators/").url == "/indicators/nation/FR/"
    page = client.get("/indicators/nation/FR/")
    open_sites, people = (r["value"] for r in page.context["key_figures"].rows[:2])
    assert (open_sites, people) == (8, 227)


def test_anonymous_visitors_reach_no_dashboard(client, sites):
    for url in (
        "/indicators/",
        "/indicators/nation/FR/",
        "/indicators/nation/FR/by_kind.json",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


def test_funding_is_shown_to_funding_readers_only(client, sites):
    login(client, user_with(Role.OBSERVER, "92012"))
    keys = [t.key for t in client.get("/indicators/departement/92/").context["tables"]]
    assert "funding" not in keys
    assert client.get("/indicators/departement/92/funding.csv").status_code == 404
    login(client, user_with(Role.LOCAL_ADMIN, "92", Level.DEPARTEMENT))
    keys = [t.key for t in client.get("/indicators/departement/92/").context["tables"]]
    assert "funding" in keys


def test_downloads_hold_the_table_shown(client, sites):
    login(client, user_with(Role.NATIONAL, "FR", Level.NATION))
    rows = client.get("/indicators/nation/FR/by_kind.json").json()["rows"]
    assert [r["sites"] for r in rows] == [4, 1, 3, 0]  # land, building, camp, other
    text = client.get("/indicators/nation/FR/by_kind.csv").content.decode()
    assert len(text.splitlines()) == 5  # a header and the four kinds
    xlsx = client.get("/indicators/nation/FR/by_kind.xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_as_of_figures_match_the_history(sites):
    first = sites[0]
    first.people = 90
    first.version += 1
    first.save()
    revision = record_revision(first, by=None, action="updated", before=None)
    first.revisions.filter(pk=revision.pk).update(
        at=timezone.now() - datetime.timedelta(days=100)
    )
    late = make_site("92012", 60, days_ago=10)
    everything = Site.objects.all()
    for days in (500, 200, 50, 1):
        day = timezone.localdate() - datetime.timedelta(days=days)
        past = [s for s in as_of(list(everything), day) if s.status == "open"]
        figures = engine.stock(everything, day)
        assert figures["open_sites"] == len(past)
        assert figures["people"] == sum(s.people or 0 for s in past)
    assert late.pk not in {
        s.pk
        for s in as_of(
            list(everything), timezone.localdate() - datetime.timedelta(days=50)
        )
    }


def test_totals_equal_the_sum_of_their_parts(sites):
    figures = engine.stock(Site.objects.all())
    assert figures["open_sites"] == sum(
        figures[f"sites__kind__{k}"]
        for k in ("land", "building", "encampment", "other")
    )
    for theme in ("water", "toilets", "electricity", "waste", "fire_prevention"):
        statuses = ("good", "to_improve", "bad", "unknown")
        assert figures["open_sites"] == sum(
            figures[f"sites__{theme}__{s}"] for s in statuses
        )
        assert figures["people"] == sum(
            figures[f"people__{theme}__{s}"] for s in statuses
        )
    nation = Territory.objects.get(level=Level.NATION)
    regions = list(Territory.objects.filter(parent=nation))
    by_region = engine.stock_by_child(Site.objects.all(), regions)
    for key in ("open_sites", "people", "minors"):
        assert sum(f[key] for f in by_region.values()) == figures[key]


def test_public_table_adds_up_where_nothing_is_suppressed(sites):
    table = build_table(
        rules=Rules(min_sites=0, min_people=0, dominance=1.0, rounding=1)
    )
    rows = table["rows"]
    assert not any(r["suppressed"] for r in rows)
    cell = {(r["level"], r["code"], r["indicator"]): r for r in rows}
    for column in COLUMNS:
        departements = [
            r for r in rows if r["level"] == "departement" and r["indicator"] == column
        ]
        assert (
            sum(r["people"] for r in departements)
            == cell[("nation", "FR", column)]["people"]
        )
        for region in (
            r for r in rows if r["level"] == "region" and r["indicator"] == column
        ):
            children = [r for r in departements if r["parent"] == region["code"]]
            assert sum(r["sites"] for r in children) == region["sites"]
    assert cell[("nation", "FR", "all")]["people"] == 227


def test_public_table_marks_each_suppressed_cell_with_its_rule(sites):
    rows = build_table(rules=Rules())["rows"]
    dep = {(r["code"], r["indicator"]): r for r in rows if r["level"] == "departement"}
    assert dep[("92", "all")]["suppressed"] == ""
    assert dep[("92", "all")]["people"] == 100  # 95 rounded to the nearest 10
    assert dep[("13", "all")]["suppressed"] == "sites"
    assert dep[("13", "all")]["people"] is None
    assert all(
        r["suppressed"] in ("", "sites", "people", "dominance", "secondary")
        for r in rows
    )


def close(site: Site, status: str, days_ago: int) -> None:
    site.status = status
    site.closed_on = timezone.localdate() - datetime.timedelta(days=days_ago)
    site.save(update_fields=["status", "closed_on"])


def test_public_table_counts_the_closures_of_the_year_by_status(sites):
    extra = [make_site("92012", 12), make_site("92040", 9), make_site("92050", 8)]
    close(extra[0], "closed_court", 30)
    close(extra[1], "resorbed", 200)
    close(extra[2], "resorbed", 400)  # more than a year ago: left out
    rows = build_table(
        rules=Rules(min_sites=0, min_people=0, dominance=1.0, rounding=1)
    )["rows"]
    cell = {(r["code"], r["indicator"]): r for r in rows}
    assert cell[("92", "closed:all")]["sites"] == 2
    assert cell[("92", "closed:all")]["people"] == 21
    assert cell[("92", "closed:closed_court")]["sites"] == 1
    assert cell[("92", "closed:resorbed")]["people"] == 9
    assert cell[("FR", "closed:all")]["sites"] == 2
    # Closed sites leave the stock: the open figures are those of the fixture.
    assert cell[("FR", "all")]["people"] == 227
    closure_columns = [c for c in COLUMNS if c.startswith("closed:")][1:]
    assert sum(cell[("92", c)]["sites"] for c in closure_columns) == 2


def test_closures_alone_in_a_departement_are_suppressed_with_their_total(sites):
    close(make_site("13055", 30), "closed_court", 10)
    rows = build_table(rules=Rules())["rows"]
    cell = {(r["code"], r["indicator"]): r for r in rows}
    assert cell[("13", "closed:all")]["suppressed"] == "sites"
    assert cell[("13", "closed:closed_court")]["people"] is None


COORDINATE = re.compile(r"-?\d{1,3}\.\d{3,}")


def test_public_responses_hold_no_coordinates_nor_free_text(client, sites):
    call_command("publish_indicators", stdout=open("/dev/null", "w"))  # noqa: SIM115
    day = IndicatorSnapshot.objects.get().published_on.isoformat()
    for url in (
        "/public/",
        "/public/indicators.csv",
        "/public/indicators.json",
        f"/public/{day}/indicators.csv",
        f"/public/{day}/indicators.json",
        "/public/schema.json",
        "/public/method/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert SECRET not in text
        assert "POINT" not in text and "coordinates" not in text
        if not url.endswith("/"):
            assert not COORDINATE.search(text), url
    data = client.get("/public/indicators.json").json()
    assert {r["level"] for r in data["rows"]} <= {"nation", "region", "departement"}
    assert all(set(r) == set(FIELDS) for r in data["rows"])
    assert client.get("/public/2001-01-01/indicators.json").status_code == 404


def test_publishing_twice_the_same_day_replaces_the_snapshot(sites):
    publish(timezone.localdate())
    publish(timezone.localdate())
    assert IndicatorSnapshot.objects.count() == 1


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_dashboard_and_public_pages_need_no_more_queries_for_more_sites(client, sites):
    login(client, user_with(Role.NATIONAL, "FR", Level.NATION))
    publish(timezone.localdate())
    urls = (
        "/indicators/nation/FR/",
        "/indicators/departement/92/",
        "/indicators/departement/92/conditions.json",
    )
    before = {url: count_queries(client, url) for url in urls}
    for i in range(12):
        make_site(("92012", "93066", "13055")[i % 3], 10 + i)
    publish(timezone.localdate())
    after = {url: count_queries(client, url) for url in urls}
    assert after == before
    client.logout()
    public = ("/public/", "/public/indicators.csv", "/public/indicators.json")
    counts = {url: count_queries(client, url) for url in public}
    assert all(n <= 3 for n in counts.values()), counts
    assert json.loads(client.get("/public/indicators.json").content)["rows"]
