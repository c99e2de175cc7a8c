"""Point imports keyed on the dataset: nothing moves or merges without being asked."""

from unittest.mock import patch

import pytest
from django.core.management import CommandError
from django.db import connection

from deploy.backup import checksums
from sites.models import AccessibilityPoint, Dataset
from territory.sources import REFERENCE_DIR
from tests.factories import point_in
from tests.sites.test_accessibility import run_import

pytestmark = pytest.mark.django_db
# The shipped copy of ../shared/data's file: a clone alone runs the tests.
GPSO = str(
    REFERENCE_DIR / "accessibility" / "gpso-92-places-stationnement-pmr.geojson.xz"
)


POINT_TABLES = [AccessibilityPoint._meta.db_table, Dataset._meta.db_table]


def database_sums() -> dict:
    """Row count and md5 of the point and dataset tables (deploy/backup.py's manifest)."""
    with (
        connection.cursor() as cursor,
        patch("deploy.backup.tables", return_value=POINT_TABLES),
    ):
        return checksums(cursor.cursor)


def write_csv(path, *lines: str):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def points_file(tmp_path, name="points.csv", *rows):
    return write_csv(tmp_path / name, "ref;lon;lat;rue;insee", *rows)


MAP = ("--map", "source_id=ref", "--map", "address=rue", "--map", "commune_code=insee")


def refused(*args) -> str:
    before = database_sums()
    with pytest.raises(CommandError) as error:
        run_import(*args)
    assert database_sums() == before, "a refused import changed the database"
    return str(error.value)


def test_the_same_id_in_another_dataset_is_another_point_and_moves_nothing(tmp_path):
    """A city's file numbering its spaces from 1 cannot move another city's point 261."""
    boulogne, marseille = point_in("92012"), point_in("13055")
    nice = points_file(tmp_path, "a.csv", f"261;{boulogne.x};{boulogne.y};Rue A;")
    run_import(nice, "--dataset", "ville-a/pmr", *MAP)
    montpellier = points_file(
        tmp_path, "b.csv", f"261;{marseille.x};{marseille.y};Rue B;"
    )
    output = run_import(montpellier, "--dataset", "ville-b/pmr", *MAP)
    assert "1 created, 0 updated" in output
    kept = AccessibilityPoint.objects.get(dataset__publisher="ville-a", source_id="261")
    assert (kept.commune.code, kept.address) == ("92012", "Rue A")
    assert kept.point.equals_exact(boulogne, 1e-9)
    new = AccessibilityPoint.objects.get(dataset__publisher="ville-b", source_id="261")
    assert (new.commune.code, new.address) == ("13055", "Rue B")


def test_a_dataset_keyed_reimport_is_idempotent():
    assert "719 created" in run_import(GPSO, "--dataset", "gpso/places-pmr")
    sums = database_sums()[AccessibilityPoint._meta.db_table]
    output = run_import(GPSO, "--dataset", "gpso/places-pmr")
    assert "0 created, 0 updated, 719 unchanged, 0 rejected" in output
    assert database_sums()[AccessibilityPoint._meta.db_table] == sums
    dataset = Dataset.objects.get(publisher="gpso", identifier="places-pmr")
    assert dataset.points.count() == 719


def test_a_repeated_id_is_an_error_naming_both_rows(tmp_path):
    boulogne = point_in("92012")
    path = points_file(
        tmp_path, "dup.csv",
        f"A1;{boulogne.x};{boulogne.y};Rue A;",
        f"A2;{boulogne.x};{boulogne.y};Rue B;",
        f"A1;{boulogne.x};{boulogne.y};Rue C;",
    )  # fmt: skip
    message = refused(path, "--dataset", "x/dup", *MAP)
    assert "A1" in message and "rows 2 and 4" in message
    output = run_import(path, "--dataset", "x/dup", *MAP, "--partial")
    assert "2 created" in output and "1 rejected" in output


def test_moves_are_listed_and_refused_until_confirmed(tmp_path):
    boulogne, issy = point_in("92012"), point_in("92040")
    first = points_file(
        tmp_path, "v1.csv",
        f"A1;{boulogne.x};{boulogne.y};Rue A;",
        f"A2;{boulogne.x};{boulogne.y};Rue B;",
    )  # fmt: skip
    run_import(first, "--dataset", "x/moves", *MAP)
    # A1 to another commune, A2 about 70 m north in the same commune.
    second = points_file(
        tmp_path, "v2.csv",
        f"A1;{issy.x};{issy.y};Rue A;",
        f"A2;{boulogne.x};{boulogne.y + 0.00063};Rue B;",
    )  # fmt: skip
    message = refused(second, "--dataset", "x/moves", *MAP)
    assert "from commune 92012 to 92040" in message
    assert "A2 moves 70 m within commune 92012" in message
    assert "--confirm-moves" in message
    output = run_import(second, "--dataset", "x/moves", *MAP, "--confirm-moves")
    assert "2 updated" in output
    moved = AccessibilityPoint.objects.get(source_id="A1")
    assert moved.commune.code == "92040"


def test_a_small_correction_is_not_a_move(tmp_path):
    boulogne = point_in("92012")
    run_import(points_file(tmp_path, "v1.csv", f"A1;{boulogne.x};{boulogne.y};Rue A;"), "--dataset", "x/near", *MAP)  # fmt: skip
    nudged = points_file(tmp_path, "v2.csv", f"A1;{boulogne.x};{boulogne.y + 0.0002};Rue A;")  # fmt: skip
    assert "1 updated" in run_import(nudged, "--dataset", "x/near", *MAP)


def test_unknown_columns_and_unknown_map_targets_are_errors_naming_them(tmp_path):
    boulogne = point_in("92012")
    path = points_file(tmp_path, "p.csv", f"A1;{boulogne.x};{boulogne.y};Rue A;")
    assert "“adresse”" in refused(path, "--dataset", "x/map", "--map", "adresse=rue")
    message = refused(path, "--dataset", "x/map", "--map", "address=street")
    assert "street" in message and "ref, lon, lat, rue, insee" in message
    assert "nope" in refused(path, "--dataset", "x/map", "--where", "nope=1")


def test_decimal_commas_and_a_row_filter_that_says_what_it_skipped(tmp_path):
    boulogne = point_in("92012")
    lon, lat = (f"{v:.6f}".replace(".", ",") for v in (boulogne.x, boulogne.y))
    path = write_csv(
        tmp_path / "typed.csv",
        "ref;lon;lat;TYPE;longueur",
        f'A1;"{lon}";"{lat}";GIG;"5,00"',
        f'A2;"{lon}";"{lat}";livraison;"4,5"',
        f'A3;"{lon}";"{lat}";gic;"3,25"',
    )
    output = run_import(
        path, "--dataset", "x/typed", "--map", "source_id=ref",
        "--map", "length_m=longueur", "--where", "TYPE=GIG/GIC",
    )  # fmt: skip
    assert "2 created" in output and "1 skipped by the row filter" in output
    lengths = dict(AccessibilityPoint.objects.values_list("source_id", "length_m"))
    assert {k: str(v) for k, v in lengths.items()} == {"A1": "5.00", "A3": "3.25"}
    stored = AccessibilityPoint.objects.get(source_id="A1").point
    assert stored.x == pytest.approx(boulogne.x, abs=1e-6)
    # Saved with the dataset, proposed (here: used) the next time.
    dataset = Dataset.objects.get(publisher="x", identifier="typed")
    assert dataset.row_filter == ["TYPE=GIG/GIC"]
    assert dataset.mapping["length_m"] == ["longueur"]
    assert "2 unchanged" in run_import(path, "--dataset", "x/typed")


def test_a_commune_code_that_does_not_exist_is_an_error_not_a_guess(tmp_path):
    boulogne = point_in("92012")
    path = points_file(
        tmp_path, "code.csv", f"A1;{boulogne.x};{boulogne.y};Rue A;99999"
    )
    message = refused(path, "--dataset", "x/code", *MAP)
    assert "row 2" in message and "99999 does not exist" in message


def test_over_long_text_is_an_error_naming_the_field_and_its_limit(tmp_path):
    boulogne = point_in("92012")
    street = "Rue " + "très longue " * 30
    path = points_file(tmp_path, "long.csv", f"A1;{boulogne.x};{boulogne.y};{street};")
    message = refused(path, "--dataset", "x/long", *MAP)
    assert "row 2" in message and "address" in message and "255" in message


def test_a_malformed_dataset_key_is_refused(tmp_path):
    assert "PUBLISHER/IDENTIFIER" in refused(GPSO, "--dataset", "no slash here")


def test_existing_points_become_a_dataset_per_source_kind():
    """The data migration of 0006: (source kind, source id) -> (dataset, source id)."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("sites.migrations.0006_datasets")
    boulogne = point_in("92012")
    from territory.models import Territory

    commune = Territory.objects.communes().get(code="92012")
    for source in ("open_data", "municipality"):
        AccessibilityPoint.objects.create(
            point=boulogne, commune=commune, source=source, source_id="261"
        )
    volunteer = AccessibilityPoint.objects.create(point=boulogne, commune=commune)
    migration.key_points_on_a_dataset_per_source_kind(apps, None)
    keys = set(
        AccessibilityPoint.objects.exclude(pk=volunteer.pk).values_list(
            "dataset__publisher", "dataset__identifier", "source_id"
        )
    )
    assert keys == {
        ("terrain-commun", "open-data", "261"),
        ("terrain-commun", "municipality", "261"),
    }
    volunteer.refresh_from_db()
    assert volunteer.dataset is None  # a volunteer's report has no source id to key
