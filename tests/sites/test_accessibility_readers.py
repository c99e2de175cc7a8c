"""Robust readers: declared encodings, capped decompression, purged uploads."""

import gzip
import json
import os
import shutil
import subprocess
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import translation

from actors.roles import Role
from sites.import_jobs import upload_dir
from sites.importers import read_rows
from sites.models import AccessibilityPoint
from territory.sources import SourceError, plain_file
from tests.factories import point_in, user_with
from tests.sites.import_steps import through_run
from tests.sites.test_accessibility import run_import

pytestmark = pytest.mark.django_db
STREET = "Rue de l'Église"


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def latin1_geojson(path, point):
    document = {
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature",
            "properties": {"id_pmr": "L1", "comp_loc": STREET},
            "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
        }],
    }  # fmt: skip
    path.write_bytes(json.dumps(document, ensure_ascii=False).encode("latin-1"))
    return path


def test_a_latin1_geojson_is_a_clear_error_or_read_with_its_encoding(tmp_path):
    path = latin1_geojson(tmp_path / "latin.geojson", point_in("92012"))
    with pytest.raises(SourceError) as error:
        read_rows(path)
    message = str(error.value)
    assert "latin.geojson" in message and "UTF-8" in message
    assert "--encoding latin-1" in message and "0xc9" in message
    (row,) = read_rows(path, encoding="latin-1")
    assert row.values["details"] == STREET
    output = run_import(path, "--dataset", "x/latin", "--encoding", "latin-1")
    assert "1 created" in output
    assert AccessibilityPoint.objects.get().details == STREET


def test_a_zipped_shapefile_without_cpg_is_read_with_the_declared_encoding(tmp_path):
    source = latin1_geojson(tmp_path / "latin.geojson", point_in("92040"))
    utf8 = tmp_path / "utf8.geojson"
    utf8.write_text(source.read_bytes().decode("latin-1"), encoding="utf-8")
    shp = tmp_path / "shp"
    subprocess.run(
        ["ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=ISO-8859-1", str(shp), str(utf8)],
        check=True,
    )  # fmt: skip
    archive = tmp_path / "places.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in shp.iterdir():
            if part.suffix != ".cpg":  # as many French exports come
                zipped.write(part, part.name)
    with pytest.raises(SourceError, match="latin-1"):
        read_rows(archive)
    (row,) = read_rows(archive, encoding="latin-1")
    assert (row.source_id, row.values["details"]) == ("L1", STREET)


def gzip_of_zeros(path, megabytes: int):
    chunk = bytes(1 << 20)
    with gzip.open(path, "wb", compresslevel=9) as out:
        for _ in range(megabytes):
            out.write(chunk)
    return path


def test_a_small_gzip_expanding_to_1_gb_is_refused_while_it_expands(
    tmp_path, monkeypatch
):
    bomb = gzip_of_zeros(tmp_path / "bomb.csv.gz", 1024)
    assert bomb.stat().st_size < 1_100_000  # about 1 MB on disk
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(work))
    with pytest.raises(SourceError) as error:
        read_rows(bomb)
    assert "bomb.csv.gz" in str(error.value) and "200 MB" in str(error.value)
    assert list(work.iterdir()) == []  # the partial copy is gone too
    free_enough = shutil.disk_usage(tmp_path).free
    assert free_enough > 0


def test_a_zip_declaring_a_huge_member_is_refused_before_unzipping(tmp_path):
    archive = tmp_path / "big.zip"
    with (
        zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped,
        zipped.open("points.csv", "w", force_zip64=True) as member,
    ):
        for _ in range(5):
            member.write(bytes(1 << 20))
    with (
        pytest.raises(SourceError, match="more than 1 MB"),
        plain_file(archive, limit=1_000_000),
    ):
        pass


@pytest.fixture
def admin_client(client):
    client.force_login(user_with(Role.LOCAL_ADMIN, "92"))
    return client


def post_file(client, name: str, content: bytes, **fields):
    data = {
        "file": SimpleUploadedFile(name, content),
        "new_dataset": "x/web",
        "source": "municipality",
    }
    return through_run(client, client.post("/accessibility/import/", data | fields))


def test_the_web_import_says_what_is_wrong_with_a_file_never_a_500(
    admin_client, tmp_path, settings
):
    settings.IMPORT_MAX_EXPANDED_BYTES = 2_000_000
    bomb = gzip_of_zeros(tmp_path / "bomb.csv.gz", 5).read_bytes()
    page = post_file(admin_client, "bomb.csv.gz", bomb)
    assert page.status_code == 200 and "bomb.csv.gz" in page.context["error"]
    latin = latin1_geojson(tmp_path / "latin.geojson", point_in("92012")).read_bytes()
    page = post_file(admin_client, "latin.geojson", latin, encoding="utf-8")
    assert page.status_code == 200 and "latin-1" in page.context["error"]
    page = post_file(admin_client, "latin.geojson", latin, encoding="latin-1")
    assert page.context["result"].created == 1
    through_run(
        admin_client, admin_client.post("/accessibility/import/", {"step": "confirm"})
    )
    assert AccessibilityPoint.objects.get().details == STREET


def test_unconfirmed_uploads_are_purged(admin_client, tmp_path):
    post_file(admin_client, "a.csv", b"ref;lon;lat\nA;2.2;48.8\n")
    post_file(admin_client, "b.csv", b"ref;lon;lat\nB;2.2;48.8\n")
    old, recent = sorted(upload_dir().iterdir())
    two_days_ago = time.time() - 48 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    call_command("purge_import_uploads")
    assert list(upload_dir().iterdir()) == [recent]
