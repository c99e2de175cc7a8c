"""Territory imports refuse nonsense, and a refused import changes nothing."""

import json

import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.core.management import CommandError, call_command
from django.db import connection

from territory.cog import load_cog
from territory.models import Level, Territory
from territory.services import TerritoryImportError, import_files
from territory.sources import REFERENCE_DIR, read_json

pytestmark = pytest.mark.django_db
COG = REFERENCE_DIR / "cog"


def territory_checksum() -> tuple[int, str]:
    """Rows and an order-independent md5 of the table (as deploy/backup.py's checksums)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))) "
            "FROM territory_territory t"
        )
        return cursor.fetchone()


def features_of(path, codes) -> list[dict]:
    return [f for f in read_json(path)["features"] if f["properties"]["code"] in codes]


def write(tmp_path, name, features, crs: str | None = None):
    document: dict = {"type": "FeatureCollection", "features": features}
    if crs:
        document["crs"] = {"type": "name", "properties": {"name": crs}}
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def square(lon, lat, size=0.01) -> dict:
    ring = [
        [lon, lat],
        [lon + size, lat],
        [lon + size, lat + size],
        [lon, lat + size],
        [lon, lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def refused(level, path, **options) -> str:
    """The import's error message, after checking that it changed nothing."""
    before = territory_checksum()
    with pytest.raises(TerritoryImportError) as error:
        import_files(level, [path], cog=load_cog(COG), **options)
    assert territory_checksum() == before
    return str(error.value)


def test_wgs84_coordinates_declared_as_lambert93_are_refused(tmp_path):
    reunion = features_of(REFERENCE_DIR / "departements.geojson.xz", {"974"})
    path = write(tmp_path, "reunion.geojson", reunion, crs="urn:ogc:def:crs:EPSG::2154")
    message = refused(Level.DEPARTEMENT, path)
    assert "reunion.geojson: feature 1: code 974" in message
    assert "EPSG:2154" in message
    assert "look like longitude/latitude" in message


@pytest.mark.parametrize(
    ("geometry", "expected"),
    [
        (square(2.0, 1.0), "nearest plausible area is mainland France and Corsica"),
        (square(-50.0, 10.0), "nearest plausible area is Guyane"),
        (square(500.0, 43.0), "coordinates out of range"),
        (square(5.0, 95.0), "coordinates out of range"),
    ],
)
def test_geometries_outside_france_or_the_globe_are_refused(
    tmp_path, geometry, expected
):
    feature = {
        "type": "Feature",
        "properties": {"code": "13", "nom": "BdR"},
        "geometry": geometry,
    }
    message = refused(Level.DEPARTEMENT, write(tmp_path, "far.geojson", [feature]))
    assert "far.geojson: feature 1: code 13" in message
    assert expected in message
    assert "bbox (" in message


@pytest.mark.parametrize("level", [Level.REGION, Level.DEPARTEMENT])
def test_a_commune_file_is_refused_as_regions_or_departements(tmp_path, level):
    communes = features_of(
        REFERENCE_DIR / "communes" / "13.geojson.xz", {"13001", "13055"}
    )
    path = write(tmp_path, "communes.geojson", communes)
    before = territory_checksum()
    with pytest.raises(CommandError) as error:
        call_command("import_territories", str(path), level=level)
    assert territory_checksum() == before
    word = "région" if level == Level.REGION else "département"
    assert f"13001 is not a {word} code of the COG" in str(error.value)
    assert f"13055 is not a {word} code of the COG" in str(error.value)


def test_a_commune_outside_its_departement_is_refused_with_its_distance(tmp_path):
    (marseille,) = features_of(REFERENCE_DIR / "communes" / "13.geojson.xz", {"13055"})
    moved = GEOSGeometry(json.dumps(marseille["geometry"]))
    moved.transform(
        "+proj=longlat +datum=WGS84 +lon_0=-1 +no_defs"
    )  # 1° east, into the Var
    path = write(
        tmp_path, "moved.geojson", [{**marseille, "geometry": json.loads(moved.json)}]
    )
    message = refused(Level.COMMUNE, path)
    assert "commune 13055: its point on surface is" in message
    assert "m outside departement 13 (tolerance 1,000 m)" in message
    metres = int(
        message.split("its point on surface is ")[1].split(" m")[0].replace(",", "")
    )
    assert 1_000 < metres < 100_000
    # Asked for a wider tolerance, the same file passes.
    report = import_files(Level.COMMUNE, [path], cog=load_cog(COG), tolerance=200_000)
    assert report.updated == 1


def test_a_former_code_alone_never_replaces_its_current_commune(tmp_path):
    # 93059 Pierrefitte-sur-Seine merged into 93066 Saint-Denis in 2025.
    pierrefitte = features_of(REFERENCE_DIR / "communes" / "93.geojson.xz", {"93059"})
    path = write(tmp_path, "pierrefitte.geojson", pierrefitte)
    before = territory_checksum()
    report = import_files(Level.COMMUNE, [path], cog=load_cog(COG))
    assert territory_checksum() == before
    assert report.kept_partial == {"93066": ["93059"]}
    assert report.updated == report.created == 0
    assert "commune 93066: current outline kept" in report.summary()


def test_dry_run_reports_changes_and_refusals_and_changes_nothing(tmp_path):
    departements = features_of(REFERENCE_DIR / "departements.geojson.xz", {"13", "2A"})
    departements[0]["properties"]["nom"] = "Renamed"
    bad = {
        "type": "Feature",
        "properties": {"code": "13001"},
        "geometry": square(5.4, 43.5),
    }
    path = write(tmp_path, "mixed.geojson", [*departements, bad])
    before = territory_checksum()
    report = import_files(Level.DEPARTEMENT, [path], cog=load_cog(COG), dry_run=True)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert report.refused == [
        "mixed.geojson: feature 3: 13001 is not a département code of the COG"
    ]
    assert territory_checksum() == before
    with pytest.raises(CommandError, match="would be refused"):
        call_command("import_territories", str(path), level="departement", dry_run=True)
    assert territory_checksum() == before


def test_dry_run_of_a_clean_file_says_what_would_be_updated(tmp_path, capsys):
    departements = features_of(REFERENCE_DIR / "departements.geojson.xz", {"92"})
    departements[0]["properties"]["nom"] = "Renamed"
    path = write(tmp_path, "clean.geojson", departements)
    before = territory_checksum()
    call_command("import_territories", str(path), level="departement", dry_run=True)
    out = capsys.readouterr().out
    assert "departement: 0 would be created, 1 would be updated, 0 unchanged" in out
    assert "Dry run: nothing was changed." in out
    assert territory_checksum() == before


def test_an_updated_commune_recomputes_its_epci_outline(tmp_path):
    (boulogne,) = features_of(REFERENCE_DIR / "communes" / "92.geojson.xz", {"92012"})
    shrunk = GEOSGeometry(json.dumps(boulogne["geometry"])).buffer(-0.002)
    path = write(
        tmp_path,
        "boulogne.geojson",
        [{**boulogne, "geometry": json.loads(shrunk.json)}],
    )
    epci = Territory.objects.get(level=Level.COMMUNE, code="92012").epci
    assert epci is not None
    report = import_files(Level.COMMUNE, [path], cog=load_cog(COG))
    assert report.updated == 1
    assert report.epcis_refreshed == [epci.code]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_Equals(e.geom, (SELECT ST_Union(c.geom) FROM territory_territory c "
            "WHERE c.epci_id = e.id)), ST_Equals(e.geom, %s::geometry) "
            "FROM territory_territory e WHERE e.id = %s",
            [epci.geom.ewkt, epci.id],
        )
        equals_union, equals_before = cursor.fetchone()
    assert equals_union and not equals_before


def hand_made_reference(tmp_path, extra_communes: list[dict]):
    """Shipped région 93, département 13 and its communes, with a COG that knows more."""
    import lzma
    import shutil

    source = tmp_path / "reference"
    (source / "communes").mkdir(parents=True)
    (source / "cog").mkdir()
    write(
        source,
        "regions.geojson",
        features_of(REFERENCE_DIR / "regions.geojson.xz", {"93"}),
    )
    departements = features_of(REFERENCE_DIR / "departements.geojson.xz", {"13"})
    write(source, "departements.geojson", departements)
    shutil.copy(REFERENCE_DIR / "communes" / "13.geojson.xz", source / "communes")
    for name in ("regions.json", "departements.json"):
        shutil.copy(COG / f"{name}.xz", source / "cog")
    communes = [*read_json(COG / "communes.json.xz"), *extra_communes]
    (source / "cog" / "communes.json.xz").write_bytes(
        lzma.compress(json.dumps(communes).encode())
    )
    return source


def test_a_recreated_commune_is_in_the_tree_with_an_approximate_outline(
    tmp_path, monkeypatch, client
):
    from django.contrib.gis.geos import Point

    from territory.services import import_reference

    recreated = {
        "code": "13998",
        "nom": "Recréée",
        "type": "commune-actuelle",
        "departement": "13",
    }
    unplaced = {
        "code": "13997",
        "nom": "Inconnue",
        "type": "commune-actuelle",
        "departement": "13",
    }
    monkeypatch.setattr("territory.cog.RECREATED_FROM", {"13998": "13055"})
    source = hand_made_reference(tmp_path, [recreated, unplaced])
    reports = import_reference(departements=["13"], source=source)

    assert reports[2].approximated == {
        "13998": "outline of 13055",
        "13997": "outline unknown",
    }
    assert "2 outlines approximate or unknown" in reports[2].summary()
    marseille = Territory.objects.get(level=Level.COMMUNE, code="13055")
    copy = Territory.objects.get(level=Level.COMMUNE, code="13998")
    assert copy.outline_quality == "approximate" and copy.geom.equals(marseille.geom)
    assert copy.path == "/NFR/R93/D13/C13998/"
    unknown = Territory.objects.get(level=Level.COMMUNE, code="13997")
    assert unknown.outline_quality == "unknown"
    assert (
        Territory.objects.get(level=Level.DEPARTEMENT, code="13")
        .descendants()
        .filter(code__in=["13997", "13998"])
        .count()
        == 2
    )
    # Which commune is here? Still Marseille, never its approximate copy.
    vieux_port = Point(5.3698, 43.2965, srid=4326)
    assert Territory.objects.commune_at(vieux_port).code == "13055"
    chain = client.get(
        "/api/v1/territories/at/", {"lon": 5.3698, "lat": 43.2965}
    ).json()
    assert [(t["code"], t["outline_quality"]) for t in chain][0] == ("13055", "exact")
    listed = client.get(
        "/api/v1/territories/", {"level": "commune", "q": "13998"}
    ).json()
    qualities = {
        f["properties"]["code"]: f["properties"]["outline_quality"]
        for f in listed["features"]
    }
    assert qualities.get("13998") == "approximate"
    # The commune's page says so to a reader of the département.
    from django.urls import reverse

    from actors.roles import Role
    from tests.factories import user_with

    reader = user_with(Role.OBSERVER, "13", Level.DEPARTEMENT)
    client.force_login(reader)
    reader.charter_version = 10**6
    reader.save(update_fields=["charter_version"])
    url = reverse("indicators:dashboard", args=["commune", "13998"])
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Approximate outline: this commune was re-created" in english
    french = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Contour approximatif : cette commune a été rétablie" in french
    page = client.get(reverse("indicators:dashboard", args=["commune", "13055"]))
    assert "outline-quality" not in page.content.decode()

    # An exact outline imported later replaces the borrowed one.
    (aubagne,) = features_of(REFERENCE_DIR / "communes" / "13.geojson.xz", {"13005"})
    path = write(
        tmp_path,
        "own.geojson",
        [{**aubagne, "properties": {"code": "13998", "nom": "Recréée"}}],
    )
    cog = load_cog(source / "cog")
    import_files(Level.COMMUNE, [path], cog=cog)
    copy.refresh_from_db()
    assert copy.outline_quality == "exact" and not copy.geom.equals(marseille.geom)


def test_every_current_commune_of_the_101_departements_has_an_outline_or_a_source():
    """34,875 communes in the tree: shipped outlines (under their code or a former
    one) cover all but the re-created ones, which borrow their source's outline."""
    cog = load_cog(COG)
    departements = {
        f["properties"]["code"]
        for f in read_json(REFERENCE_DIR / "departements.geojson.xz")["features"]
    }
    expected = {c for c, r in cog.communes.items() if r["departement"] in departements}
    assert len(departements) == 101 and len(expected) == 34_875
    drawn = {
        cog.current_code(f["properties"]["code"])
        for path in (REFERENCE_DIR / "communes").glob("*.geojson.xz")
        for f in read_json(path)["features"]
    }
    assert expected - drawn == set(cog.recreated_from)
    assert set(cog.recreated_from.values()) <= drawn


def test_dry_run_of_the_reference_changes_nothing_and_counts_what_exists():
    from territory.services import import_reference

    before = territory_checksum()
    reports = import_reference(departements=["92"], dry_run=True)
    assert territory_checksum() == before
    communes = reports[2]
    assert (communes.created, communes.updated, communes.unchanged) == (0, 0, 36)
    assert all(report.refused == [] for report in reports)


def test_a_reimport_with_nothing_new_does_nothing_unless_edited_or_forced(
    tmp_path, capsys
):
    departements = features_of(REFERENCE_DIR / "departements.geojson.xz", {"92"})
    departements[0]["properties"]["nom"] = "Renamed"
    path = write(tmp_path, "92.geojson", departements)
    hauts_de_seine = Territory.objects.filter(level=Level.DEPARTEMENT, code="92")

    def imported(**options) -> str:
        capsys.readouterr()
        call_command("import_territories", str(path), level="departement", **options)
        return capsys.readouterr().out

    assert "0 created, 1 updated, 0 unchanged" in imported()
    assert hauts_de_seine.get().name == "Renamed"
    before = territory_checksum()
    again = imported()
    assert again.startswith("Nothing to do: these files were imported on ")
    assert "departement: 0 created, 1 updated, 0 unchanged" in again  # that import
    assert territory_checksum() == before
    # Someone edited the table since: the file is read and applied again.
    edited = hauts_de_seine.get()
    edited.name = "Edited by hand"
    edited.save()
    assert "0 created, 1 updated, 0 unchanged" in imported()
    assert hauts_de_seine.get().name == "Renamed"
    forced = imported(force=True)
    assert "Nothing to do" not in forced
    assert "0 created, 0 updated, 1 unchanged" in forced
    # Other options, or other bytes: another import.
    assert "Nothing to do" not in imported(tolerance=2000)
    departements[0]["properties"]["nom"] = "Renamed again"
    write(tmp_path, "92.geojson", departements)
    assert "0 created, 1 updated, 0 unchanged" in imported(tolerance=2000)
    assert hauts_de_seine.get().name == "Renamed again"
