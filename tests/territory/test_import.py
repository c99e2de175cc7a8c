import json
import shutil
import subprocess

import pytest
from django.db import connection

from territory.cog import load_cog
from territory.models import Level, Territory
from territory.services import TerritoryImportError, import_files, import_reference
from territory.sources import REFERENCE_DIR, read_json
from tests.conftest import TEST_DEPARTEMENTS

pytestmark = pytest.mark.django_db
COG = REFERENCE_DIR / "cog"


def feature_count(path) -> int:
    return len(read_json(path)["features"])


def snapshot() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT level, code, name, path, population, md5(ST_AsEWKB(geom)::text), updated_at "
            "FROM territory_territory ORDER BY level, code"
        )
        return cursor.fetchall()


def test_counts_equal_the_files_counts():
    assert Territory.objects.of_level(Level.REGION).count() == feature_count(
        REFERENCE_DIR / "regions.geojson.xz"
    )
    assert Territory.objects.of_level(Level.DEPARTEMENT).count() == feature_count(
        REFERENCE_DIR / "departements.geojson.xz"
    )
    cog = load_cog(COG)
    current_codes = {
        cog.current_code(feature["properties"]["code"])
        for departement in TEST_DEPARTEMENTS
        for feature in read_json(
            REFERENCE_DIR / "communes" / f"{departement}.geojson.xz"
        )["features"]
    }
    assert Territory.objects.communes().count() == len(current_codes)
    # 93059 merged into 93066 in 2025: one commune fewer than the 2018 file's 40.
    assert Territory.objects.communes().filter(parent__code="93").count() == 39
    assert Territory.objects.of_level(Level.NATION).get().code == "FR"


@pytest.mark.parametrize(
    ("lon", "lat", "code"),
    [
        (5.3698, 43.2965, "13055"),
        (8.7369, 41.9192, "2A004"),
        (55.4504, -20.8823, "97411"),
    ],
)
def test_a_point_resolves_to_its_commune(lon, lat, code):
    from django.contrib.gis.geos import Point

    commune = Territory.objects.communes().containing(Point(lon, lat, srid=4326)).get()
    assert commune.code == code


def test_descendants_of_a_region_hold_its_communes_and_nothing_else():
    paca = Territory.objects.get(level=Level.REGION, code="93")
    communes = set(paca.descendants().communes().values_list("code", flat=True))
    assert "13055" in communes
    assert not any(code.startswith(("2A", "974", "92")) for code in communes)
    assert communes == set(
        Territory.objects.communes()
        .filter(parent__parent=paca)
        .values_list("code", flat=True)
    )
    assert paca not in paca.descendants()


def test_ancestors_go_from_the_nation_down():
    marseille = Territory.objects.get(level=Level.COMMUNE, code="13055")
    assert [t.code for t in marseille.ancestors()] == ["FR", "93", "13"]
    assert marseille.departement().code == "13"


def test_reimport_changes_nothing():
    before = snapshot()
    reports = import_reference(departements=TEST_DEPARTEMENTS)
    assert snapshot() == before
    assert all(r.created == 0 and r.updated == 0 for r in reports)


def test_former_codes_map_to_their_successor(tmp_path):
    # 93059 Pierrefitte-sur-Seine (COG 2018) merged into 93066 Saint-Denis in 2025.
    source = read_json(REFERENCE_DIR / "communes" / "93.geojson.xz")
    kept = [
        f for f in source["features"] if f["properties"]["code"] in ("93059", "93066")
    ]
    path = tmp_path / "saint-denis.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": kept}))
    report = import_files(Level.COMMUNE, [path], cog=load_cog(COG))
    assert report.mapped == {"93059": "93066"}
    saint_denis = Territory.objects.get(level=Level.COMMUNE, code="93066")
    assert not Territory.objects.filter(code="93059").exists()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_Area(%s::geography) / sum(ST_Area(ST_GeomFromGeoJSON(g)::geography)) FROM unnest(%s::text[]) g",
            [saint_denis.geom.ewkt, [json.dumps(f["geometry"]) for f in kept]],
        )
        (ratio,) = cursor.fetchone()
    assert ratio == pytest.approx(1.0, rel=1e-3)


def broken_file(tmp_path, bad_feature: dict):
    source = read_json(REFERENCE_DIR / "departements.geojson.xz")
    features = [
        f for f in source["features"] if f["properties"]["code"] in ("13", "2A")
    ]
    features[0] = {
        **features[0],
        "properties": {**features[0]["properties"], "nom": "Renamed"},
    }
    path = tmp_path / "broken.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": [*features, bad_feature]})
    )
    return path


@pytest.mark.parametrize(
    ("bad_feature", "reason"),
    [
        (
            {
                "type": "Feature",
                "properties": {"nom": "Nowhere"},
                "geometry": {"type": "Point", "coordinates": [1, 2]},
            },
            "no 'code'",
        ),
        (
            {
                "type": "Feature",
                "properties": {"code": "84", "nom": "Vaucluse"},
                "geometry": None,
            },
            "no usable geometry",
        ),
        (
            {
                "type": "Feature",
                "properties": {"code": "84", "nom": "Vaucluse"},
                "geometry": {"type": "Point", "coordinates": [5, 44]},
            },
            "not a polygon",
        ),
        (
            {
                "type": "Feature",
                "properties": {"code": "84", "nom": "Vaucluse"},
                "geometry": {"type": "Polygon", "coordinates": "unparseable"},
            },
            "no usable geometry",
        ),
    ],
)
def test_a_file_with_one_unusable_feature_is_rejected_whole(
    tmp_path, bad_feature, reason
):
    path = broken_file(tmp_path, bad_feature)
    before = snapshot()
    with pytest.raises(TerritoryImportError) as error:
        import_files(Level.DEPARTEMENT, [path], cog=load_cog(COG))
    assert "broken.geojson: feature 3" in str(error.value)
    assert reason in str(error.value)
    assert snapshot() == before


def test_an_unreadable_file_is_rejected_with_its_name(tmp_path):
    path = tmp_path / "garbage.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [ {"type": "Feat')
    with pytest.raises(TerritoryImportError, match="garbage.geojson"):
        import_files(Level.DEPARTEMENT, [path], cog=load_cog(COG))


def test_a_self_intersecting_polygon_is_repaired_and_reported(tmp_path):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[5.0, 43.2], [5.6, 43.6], [5.6, 43.2], [5.0, 43.6], [5.0, 43.2]]
        ],
    }
    feature = {
        "type": "Feature",
        "properties": {"code": "13", "nom": "Bouches-du-Rhône"},
        "geometry": bowtie,
    }
    path = tmp_path / "bowtie.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    # The bow-tie's point on surface falls in the sea, 3 km off the région's outline.
    report = import_files(
        Level.DEPARTEMENT, [path], cog=load_cog(COG), tolerance=10_000
    )
    assert report.repaired == ["13"]
    assert report.updated == 1
    repaired = Territory.objects.get(level=Level.DEPARTEMENT, code="13").geom
    assert repaired.valid
    assert len(repaired) == 2  # the bow-tie becomes its two triangles


@pytest.mark.skipif(
    shutil.which("ogr2ogr") is None, reason="gdal-bin is installed by make test"
)
def test_a_lambert93_geopackage_imports_to_the_same_codes_and_areas(tmp_path):
    source = tmp_path / "departements.geojson"
    source.write_text(json.dumps(read_json(REFERENCE_DIR / "departements.geojson.xz")))
    gpkg = tmp_path / "departements-l93.gpkg"
    subprocess.run(
        [
            "ogr2ogr",
            "-f",
            "GPKG",
            "-t_srs",
            "EPSG:2154",
            "-where",
            "code IN ('13','2A','92')",
            str(gpkg),
            str(source),
        ],
        check=True,
    )
    areas = dict(_areas(["13", "2A", "92"]))
    report = import_files(Level.DEPARTEMENT, [gpkg], cog=load_cog(COG))
    assert report.created == 0
    after = dict(_areas(["13", "2A", "92"]))
    assert after.keys() == areas.keys() == {"13", "2A", "92"}
    for code, area in areas.items():
        assert after[code] == pytest.approx(area, rel=1e-3)


def _areas(codes):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT code, ST_Area(geom::geography) FROM territory_territory WHERE level = 'departement' AND code = ANY(%s)",
            [codes],
        )
        return cursor.fetchall()
