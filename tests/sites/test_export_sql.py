"""The CSV PostgreSQL writes (sites.export_sql) is the Python writer's, byte for byte;
its GeoJSON (sites.export_geojson_sql) the Python writer's document, value for value."""

import csv
import datetime
import io
import json

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from actors.capabilities import (
    CAPABILITIES,
    ROLE_CAPABILITIES,
    SEE_PROCEDURES,
    can,
    paths_where,
)
from actors.predicates import is_local_admin_of
from actors.roles import Role
from sites.api.filters import SiteFilter
from sites.export import csv_lines, export_fields, export_rows, geojson_chunks
from sites.export_geojson_sql import geojson_chunks_sql
from sites.export_sql import csv_chunks, python_round_6
from sites.models import Site, SiteProcedure
from tests.factories import territory, user_with

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
NAMES = [
    '=HYPERLINK("http://x","y")',
    "+33 6 00",
    "-5 personnes",
    "@home",
    "\tTab",
    "\rCR",
    "Chemin de l’Étang, « bas »",
    'un "guillemet"',
    "deux\nlignes",
    "fin\r\nWindows",
    "",
    "\\.",
]
# Coordinates Python rounds by the float's exact value: halves at the 7th decimal
# (2.1234565 is just below its half, 2.0078125 exactly on it), a whole degree,
# one close to zero on each side (1e-05, -0.0).
POINTS = [
    (2.1234565, 48.8765435),
    (2.0078125, 48.0078135),
    (-0.5, 44.0),
    (0.00001, 45.0000004),
    (-0.0000004, 43.123456789),
    (5.3698, 43.2965),
]


@pytest.fixture
def dataset():
    """Sites of 92012 and 92040 (Hauts-de-Seine) and 13055, as varied as a site gets."""
    sites = []
    for i, name in enumerate(NAMES):
        code = ("92012", "92040", "13055")[i % 3]
        x, y = POINTS[i % len(POINTS)]
        closed = i % 4 == 1
        sites.append(
            Site.objects.create(
                commune=territory(code),
                point=Point(x, y, srid=4326),
                name=name,
                address=("12, rue des =Lilas", "", "-")[i % 3],
                address_details="porte\nbleue" if i % 2 else "",
                kind=("land", "building", "encampment", "other")[i % 4],
                status="closed_court" if closed else "open",
                closed_on=datetime.date(2024, 2, 29) if closed else None,
                closure_reason="@expulsion" if closed else "",
                opened_on=None if i % 2 else datetime.date(2019, 12, 31),
                people=None if i % 3 == 2 else i * 7,
                minors=0 if i % 3 == 0 else None,
                population_date=datetime.date(2025, 6, 1) if i % 3 != 2 else None,
                water=("network", "standpipe", "unknown")[i % 3],
                electricity="absent" if i % 2 else "unknown",
            )
        )
    # A code no label knows (written before a choice was renamed): shown as it is.
    Site.objects.filter(pk=sites[0].pk).update(land_owner_type="=legacy")
    times = [
        datetime.datetime(2024, 3, 31, 0, 30, tzinfo=UTC),  # the night clocks change
        datetime.datetime(2024, 7, 14, 22, 5, 9, 500000, tzinfo=UTC),
        datetime.datetime(2025, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    ]
    for i, site in enumerate(sites):
        Site.objects.filter(pk=site.pk).update(updated_at=times[i % 3])
    for site, started, decision, summary in [
        (sites[0], datetime.date(2024, 5, 2), None, "Référé expulsion, audience"),
        (sites[0], None, datetime.date(2024, 9, 1), "décision\n"),
        (sites[0], datetime.date(2023, 1, 5), None, ""),
        (sites[1], datetime.date(2024, 1, 1), datetime.date(2024, 2, 1), "92040"),
        (sites[2], datetime.date(2024, 1, 1), None, "Marseille"),
    ]:
        SiteProcedure.objects.create(
            site=site,
            kind="court" if summary else "administrative",
            started_on=started,
            decision_on=decision,
            summary=summary,
        )
    return sites


def queryset(user, query: str = ""):
    sites = (
        Site.objects.visible_to(user)
        .select_related("commune")
        .prefetch_related("procedures")
    )
    return SiteFilter(QueryDict(query), queryset=sites).qs.order_by("pk")


def python_csv(user, query: str = "", note: str = "") -> bytes:
    fields = export_fields(user)
    rows = export_rows(
        queryset(user, query).iterator(chunk_size=100), fields, user, True
    )
    return "".join(csv_lines(rows, fields, note)).encode()


def sql_csv(user, query: str = "", note: str = "") -> bytes:
    return b"".join(csv_chunks(queryset(user, query), export_fields(user), user, note))


USERS = {
    "local admin of a commune": (Role.LOCAL_ADMIN, "92012"),
    "local admin of the département": (Role.LOCAL_ADMIN, "92"),
    "contributor": (Role.CONTRIBUTOR, "92040"),
    "national": (Role.NATIONAL, "FR"),
}


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("who", USERS)
def test_the_sql_csv_is_the_python_csv_row_for_row(dataset, who, language):
    user = user_with(*USERS[who])
    with translation.override(language):
        expected, got = python_csv(user), sql_csv(user)
    assert got.splitlines() == expected.splitlines()
    assert got == expected
    rows = list(csv.DictReader(io.StringIO(got.decode("utf-8-sig"))))
    assert len(rows) == Site.objects.visible_to(user).count() > 0


def test_the_procedures_column_is_filled_only_where_the_user_sees_procedures(dataset):
    admin = user_with(Role.LOCAL_ADMIN, "92012")
    with translation.override("en"):
        rows = list(csv.DictReader(io.StringIO(sql_csv(admin).decode("utf-8-sig"))))
    by_id = {int(r["id"]): r for r in rows}
    assert by_id[dataset[0].pk]["procedures"] == (
        "administrative procedure 2023-01-05; "
        "court procedure 2024-05-02  Référé expulsion, audience; "
        "court procedure  2024-09-01 décision"
    )
    assert by_id[dataset[1].pk]["procedures"] == ""  # 92040: read, not administered
    assert dataset[2].pk not in by_id  # 13055: out of reach
    for site in Site.objects.visible_to(admin).select_related("commune"):
        sees = can(admin, SEE_PROCEDURES, site)
        assert sees == site.commune.path.startswith(
            tuple(paths_where(admin, SEE_PROCEDURES))
        )
        assert sees == (site.commune.code == "92012")


def test_the_sql_paths_of_a_capability_are_the_role_its_predicate_checks():
    for capability, role in ROLE_CAPABILITIES.items():
        assert CAPABILITIES[capability] is is_local_admin_of
        assert role == Role.LOCAL_ADMIN


@pytest.mark.parametrize(
    "query",
    [
        "in_bbox=2.0,48.0,2.2,49.0",
        "kind=land&kind=building&status=open",
        "q=Lilas",
        "territory=92040",
    ],
)
def test_the_list_filters_give_the_same_csv(dataset, query):
    user = user_with(Role.NATIONAL, "FR")
    with translation.override("fr"):
        assert sql_csv(user, query) == python_csv(user, query)


def test_a_note_ends_the_file_as_in_python(dataset):
    user = user_with(Role.CONTRIBUTOR, "92")
    note = "Extrait partiel, voir « filtres »"
    assert sql_csv(user, note=note) == python_csv(user, note=note)
    assert sql_csv(user, note=note).endswith(b"\r\n")


def test_coordinates_print_as_python_prints_them_rounded():
    values = [x for pair in POINTS for x in pair]
    values += [2.0078135, -2.0078125, 0.0000005, -0.0000005, 1e-7, 180.0, 0.000015]
    values += [k / 1e7 + 5e-8 for k in range(-2_000_000, 2_000_000, 99_991)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {python_round_6('x')} FROM unnest(%s::float8[]) "  # noqa: S608
            "WITH ORDINALITY AS t(x, i) ORDER BY i",
            [values],
        )
        printed = [row[0] for row in cursor.fetchall()]
    assert printed == [str(round(x, 6)) for x in values]


def test_a_large_sql_csv_streams_in_chunks_and_counts_its_copy(dataset, settings):
    settings.EXPORT_SYNC_LIMIT = 2
    api = APIClient()
    user = user_with(Role.LOCAL_ADMIN, "92")
    api.force_authenticate(user)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/sites/export/", HTTP_ACCEPT_LANGUAGE="fr")
        body = b"".join(response.streaming_content)
    with translation.override("fr"):
        assert body == python_csv(user)
    copies = [q["sql"] for q in queries if q["sql"].startswith("COPY")]
    # Grants, count, audit; the COPY's settings, the COPY, the settings put back.
    assert len(copies) == 1 and len(queries) <= 7


def test_the_settings_of_the_copy_do_not_outlive_it(dataset):
    """Set for the COPY's transaction, which may be the caller's (a job, a test)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW timezone")
        zone = cursor.fetchone()[0]
        sql_csv(user_with(Role.NATIONAL, "FR"))
        cursor.execute("SELECT current_setting('timezone'), current_setting('jit')")
        assert cursor.fetchone()[0] == zone
    read = Site.objects.values_list("updated_at", flat=True).get(pk=dataset[0].pk)
    assert read == datetime.datetime(2024, 3, 31, 0, 30, tzinfo=UTC)


def test_a_user_without_grants_gets_the_headers_only(dataset):
    nobody = user_with(Role.CONTRIBUTOR, "92")
    nobody.grants.all().delete()
    nobody = type(nobody).objects.get(pk=nobody.pk)  # its scope read again
    api = APIClient()
    api.force_authenticate(nobody)
    response = api.get("/api/v1/sites/export/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.content == python_csv(nobody) and response.content.count(b"\n") == 1


def python_geojson(user, query: str = "") -> dict:
    fields = export_fields(user)
    rows = export_rows(
        queryset(user, query).iterator(chunk_size=100), fields, user, False
    )
    return json.loads("".join(geojson_chunks(rows, fields)))


def sql_geojson(user, query: str = "") -> dict:
    chunks = geojson_chunks_sql(queryset(user, query), export_fields(user), user)
    return json.loads(b"".join(chunks))


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("who", USERS)
def test_the_sql_geojson_is_the_python_geojson_feature_for_feature(
    dataset, who, language
):
    user = user_with(*USERS[who])
    with translation.override(language):
        expected, got = python_geojson(user), sql_geojson(user)
    assert got["type"] == "FeatureCollection"
    assert len(got["features"]) == Site.objects.visible_to(user).count() > 0
    for mine, theirs in zip(got["features"], expected["features"], strict=True):
        assert mine == theirs  # coordinates too: the same floats, rounded alike


@pytest.mark.parametrize("query", ["in_bbox=2.0,48.0,2.2,49.0", "q=Lilas"])
def test_the_list_filters_give_the_same_geojson(dataset, query):
    user = user_with(Role.LOCAL_ADMIN, "92")
    with translation.override("en"):
        assert sql_geojson(user, query) == python_geojson(user, query)


def test_geojson_procedures_are_empty_where_seen_and_null_elsewhere(dataset):
    admin = user_with(Role.LOCAL_ADMIN, "92012")
    with translation.override("en"):
        features = {f["id"]: f for f in sql_geojson(admin)["features"]}
    first = features[dataset[0].pk]["properties"]
    assert first["procedures"].startswith("administrative procedure 2023-01-05; ")
    assert first["name"] == NAMES[0]  # as stored: no spreadsheet quote in GeoJSON
    assert first["land_owner_type"] == "=legacy"
    assert features[dataset[1].pk]["properties"]["procedures"] is None  # 92040
    seen_without = [
        f for f in features.values()
        if f["properties"]["commune_code"] == "92012" and f["id"] != dataset[0].pk
    ]  # fmt: skip
    assert seen_without
    assert {f["properties"]["procedures"] for f in seen_without} == {""}


def test_a_large_sql_geojson_streams_every_site_in_one_copy(dataset, settings):
    settings.EXPORT_SYNC_LIMIT = 2
    api = APIClient()
    user = user_with(Role.NATIONAL, "FR")
    api.force_authenticate(user)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/sites/export/?format_type=geojson")
        body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/geo+json"
    assert json.loads(body) == python_geojson(user)
    assert [f["id"] for f in json.loads(body)["features"]] == sorted(
        s.pk for s in dataset
    )
    copies = [q["sql"] for q in queries if q["sql"].startswith("COPY")]
    assert len(copies) == 1 and len(queries) <= 7


def test_a_user_without_grants_gets_an_empty_geojson(dataset):
    nobody = user_with(Role.CONTRIBUTOR, "92")
    nobody.grants.all().delete()
    nobody = type(nobody).objects.get(pk=nobody.pk)
    assert sql_geojson(nobody) == {"type": "FeatureCollection", "features": []}
