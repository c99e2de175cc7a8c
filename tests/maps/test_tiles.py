"""Vector tiles: each holds exactly what the role may see, aggregated by zoom."""

import gzip
import math

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import MultiPolygon, Point
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from actors.roles import Role
from sites.models import AccessibilityPoint, RestrictedZone, Site
from territory.models import Territory
from tests.factories import point_in, user_with

pytestmark = pytest.mark.django_db


def tile_of(point: Point, z: int) -> tuple[int, int, int]:
    side = 2**z
    x = int((point.x + 180) / 360 * side)
    y = int((1 - math.asinh(math.tan(math.radians(point.y))) / math.pi) / 2 * side)
    return z, x, y


def client_of(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def get_tile(client, layer, z, x, y, **params):
    return client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf", params)


def features(response, layer="sites") -> list[dict]:
    if response.status_code == 204:
        return []
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(response.content)[layer]["features"]


def site_at(code: str, east: float = 0.0, **fields) -> Site:
    base = point_in(code)
    point = Point(base.x + east, base.y, srid=4326)
    return Site.objects.create(
        point=point, commune=Territory.objects.commune_at(point), **fields
    )


@pytest.fixture
def marseille():
    """13 sites a few metres apart in Marseille (13055), people known for 12."""
    return [
        site_at("13055", i * 0.00005, name=f"Marseille {i}", people=i or None)
        for i in range(13)
    ]


def test_association_of_92_sees_none_of_the_marseille_sites_and_national_sees_all(
    marseille,
):
    asso92 = user_with(Role.CONTRIBUTOR, "92012")
    national = user_with(Role.NATIONAL, "FR")
    tiles = {tile_of(site.point, 13) for site in marseille}
    seen = {"asso92": set(), "national": set()}
    for tile in tiles:
        seen["asso92"] |= {f["id"] for f in features(get_tile(client_of(asso92), "sites", *tile))}  # fmt: skip
        national_features = features(get_tile(client_of(national), "sites", *tile))
        seen["national"] |= {f["id"] for f in national_features}
        # Exactly the sites of this tile (its 64-unit buffer holds none of another).
        assert {f["id"] for f in national_features} == {
            s.pk for s in marseille if tile_of(s.point, 13) == tile
        }
    assert seen == {"asso92": set(), "national": {s.pk for s in marseille}}


def test_a_site_feature_carries_the_light_properties_only(marseille):
    national = user_with(Role.NATIONAL, "FR")
    site = marseille[5]
    found = features(get_tile(client_of(national), "sites", *tile_of(site.point, 14)))
    feature = next(f for f in found if f["id"] == site.pk)
    assert feature["properties"] == {
        "id": site.pk,
        "name": "Marseille 5",
        "status": "open",
        "kind": site.kind,
        "people": 5,
        "water_status": site.water_status,
        "toilets_status": site.toilets_status,
        "electricity_status": site.electricity_status,
        "commune_code": "13055",
    }
    assert feature["geometry"]["type"] == "Point"


def test_unknown_people_are_left_out_of_the_properties(marseille):
    national = user_with(Role.NATIONAL, "FR")
    site = marseille[0]
    found = features(get_tile(client_of(national), "sites", *tile_of(site.point, 14)))
    assert "people" not in next(f for f in found if f["id"] == site.pk)["properties"]


def test_low_zooms_count_sites_per_departement_for_the_sites_one_may_see(marseille):
    site_at("92012", people=40)
    site_at("92040", people=2)
    national = user_with(Role.NATIONAL, "FR")
    asso92 = user_with(Role.CONTRIBUTOR, "92012")
    by_code = {}
    for user in (national, asso92):
        for point in (marseille[0].point, point_in("92012")):
            for f in features(get_tile(client_of(user), "sites", *tile_of(point, 5))):
                by_code[user.pk, f["properties"]["code"]] = f["properties"]
    assert by_code == {
        (national.pk, "13"): {"aggregate": "departement", "code": "13", "name": "Bouches-du-Rhône", "count": 13, "people": 78},
        (national.pk, "92"): {"aggregate": "departement", "code": "92", "name": "Hauts-de-Seine", "count": 2, "people": 42},
        (asso92.pk, "92"): {"aggregate": "departement", "code": "92", "name": "Hauts-de-Seine", "count": 2, "people": 42},
    }  # fmt: skip


def test_middle_zooms_count_per_commune_then_per_grid_cell(marseille):
    site_at("13001", people=7)  # Aix-en-Provence
    national = client_of(user_with(Role.NATIONAL, "FR"))
    at_9 = features(get_tile(national, "sites", *tile_of(marseille[0].point, 9)))
    communes = {f["properties"]["code"]: f["properties"] for f in at_9}
    assert communes["13055"] == {"aggregate": "commune", "code": "13055", "name": "Marseille", "count": 13, "people": 78}  # fmt: skip
    cells = []
    for tile in {tile_of(site.point, 11) for site in marseille}:
        cells += features(get_tile(national, "sites", *tile))
    assert {f["properties"]["aggregate"] for f in cells} == {"cell"}
    assert sum(f["properties"]["count"] for f in cells) == 13
    assert sum(f["properties"].get("people", 0) for f in cells) == 78


def test_the_api_filters_apply_to_tiles(marseille):
    site_at("13055", 0.0002, kind="building", status="closed_other", people=1000)
    national = client_of(user_with(Role.NATIONAL, "FR"))
    tile = tile_of(marseille[0].point, 5)

    def count(**params):
        return sum(f["properties"]["count"] for f in features(get_tile(national, "sites", *tile, **params)))  # fmt: skip

    assert count() == 14
    assert count(status="open") == 13
    assert count(kind="building") == 1
    assert count(territory="92") == 0
    assert count(territory="13055", status=["open", "closed_other"]) == 14
    assert get_tile(national, "sites", *tile, status="nonsense").status_code == 400


def test_anonymous_visitors_get_no_site_at_any_zoom(marseille):
    anonymous = client_of()
    for z in (0, 5, 9, 11, 13):
        response = get_tile(anonymous, "sites", *tile_of(marseille[0].point, z))
        assert response.status_code == 401
        assert not response.content.startswith(b"\x1a")  # no MVT layer
    assert anonymous.get("/tiles/sites.json").status_code == 401


def test_a_tile_is_one_query_however_many_sites(marseille):
    national = client_of(user_with(Role.NATIONAL, "FR"))
    tile = tile_of(marseille[0].point, 13)
    get_tile(national, "sites", *tile)  # the user's scope is cached after this
    with CaptureQueriesContext(connection) as one:
        get_tile(national, "sites", *tile)
    site_at("13055", 0.0001)
    with CaptureQueriesContext(connection) as more:
        get_tile(national, "sites", *tile)
    assert len(one) == len(more)
    assert sum("ST_AsMVT" in q["sql"] for q in more.captured_queries) == 1


def test_an_empty_tile_is_204_and_unknown_layers_or_tiles_are_404():
    national = client_of(user_with(Role.NATIONAL, "FR"))
    assert get_tile(national, "sites", 5, 0, 0).status_code == 204
    assert get_tile(national, "roads", 5, 0, 0).status_code == 404
    assert get_tile(national, "sites", 2, 4, 0).status_code == 404


def test_tilejson_describes_the_layer_and_its_template_answers(marseille):
    national = client_of(user_with(Role.NATIONAL, "FR"))
    response = national.get("/tiles/sites.json", {"status": "open"})
    document = response.json()
    assert {"tilejson", "name", "tiles", "minzoom", "maxzoom", "bounds", "center", "attribution", "vector_layers"} <= set(document)  # fmt: skip
    assert document["tilejson"] == "3.0.0"
    assert document["vector_layers"][0]["id"] == "sites"
    assert {"count", "people", "id", "status"} <= set(document["vector_layers"][0]["fields"])  # fmt: skip
    west, south, east, north = document["bounds"]
    assert west < -61 and south < -21 and east > 55 and north > 51  # with overseas
    template = document["tiles"][0]
    assert template.startswith("http://testserver/tiles/sites/{z}/{x}/{y}.pbf?")
    assert "status=open" in template
    z, x, y = tile_of(marseille[0].point, 13)
    url = template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
    assert len(features(national.get(url.removeprefix("http://testserver")))) == 13


def test_every_public_layer_has_a_tilejson_for_anonymous_visitors():
    for layer in ("accessibility-points", "restricted-zones", "territories"):
        document = client_of().get(f"/tiles/{layer}.json").json()
        assert document["name"] == layer
        assert document["tiles"][0].endswith(f"/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf")


def test_etag_then_if_none_match_gives_304_and_the_etag_holds_the_scope(marseille):
    site = site_at("92012")
    tile = tile_of(site.point, 14)
    asso92 = client_of(user_with(Role.CONTRIBUTOR, "92012"))
    national = client_of(user_with(Role.NATIONAL, "FR"))
    first = get_tile(national, "sites", *tile)
    assert first["Cache-Control"] == "private, max-age=60"
    again = national.get(first.wsgi_request.get_full_path(), HTTP_IF_NONE_MATCH=first["ETag"])  # fmt: skip
    assert again.status_code == 304
    assert again.content == b""
    same_bytes = get_tile(asso92, "sites", *tile)
    assert same_bytes.content == first.content
    assert same_bytes["ETag"] != first["ETag"]


def test_tiles_and_json_leave_gzipped_when_the_client_accepts_it():
    anonymous = client_of()
    tile = anonymous.get("/tiles/territories/5/16/11.pbf", HTTP_ACCEPT_ENCODING="gzip")
    assert tile["Content-Encoding"] == "gzip"
    assert tile["Cache-Control"] == "public, max-age=3600"
    decoded = mapbox_vector_tile.decode(gzip.decompress(tile.content))
    assert "Bouches-du-Rhône" in {f["properties"]["name"] for f in decoded["territories"]["features"]}  # fmt: skip
    document = anonymous.get("/tiles/territories.json", HTTP_ACCEPT_ENCODING="gzip")
    assert document["Content-Encoding"] == "gzip"


def test_territory_outlines_change_level_with_zoom():
    anonymous = client_of()
    marseille = point_in("13055")

    def levels(z):
        found = features(get_tile(anonymous, "territories", *tile_of(marseille, z)), "territories")  # fmt: skip
        return {f["properties"]["level"] for f in found}

    assert levels(3) == {"region"}
    assert levels(6) == {"departement"}
    assert levels(10) == {"commune"}


def test_accessibility_points_are_public_per_commune_then_one_by_one():
    here = point_in("92012")
    AccessibilityPoint.objects.create(point=here, commune=Territory.objects.commune_at(here), spaces=2)  # fmt: skip
    AccessibilityPoint.objects.create(point=here, commune=Territory.objects.commune_at(here), spaces=1, status="removed")  # fmt: skip
    anonymous = client_of()
    response = get_tile(anonymous, "accessibility-points", *tile_of(here, 10))
    assert response["Cache-Control"] == "public, max-age=3600"
    [commune] = features(response, "accessibility-points")
    assert commune["properties"] == {"aggregate": "commune", "code": "92012", "count": 1, "spaces": 2}  # fmt: skip
    points = features(get_tile(anonymous, "accessibility-points", *tile_of(here, 12)), "accessibility-points")  # fmt: skip
    assert [p["properties"]["spaces"] for p in points] == [2]
    assert set(points[0]["properties"]) == {"id", "spaces", "status", "commune_code"}
    # A local admin of 92 also sees the removed one, in a private tile.
    admin = client_of(user_with(Role.LOCAL_ADMIN, "92"))
    response = get_tile(admin, "accessibility-points", *tile_of(here, 12))
    assert response["Cache-Control"] == "private, max-age=60"
    assert len(features(response, "accessibility-points")) == 2


def test_restricted_zones_are_public_polygons_from_zoom_10():
    here = point_in("92012")
    zone = RestrictedZone.objects.create(
        name="Zone piétonne",
        geom=MultiPolygon(here.buffer(0.001)),
        commune=Territory.objects.commune_at(here),
        disabled_access="allowed",
    )
    anonymous = client_of()
    assert get_tile(anonymous, "restricted-zones", *tile_of(here, 9)).status_code == 204
    response = get_tile(anonymous, "restricted-zones", *tile_of(here, 12))
    assert response["Cache-Control"] == "public, max-age=3600"
    [feature] = features(response, "restricted-zones")
    assert feature["properties"] == {"id": zone.pk, "name": "Zone piétonne", "commune_code": "92012", "disabled_access": "allowed"}  # fmt: skip
    assert feature["geometry"]["type"] == "Polygon"
