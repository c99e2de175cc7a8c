import json
import subprocess

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from rest_framework.test import APIClient

from actors.roles import Role
from sites.models import AccessibilityPoint
from territory.sources import REFERENCE_DIR, read_json
from tests.factories import point_in, territory, user_with

pytestmark = pytest.mark.django_db
GPSO = REFERENCE_DIR / "accessibility" / "gpso-92-places-stationnement-pmr.geojson.xz"


def run_import(*args) -> str:
    from io import StringIO

    out = StringIO()
    with translation.override("en"):  # the command speaks the project's language
        call_command(
            "import_accessibility_points",
            *map(str, args),
            *([] if "--dataset" in args else ["--dataset", "gpso/places-pmr"]),
            stdout=out,
            stderr=out,
        )
    return out.getvalue()


def test_importing_the_gpso_file_twice_gives_719_points_both_times():
    assert "719 created" in run_import(GPSO)
    assert AccessibilityPoint.objects.count() == 719
    assert "719 unchanged" in run_import(GPSO)
    assert AccessibilityPoint.objects.count() == 719
    boulogne = AccessibilityPoint.objects.filter(commune__code="92012")
    assert boulogne.count() >= 274
    first = AccessibilityPoint.objects.get(source_id="PMR_270")
    assert (first.address, first.open_air, first.domain, first.commune.code) == (
        "28 RUE DU FIEF",
        True,
        "Public",
        "92012",
    )
    assert first.commune.geom.contains(first.point)


def gpso_with_one_point_removed(tmp_path):
    document = read_json(GPSO)
    document["features"][9]["geometry"] = None
    path = tmp_path / "gpso-broken.geojson"
    path.write_text(json.dumps(document))
    return path


def test_a_row_without_coordinates_refuses_the_whole_file(tmp_path):
    with pytest.raises(CommandError) as error:
        run_import(gpso_with_one_point_removed(tmp_path))
    assert "row 10" in str(error.value) and "no coordinates" in str(error.value)
    assert AccessibilityPoint.objects.count() == 0


def test_partial_imports_the_good_rows_and_reports_the_bad_one(tmp_path):
    output = run_import(gpso_with_one_point_removed(tmp_path), "--partial")
    assert "718 created" in output and "1 rejected" in output
    assert "row 10" in output
    assert AccessibilityPoint.objects.count() == 718


def test_dry_run_changes_nothing():
    assert "719 created" in run_import(GPSO, "--dry-run")
    assert AccessibilityPoint.objects.count() == 0


def test_csv_with_lon_lat_or_wkt_and_spatial_join(tmp_path):
    boulogne, issy = point_in("92012"), point_in("92040")
    path = tmp_path / "points.csv"
    path.write_text(
        "ref;longitude;latitude;rue\n"
        f"A1;{boulogne.x};{boulogne.y};1 rue A\n"
        f"A2;{issy.x};{issy.y};2 rue B\n"
        "A3;;;3 rue C\n"
    )
    with pytest.raises(CommandError, match="row 4"):
        run_import(path, "--map", "source_id=ref", "--map", "address=rue")
    output = run_import(
        path,
        "--map",
        "source_id=ref",
        "--map",
        "address=rue",
        "--partial",
        "--source",
        "municipality",
    )
    assert "2 created" in output
    assert dict(
        AccessibilityPoint.objects.values_list("source_id", "commune__code")
    ) == {"A1": "92012", "A2": "92040"}
    wkt = tmp_path / "wkt.csv"
    wkt.write_text(f'id,wkt\nW1,"POINT ({boulogne.x} {boulogne.y})"\n')
    assert "1 created" in run_import(wkt, "--map", "source_id=id")


def test_geopackage_in_lambert93(tmp_path):
    source = tmp_path / "gpso.geojson"
    source.write_text(json.dumps(read_json(GPSO)))
    gpkg = tmp_path / "gpso.gpkg"
    subprocess.run(
        ["ogr2ogr", "-f", "GPKG", "-t_srs", "EPSG:2154", str(gpkg), str(source)],
        check=True,
    )
    assert "719 created" in run_import(gpkg)
    point = AccessibilityPoint.objects.get(source_id="PMR_270")
    assert point.point.x == pytest.approx(2.2551477, abs=1e-6)


def test_anonymous_users_read_points_but_not_sites():
    run_import(GPSO)
    anonymous = APIClient()
    data = anonymous.get(
        "/api/v1/accessibility-points/", {"commune": "92012", "page_size": 500}
    ).json()
    assert data["count"] >= 274
    assert anonymous.get("/api/v1/sites/").status_code in (401, 403)
    assert anonymous.post(
        "/api/v1/accessibility-points/", {}, format="json"
    ).status_code in (401, 403)


def test_contributor_reports_and_local_admin_verifies_then_removes():
    contributor = user_with(Role.CONTRIBUTOR, "92012")
    api = APIClient()
    api.force_authenticate(contributor)
    point = point_in("92012")
    created = api.post(
        "/api/v1/accessibility-points/",
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [point.x, point.y]}, "properties": {"spaces": 2, "address": "3 rue X"}},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    point_id = created.json()["id"]
    assert (
        api.post(f"/api/v1/accessibility-points/{point_id}/verify/").status_code == 403
    )
    admin = APIClient()
    admin.force_authenticate(user_with(Role.LOCAL_ADMIN, "92"))
    verified = admin.post(f"/api/v1/accessibility-points/{point_id}/verify/").json()
    assert verified["properties"]["status"] == "verified"
    assert (
        admin.post(f"/api/v1/accessibility-points/{point_id}/remove/").status_code
        == 200
    )
    ids = [
        f["id"]
        for f in APIClient().get("/api/v1/accessibility-points/").json()["features"]
    ]
    assert point_id not in ids  # removed points leave the public layer
    outside = point_in("13055")
    refused = api.post(
        "/api/v1/accessibility-points/",
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [outside.x, outside.y]}, "properties": {}},
        format="json",
    )  # fmt: skip
    assert refused.status_code == 403


def test_the_points_list_uses_a_fixed_number_of_queries():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run_import(GPSO)
    with CaptureQueriesContext(connection) as queries:
        data = (
            APIClient().get("/api/v1/accessibility-points/", {"page_size": 500}).json()
        )
    assert len(data["features"]) == 500
    assert len(queries) == 2  # count + page, communes joined


def test_an_import_cannot_move_a_point_of_another_territory_nor_lie_about_its_commune():
    from sites.models import PointSource
    from sites.services.accessibility import ImportRow, dataset_for, import_points

    marseille, boulogne = point_in("13055"), point_in("92012")
    dataset = dataset_for("marseille/points")
    import_points(
        [ImportRow(1, {"address": "Vieux-Port"}, marseille, "MRS-1")],
        dataset=dataset,
        source=PointSource.OPEN_DATA,
    )
    admin92 = user_with(Role.LOCAL_ADMIN, "92")
    rows = [
        ImportRow(1, {"address": "hijacked"}, boulogne, "MRS-1"),
        ImportRow(
            2, {"address": "wrong commune"}, marseille, "NEW-2", commune_code="92012"
        ),
    ]
    result = import_points(
        rows,
        dataset=dataset,
        source=PointSource.OPEN_DATA,
        partial=True,
        acting_user=admin92,
    )
    assert (result.created, result.updated, len(result.rejected)) == (0, 0, 2)
    moved = AccessibilityPoint.objects.get(source_id="MRS-1")
    assert (moved.commune.code, moved.address) == ("13055", "Vieux-Port")
    assert not AccessibilityPoint.objects.filter(source_id="NEW-2").exists()


def test_the_points_list_built_by_postgis_is_the_serializers_document(client):
    import datetime

    from sites.api.accessibility import AccessibilityPointSerializer

    AccessibilityPoint.objects.create(
        point=point_in("92012"),
        commune=territory("92012"),
        address="12 rue Test",
        length_m="5.00",
        width_m="3.30",
        open_air=True,
        verified_at=datetime.datetime(2026, 1, 2, 3, 4, tzinfo=datetime.UTC),
    )
    mine = client.get("/api/v1/accessibility-points/").json()["features"]
    theirs = AccessibilityPointSerializer(
        AccessibilityPoint.objects.select_related("commune").order_by("pk"), many=True
    ).data["features"]
    assert len(mine) == len(theirs) >= 1
    for feature, expected in zip(mine, theirs, strict=True):
        assert set(feature) == set(expected) and feature["id"] == expected["id"]
        properties = dict(expected["properties"])
        verified = feature["properties"].pop("verified_at")
        expected_verified = properties.pop("verified_at")
        assert (verified and datetime.datetime.fromisoformat(verified)) == (
            expected_verified and datetime.datetime.fromisoformat(expected_verified)
        )
        assert feature["properties"] == properties
