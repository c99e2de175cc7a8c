"""Site exports in every format: what the user sees, with the list's filters."""

import csv
import io
import json
import re
import subprocess

import pytest
from django.contrib.gis.gdal import DataSource
from django.db.models import Q
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from actors.models import AuditEvent
from actors.roles import Role
from sites.models import Site, SiteKind
from tests.factories import point_in, territory, user_with

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def sites():
    made = []
    for i, (code, kind) in enumerate(
        [("92012", "land"), ("92012", "building"), ("92040", "land"), ("13055", "land")]
    ):
        made.append(
            Site.objects.create(
                point=point_in(code),
                commune=territory(code),
                name=f"S{i}",
                kind=kind,
                people=10 + i,
                declared_on=TODAY,
            )  # fmt: skip
        )
    return made


def client_for(role=Role.NATIONAL, code="FR") -> APIClient:
    client = APIClient()
    client.force_authenticate(user_with(role, code))
    return client


def export(client, language="en", **params):
    return client.get("/api/v1/sites/export/", params, HTTP_ACCEPT_LANGUAGE=language)


def read_gpkg(content: bytes, path) -> dict[str, dict[int, tuple]]:
    """{layer: {id: (x, y, feature)}} read back with GDAL."""
    path.write_bytes(content)
    return {
        layer.name: {int(f.get("id")): (f.geom.x, f.geom.y, f) for f in layer}
        for layer in DataSource(str(path))
    }


def ogr_field_types(path, layer: str) -> dict[str, str]:
    """{field: OGR type} as `ogrinfo` prints them."""
    info = subprocess.run(
        ["ogrinfo", "-so", str(path), layer], capture_output=True, text=True, check=True
    ).stdout
    return dict(re.findall(r"^(\w+): ([\w()]+) \(", info, flags=re.MULTILINE))


def test_a_geopackage_has_one_typed_layer_per_kind_with_the_apis_ids_and_points(
    sites, tmp_path
):
    Site.objects.filter(pk=sites[0].pk).update(people=None, declared_on=None)
    response = export(client_for(), format_type="gpkg")
    assert response["Content-Type"] == "application/geopackage+sqlite3"
    path = tmp_path / "sites.gpkg"
    layers = read_gpkg(response.content, path)
    assert set(layers) == {code for code, _label in SiteKind.choices}
    api = client_for().get("/api/v1/sites/", {"page_size": 1000}).json()["features"]
    for feature in api:
        kind = feature["properties"]["kind"]
        x, y, _read = layers[kind][feature["id"]]
        assert (x, y) == pytest.approx(
            tuple(feature["geometry"]["coordinates"]), abs=1e-6
        )
    assert {i for ids in layers.values() for i in ids} == {f["id"] for f in api}
    assert set(layers["building"]) == {sites[1].pk} and not layers["other"]
    types = ogr_field_types(path, "land")
    assert types["people"] == types["id"] == types["households"] == "Integer"
    assert types["declared_on"] == types["closed_on"] == "Date"
    assert types["updated_at"] == "DateTime" and types["name"] == "String"
    assert ogr_field_types(path, "other")["people"] == "Integer"
    empty = layers["land"][sites[0].pk][2]
    assert (
        empty.get("people") is None
        and layers["land"][sites[2].pk][2].get("people") == 12
    )


def test_an_xlsx_has_french_headers_and_date_cells(sites):
    response = export(client_for(), language="fr", format_type="xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    headers = rows[0]
    assert "date de signalement" in headers and "commune" in headers
    assert "declared_on" not in headers and "declared on" not in headers
    assert rows[1][headers.index("date de signalement")].date() == TODAY
    kinds = {row[headers.index("type")] for row in rows[1:]}
    assert kinds == {"terrain", "bâtiment / squat"}


def test_a_csv_has_a_bom_labels_and_translated_codes(sites):
    response = export(client_for(), language="en", format_type="csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {int(r["id"]) for r in rows} == {s.pk for s in sites}
    by_id = {int(r["id"]): r for r in rows}
    assert by_id[sites[1].pk]["kind"] == "building / squat"


def test_a_csv_cell_starting_with_a_formula_is_neutralised(sites):
    Site.objects.filter(pk=sites[0].pk).update(name='=HYPERLINK("http://x","y")')
    body = export(client_for(), format_type="csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK(" in body
    assert ",=HYPERLINK(" not in body and '"=HYPERLINK(' not in body


def test_the_filters_of_the_list_apply_to_every_format(sites):
    client = client_for()
    wanted = {
        s.pk for s in sites if s.kind == "land" and s.commune.code.startswith("92")
    }
    params = {"kind": "land", "territory": "92"}
    geojson = export(client, format_type="geojson", **params).json()
    assert {f["id"] for f in geojson["features"]} == wanted
    rows = csv.DictReader(
        io.StringIO(export(client, **params).content.decode("utf-8-sig"))
    )
    assert {int(r["id"]) for r in rows} == wanted
    assert AuditEvent.objects.filter(action="sites.exported").count() == 2


def test_an_unknown_format_is_refused_not_answered_in_csv(sites):
    assert export(client_for(), format_type="shp").status_code == 400


def test_large_csv_exports_stream_every_row(sites, settings):
    settings.EXPORT_SYNC_LIMIT = 2
    streamed = export(client_for(), format_type="csv")
    assert streamed.streaming and streamed["X-Export-Matched"] == "4"
    body = b"".join(streamed.streaming_content).decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(body)))) == len(sites)


@pytest.mark.parametrize("kind", ["xlsx", "gpkg"])
def test_large_files_are_built_by_a_job_and_downloaded_by_the_user_who_asked(
    kind, sites, settings, client, tmp_path
):
    from actors.mail import run_pending_jobs

    settings.EXPORT_SYNC_LIMIT = 2
    settings.PRIVATE_FILES_ROOT = tmp_path
    user = user_with(Role.NATIONAL, "FR")
    api = APIClient()
    api.force_authenticate(user)
    queued = api.get("/api/v1/sites/export/", {"format_type": kind, "kind": "land"})
    assert queued.status_code == 202
    status_url = queued.json()["status_url"]
    client.force_login(user)
    assert "Download" not in client.get(status_url).content.decode()
    run_pending_jobs()
    page = client.get(status_url)
    assert page.context["export"].rows_done == 3
    download = client.get(status_url + "download/")
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    if kind == "xlsx":
        rows = list(
            load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)
        )
        assert len(rows) == 4  # header and the three land sites
    else:
        layers = read_gpkg(content, tmp_path / "read.gpkg")
        assert set(layers["land"]) == {s.pk for s in sites if s.kind == "land"}
        assert not layers["building"]
    client.force_login(user_with(Role.NATIONAL, "FR"))
    assert client.get(status_url).status_code == 404
    assert client.get(status_url + "download/").status_code == 404


def ids_on_every_exit(client, user, query: str) -> dict[str, set[int]]:
    """The ids each exit gives for one query string, and whether the list page's
    export links carry it."""
    client.force_login(user)
    page = client.get(f"/sites/?{query}")
    api = APIClient()
    api.force_authenticate(user)

    def features(url: str) -> set[int]:
        return {f["id"] for f in api.get(url).json()["features"]}

    exported_csv = api.get(f"/api/v1/sites/export/?{query}&format_type=csv")
    rows = csv.DictReader(io.StringIO(exported_csv.content.decode("utf-8-sig")))
    return {
        "page": {site.pk for site in page.context["sites"]},
        "api": features(f"/api/v1/sites/?{query}"),
        "ogc": features(f"/ogc/collections/sites/items?{query}"),
        "geojson": features(f"/api/v1/sites/export/?{query}&format_type=geojson"),
        "csv": {int(row["id"]) for row in rows},
        "links": {
            kind
            for kind in ("csv", "xlsx", "geojson", "gpkg")
            if f"{query.replace('&', '&amp;')}&amp;format_type={kind}"
            in page.content.decode()
        },
    }


def test_the_same_query_string_gives_the_same_ids_on_every_exit(sites, client):
    """The list page, the API, OGC items and the export read one filter definition."""
    Site.objects.filter(pk=sites[1].pk).update(status="resorbed")
    query = "status=open&kind=land&kind=building&territory=92"
    wanted = {s.pk for s in sites[:3] if s.pk != sites[1].pk}
    found = ids_on_every_exit(client, user_with(Role.NATIONAL, "FR"), query)
    assert found.pop("links") == {"csv", "xlsx", "geojson", "gpkg"}
    assert found == dict.fromkeys(found, wanted)


@pytest.mark.parametrize("search", ["S2", "s0", "92040"])
def test_the_search_q_gives_the_same_ids_on_the_page_api_ogc_and_exports(
    sites, client, search
):
    query = f"q={search}&kind=land"
    wanted = set(
        Site.objects.filter(kind="land")
        .filter(Q(name__icontains=search) | Q(commune__code=search))
        .values_list("pk", flat=True)
    )
    assert wanted and len(wanted) < len(sites)
    found = ids_on_every_exit(client, user_with(Role.NATIONAL, "FR"), query)
    assert found.pop("links") == {"csv", "xlsx", "geojson", "gpkg"}
    assert found == dict.fromkeys(found, wanted)


def test_accessibility_points_export_in_csv_geojson_and_geopackage(tmp_path, client):
    from sites.models import AccessibilityPoint

    made = [
        AccessibilityPoint.objects.create(
            point=point_in(code), commune=territory(code), address=address
        )
        for code, address in [("92012", "=1+1"), ("92040", "2 rue"), ("13055", "3 rue")]
    ]
    geojson = b"".join(
        client.get(
            "/api/v1/accessibility-points/export/?format_type=geojson&commune=92012"
        ).streaming_content
    )
    assert [f["id"] for f in json.loads(geojson)["features"]] == [made[0].pk]
    body = b"".join(
        client.get("/api/v1/accessibility-points/export/").streaming_content
    ).decode("utf-8-sig")
    assert "'=1+1" in body and len(list(csv.DictReader(io.StringIO(body)))) == 3
    gpkg = client.get("/api/v1/accessibility-points/export/?format_type=gpkg")
    (tmp_path / "points.gpkg").write_bytes(gpkg.content)
    layers = read_gpkg(gpkg.content, tmp_path / "points.gpkg")
    assert list(layers) == ["disabled_parking"]
    assert set(layers["disabled_parking"]) == {p.pk for p in made}
    types = ogr_field_types(tmp_path / "points.gpkg", "disabled_parking")
    assert types["spaces"] == types["created_year"] == "Integer"
    assert types["length_m"] == "Real" and types["open_air"] == "Integer(Boolean)"
    assert types["verified_at"] == "DateTime" and types["address"] == "String"
    assert AuditEvent.objects.filter(action="accessibility.exported").count() == 3


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/sites/export/?format_type=xlsx",
        "/api/v1/sites/export/?format_type=gpkg",
        "/api/v1/accessibility-points/export/?format_type=csv",
        "/api/v1/accessibility-points/export/?format_type=geojson",
        "/api/v1/accessibility-points/export/?format_type=gpkg",
    ],
)
def test_exports_read_no_commune_outline_and_the_right_coordinates(sites, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sites.models import AccessibilityPoint

    point = AccessibilityPoint.objects.create(
        point=point_in("92012"), commune=territory("92012")
    )
    api = APIClient()
    api.force_authenticate(user_with(Role.NATIONAL, "FR"))
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
        body = (
            b"".join(response.streaming_content)
            if response.streaming
            else response.content
        )
    assert response.status_code == 200 and body
    outlines = re.compile(r'"territory_territory"\."(geom|display_geom|label_point)"')
    assert not [q["sql"] for q in queries if outlines.search(q["sql"])]
    if url.endswith("geojson"):
        (feature,) = json.loads(body)["features"]
        expected = [round(point.point.x, 6), round(point.point.y, 6)]
        assert feature["geometry"]["coordinates"] == expected
