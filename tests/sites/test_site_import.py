"""The bulk site import (command and service): status kept, idempotent, refusals
leave the database unchanged, every format read, territory scoped."""

import datetime
import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from actors.audit import AuditEvent
from actors.roles import Role
from sites.models import Dataset, Site, SiteNote, SiteRevision, SiteStatus
from tests.factories import point_in, user_with

pytestmark = pytest.mark.django_db
HEADER = (
    "id;nom;lon;lat;statut;date_fermeture;motif_fermeture;personnes;date_estimation"
)


@pytest.fixture
def admin():
    return user_with(Role.LOCAL_ADMIN, "92", email="admin92@example.org")


def csv_file(tmp_path: Path, *rows: str, name="sites.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def row(
    source_id,
    code="92012",
    status="ouvert",
    closed="",
    name="Terrain des Bords",
    people="",
):
    point = point_in(code)
    when = "01/02/2024" if people else ""
    return f"{source_id};{name};{point.x};{point.y};{status};{closed};;{people};{when}"  # fmt: skip


def run(
    path: Path, *args: str, user="admin92@example.org", dataset="pref92/campements"
):
    with translation.override("en"):
        call_command("import_sites", str(path), "--user", user, "--dataset", dataset, *args)  # fmt: skip


def tables_checksum() -> str:
    """Every row of the site tables (and their datasets and audit), hashed."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for model in (Site, SiteRevision, SiteNote, Dataset, AuditEvent):
            cursor.execute(
                f"SELECT * FROM {model._meta.db_table} ORDER BY id"  # noqa: S608 - model tables
            )
            digest.update(repr(cursor.fetchall()).encode())
    return digest.hexdigest()


def test_a_bulk_site_import_keeps_closed_sites_closed(admin, tmp_path, capsys):
    path = csv_file(
        tmp_path,
        row("A1", people="12"),
        row("A2", status="fermé sur décision de justice", closed="15/03/2024"),
        row("A3", code="92040", status="closed_prefectoral", closed="2024-04-02"),
    )
    run(path)
    assert (
        "3 created, 0 updated, 0 unchanged, 0 rejected, 2 closed"
        in capsys.readouterr().out
    )
    sites = {s.source_id: s for s in Site.objects.all()}
    assert sites["A1"].status == SiteStatus.OPEN and sites["A1"].people == 12
    assert (sites["A2"].status, sites["A2"].closed_on) == (
        SiteStatus.CLOSED_COURT,
        datetime.date(2024, 3, 15),
    )
    assert sites["A3"].commune.code == "92040"
    assert sites["A3"].closed_on == datetime.date(2024, 4, 2)
    # The history reads like a typed-in site: declared, then closed, by the importer.
    actions = list(sites["A2"].revisions.values_list("action", "by__email"))
    assert actions == [("declared", admin.email), ("closed", admin.email)]
    assert AuditEvent.objects.filter(action="sites.imported", actor=admin).count() == 1


def test_a_re_import_is_idempotent_and_a_changed_row_updates_its_site(admin, tmp_path, capsys):  # fmt: skip
    run(csv_file(tmp_path, row("A1"), row("A2")))
    capsys.readouterr()
    run(csv_file(tmp_path, row("A1"), row("A2")))
    assert "0 created, 0 updated, 2 unchanged" in capsys.readouterr().out
    assert SiteRevision.objects.count() == 2
    run(
        csv_file(tmp_path, row("A1"), row("A2", status="resorbed", closed="01/06/2024"))
    )
    assert "0 created, 1 updated, 1 unchanged, 0 rejected, 1 closed" in capsys.readouterr().out  # fmt: skip
    closed = Site.objects.get(source_id="A2")
    assert (closed.status, closed.version) == (SiteStatus.RESORBED, 2)
    assert closed.revisions.last().changes["status"] == ["open", "resorbed"]


@pytest.mark.parametrize(
    ("bad_row", "named"),
    [
        (
            "Z9;Terrain;-40;10;ouvert;;;;",
            "row 3: point: (lon -40.0, lat 10.0) is outside France",
        ),  # fmt: skip
        ("Z9;Terrain;;;ouvert;;;;", "row 3: point: no coordinates and no commune code"),
        (
            "Z9;Terrain;2.2;48.8;ouvert;hier;;;",
            "row 3: closed_on: “hier” is not a date",
        ),
        ("Z9;Terrain;2.2;48.8;fermé;;;;", "row 3: status: “fermé” is not one of"),
        (
            "Z9;Appelez le 06 12 34 56 78;2.24;48.83;ouvert;;;;",
            "row 3: name: Personal data",
        ),  # fmt: skip
        (
            "Z9;" + "x" * 200 + ";2.24;48.83;ouvert;;;;",
            "row 3: name: Ensure this value has at most 150",
        ),  # fmt: skip
        (
            "Z9;Terrain;2.2;48.8;ouvert;01/01/2024;;;",
            "row 3: closed_on: An open site has no closure date",
        ),  # fmt: skip
    ],
)
def test_a_refused_import_leaves_the_database_unchanged_and_names_row_and_field(
    admin, tmp_path, bad_row, named
):
    run(csv_file(tmp_path, row("A1")))
    before = tables_checksum()
    path = csv_file(tmp_path, row("A1", people="5"), bad_row, row("A3"))
    with pytest.raises(CommandError) as refused:
        run(path)
    assert "Import refused, nothing was changed (1 bad rows)" in str(refused.value)
    assert named in str(refused.value)
    assert tables_checksum() == before


def test_a_commune_code_that_does_not_exist_and_a_commune_outside_the_admin_are_refused(admin, tmp_path):  # fmt: skip
    point = point_in("92012")
    path = tmp_path / "codes.csv"
    marseille = point_in("13055")
    path.write_text(
        "id;nom;code_insee;lon;lat\n"
        f"B1;Terrain;99999;{point.x};{point.y}\n"
        f"B2;Terrain;;{marseille.x};{marseille.y}\n"
        "B3;Terrain;93066;;\n",
        encoding="utf-8",
    )
    before = tables_checksum()
    with pytest.raises(CommandError) as refused:
        run(path)
    message = str(refused.value)
    assert "row 2: commune_code: the commune code 99999 does not exist" in message
    assert "row 3: commune 13055: outside the territory you administer" in message
    assert "row 4: commune 93066: outside the territory you administer" in message
    assert tables_checksum() == before


def test_partial_writes_the_good_rows_and_lists_the_rejected(admin, tmp_path, capsys):
    path = csv_file(tmp_path, row("A1"), "Z9;Terrain;-40;10;ouvert;;;;", row("A3"))
    run(path, "--partial")
    captured = capsys.readouterr()
    assert "2 created, 0 updated, 0 unchanged, 1 rejected" in captured.out
    assert (
        "rejected row 3: point: (lon -40.0, lat 10.0) is outside France" in captured.err
    )
    assert sorted(Site.objects.values_list("source_id", flat=True)) == ["A1", "A3"]


def test_a_dry_run_reports_and_writes_nothing(admin, tmp_path, capsys):
    before = tables_checksum()
    run(csv_file(tmp_path, row("A1"), row("A2", status="resorbed", closed="01/06/2024")), "--dry-run")  # fmt: skip
    assert "Dry run, nothing changed: 2 created, 0 updated, 0 unchanged, 0 rejected, 1 closed" in capsys.readouterr().out  # fmt: skip
    assert tables_checksum() == before


def test_personal_data_in_a_note_is_refused_and_a_clean_note_goes_to_the_journal(admin, tmp_path):  # fmt: skip
    point = point_in("92012")
    path = tmp_path / "notes.csv"
    path.write_text(
        f"id;lon;lat;commentaire\nN1;{point.x};{point.y};contact jean.dupont@mail.fr\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="row 2: note: Personal data"):
        run(path)
    assert not Site.objects.exists()
    path.write_text(
        f"id;lon;lat;commentaire\nN1;{point.x};{point.y};accès par le chemin\n",
        encoding="utf-8",
    )
    run(path)
    run(path)  # the same note is not added twice
    assert list(SiteNote.objects.values_list("text", flat=True)) == [
        "accès par le chemin"
    ]


def test_an_association_cannot_import(tmp_path):
    user_with(Role.CONTRIBUTOR, "92", email="asso@example.org")
    with pytest.raises(CommandError, match="Only local administrators import sites"):
        run(csv_file(tmp_path, row("A1")), user="asso@example.org")
    assert not Site.objects.exists()


def test_geojson_geopackage_and_xlsx_each_import(admin, tmp_path, capsys):
    point = point_in("92012")
    features = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
                "properties": {
                    "id": "G1",
                    "status": "closed_municipal",
                    "closed_on": "2024-05-01",
                },  # fmt: skip
            }
        ],
    }
    geojson = tmp_path / "sites.geojson"
    geojson.write_text(json.dumps(features), encoding="utf-8")
    run(geojson, dataset="pref92/geojson")
    gpkg = _geopackage(tmp_path, point)
    run(gpkg, dataset="pref92/gpkg")
    xlsx = _workbook(tmp_path, point)
    run(xlsx, dataset="pref92/xlsx")
    out = capsys.readouterr().out
    assert out.count("1 created") == 3
    by_key = {s.dataset.identifier: s for s in Site.objects.select_related("dataset")}
    assert by_key["geojson"].status == SiteStatus.CLOSED_MUNICIPAL
    assert (by_key["gpkg"].name, by_key["gpkg"].kind) == ("Terrain GPKG", "building")
    assert by_key["xlsx"].closed_on == datetime.date(2024, 6, 30)
    assert by_key["xlsx"].people == 7 and by_key["xlsx"].status == SiteStatus.RESORBED


def _geopackage(tmp_path: Path, point) -> Path:
    """Written by GDAL's ogr2ogr (gdal-bin, installed by deploy/setup-system.sh)."""
    source = tmp_path / "for-gpkg.geojson"
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
        "properties": {"id": "P1", "nom": "Terrain GPKG", "type": "bâtiment / squat"},
    }
    source.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    path = tmp_path / "sites.gpkg"
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(path), str(source)], check=True)  # noqa: S603, S607 - fixed arguments
    return path


def _workbook(tmp_path: Path, point) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["id", "longitude", "latitude", "statut", "date_fermeture", "personnes", "date_estimation"])  # fmt: skip
    sheet.append(["X1", point.x, point.y, "Résorbé", datetime.date(2024, 6, 30), 7, "01/06/2024"])  # fmt: skip
    path = tmp_path / "sites.xlsx"
    workbook.save(path)
    return path


def test_the_api_keeps_status_and_closure_date(admin):
    api = APIClient()
    api.force_authenticate(admin)
    point = point_in("92012")
    body = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
        "properties": {
            "status": "closed_court",
            "closed_on": "2024-03-15",
            "closure_reason": "décision",
        },  # fmt: skip
    }
    created = api.post("/api/v1/sites/", body, format="json")
    assert created.status_code == 201, created.json()
    site = Site.objects.get()
    assert (site.status, site.closed_on, site.closure_reason) == (
        SiteStatus.CLOSED_COURT,
        datetime.date(2024, 3, 15),
        "décision",
    )
    assert created.json()["properties"]["status"] == "closed_court"


def test_the_api_refuses_a_closed_site_from_a_contributor_naming_the_field():
    api = APIClient()
    api.force_authenticate(user_with(Role.CONTRIBUTOR, "92"))
    point = point_in("92012")
    body = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
        "properties": {"status": "closed_court", "closed_on": "2024-03-15"},
    }
    refused = api.post("/api/v1/sites/", body, format="json")
    assert refused.status_code == 400 and "status" in refused.json()
    body["properties"] = {"closed_on": "2024-03-15"}
    refused = api.post("/api/v1/sites/", body, format="json")
    assert refused.status_code == 400 and "closed_on" in refused.json()
    assert not Site.objects.exists()


def test_a_row_rejected_after_its_first_write_is_not_counted(admin, tmp_path, capsys):
    point = point_in("92012")
    path = tmp_path / "late.csv"
    path.write_text(
        "id;lon;lat;code_insee;commentaire\n"
        f"N1;{point.x};{point.y};;accès par le chemin\n"
        f"N2;{point.x};{point.y};;appeler le 06 12 34 56 78\n"
        "N3;;;93066;\n",
        encoding="utf-8",
    )
    run(path, "--partial")
    out = capsys.readouterr().out
    assert "1 created, 0 updated, 0 unchanged, 2 rejected" in out
    assert "placed at" not in out and "closed" not in out
    assert list(Site.objects.values_list("source_id", flat=True)) == ["N1"]


def test_an_unreadable_file_is_refused_with_its_reason(admin, tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("id;nom\nA;B\n")
    with pytest.raises(CommandError, match="cannot be read as an Excel workbook"):
        run(fake)
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"id;nom\nA;\xff\xfe\x00\n")
    with pytest.raises(CommandError, match="not a text file in the chosen encoding"):
        run(junk, "--encoding", "utf-8")
    assert not Site.objects.exists()


def test_a_dataset_of_accessibility_points_is_not_reused_for_sites(admin, tmp_path):
    from sites.models import AccessibilityPoint
    from tests.factories import territory

    dataset = Dataset.objects.create(publisher="gpso", identifier="places-pmr")
    AccessibilityPoint.objects.create(
        point=point_in("92012"), commune=territory("92012"), dataset=dataset
    )
    with pytest.raises(CommandError, match="holds accessibility points"):
        run(csv_file(tmp_path, row("A1")), dataset="gpso/places-pmr")
    assert not Site.objects.exists()


def test_a_row_that_reopens_a_closed_site_reopens_it_through_the_service(admin, tmp_path, capsys):  # fmt: skip
    run(csv_file(tmp_path, row("A1", status="closed by court decision", closed="2024-03-15")))  # fmt: skip
    run(csv_file(tmp_path, row("A1", status="open", people="3")))
    assert "0 created, 1 updated, 0 unchanged, 0 rejected, 1 reopened" in capsys.readouterr().out.splitlines()[-1]  # fmt: skip
    site = Site.objects.get()
    assert (site.status, site.closed_on, site.people) == (SiteStatus.OPEN, None, 3)
    assert list(site.revisions.values_list("action", flat=True)) == [
        "declared", "closed", "reopened", "updated",
    ]  # fmt: skip
