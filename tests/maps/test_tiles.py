"""Vector tiles: each holds exactly what the role may see, aggregated by zoom."""

import datetime
import gzip
import math

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from actors.roles import Role
from interventions.models import Intervention, InterventionReport
from maps import tiles as map_tiles
from maps.management.commands.bench_tiles import make_sites
from sites.models import AccessibilityPoint, RestrictedZone, Site
from territory.models import Territory
from tests.factories import OrganizationFactory, point_in, territory, user_with

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
        # Exactly the sites of this tile (its buffer holds none of another).
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


def pixel_of(point: Point, tile: tuple[int, int, int], extent: int = 4096):
    """Where a point falls in a decoded tile (mapbox_vector_tile's y axis points up)."""
    z, x, y = tile
    side = 2**z
    px = ((point.x + 180) / 360 * side - x) * extent
    merc = (1 - math.asinh(math.tan(math.radians(point.y))) / math.pi) / 2 * side
    return round(px), round((1 - (merc - y)) * extent)


@pytest.fixture
def bouches_du_rhone(marseille):
    """Marseille's 13 open sites (78 people) and a closed one; Aix-en-Provence 4 open
    sites (20 people); Allauch one open site (7 people): too few to be shown."""
    site_at("13055", 0.001, status="closed_other", people=1000)
    aix = [site_at("13001", i * 0.0001, people=5) for i in range(4)]
    allauch = site_at("13002", people=7)
    return [*marseille, *aix, allauch]


def test_anonymous_visitors_get_published_aggregates_only(bouches_du_rhone):
    anonymous = client_of()
    seen = {}
    for z in (0, 5, 7, 8, 9, 11, 13, 16):  # z0: one tile holds all
        tile = tile_of(bouches_du_rhone[0].point, z)
        response = get_tile(anonymous, "sites", *tile)
        assert response["Cache-Control"] == "public, max-age=600"
        assert "Cookie" in response["Vary"]  # a signed-in user's tile is another one
        for feature in features(response):
            assert not feature.get("id")  # 0: the decoder's default, no id written
            assert set(feature["properties"]) == {"aggregate", "code", "name", "count", "people"}  # fmt: skip
            assert feature["geometry"]["type"] == "Point"
            # Drawn on its territory's label point, whatever the sites' positions.
            code = feature["properties"]["code"]
            label = territory(code).label_point
            assert feature["geometry"]["coordinates"] == list(pixel_of(label, tile))
            seen[z, feature["properties"]["code"]] = feature["properties"]
    # 13 + 4 + 1 open sites, 105 people rounded to 110. Allauch (1 site) is hidden,
    # and so is Aix, else Allauch would be the département minus Marseille and Aix.
    departement = {"aggregate": "departement", "code": "13", "name": "Bouches-du-Rhône", "count": 18, "people": 110}  # fmt: skip
    marseille = {"aggregate": "commune", "code": "13055", "name": "Marseille", "count": 13, "people": 80}  # fmt: skip
    assert seen == {
        **{(z, "13"): departement for z in (0, 5, 7)},
        **{(z, "13055"): marseille for z in (8, 9, 11, 13, 16)},
    }
    document = anonymous.get("/tiles/sites.json")
    assert document.status_code == 200
    assert document["Cache-Control"] == "public, max-age=3600"


def test_anonymous_aggregates_ignore_filters_and_skip_empty_or_small_departements(
    bouches_du_rhone,
):
    site_at("92012", people=40)  # one site in the 92: no figure for the 92 at all
    anonymous = client_of()
    codes = set()
    for point in (bouches_du_rhone[0].point, point_in("92012")):
        tile = tile_of(point, 5)
        response = get_tile(anonymous, "sites", *tile, status="closed_other")
        codes |= {f["properties"]["code"] for f in features(response)}
    assert codes == {"13"}


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


def test_low_zoom_tiles_are_one_query_that_computes_no_label_point(
    marseille, monkeypatch
):
    monkeypatch.setattr(map_tiles, "AGGREGATE_CACHE_SECONDS", 0)  # each call computes
    national = client_of(user_with(Role.NATIONAL, "FR"))
    anonymous = client_of()
    tiles = [tile_of(marseille[0].point, z) for z in (5, 9)]
    for tile in tiles:  # scopes and public aggregates are cached after this
        get_tile(national, "sites", *tile)
        get_tile(anonymous, "sites", *tile)
    counts = []
    for extra in range(2):
        site_at("13001", 0.0001 * extra)
        cache.clear()  # the public aggregates are computed again, once
        get_tile(anonymous, "sites", *tiles[0])
        for client in (national, anonymous):
            for tile in tiles:
                with CaptureQueriesContext(connection) as queries:
                    get_tile(client, "sites", *tile)
                sql = [q["sql"] for q in queries.captured_queries]
                assert sum("ST_AsMVT" in q for q in sql) == 1
                # Label points are stored (Territory.label_point), never computed.
                assert not any("ST_PointOnSurface" in q for q in sql)
                counts.append(len(sql))
    assert counts[:4] == counts[4:]


def mvt_queries(client, tile, layer="sites") -> tuple[int, list[dict]]:
    with CaptureQueriesContext(connection) as queries:
        found = features(get_tile(client, layer, *tile), layer)
    return sum("ST_AsMVT" in q["sql"] for q in queries.captured_queries), found


def test_aggregate_tiles_are_cached_per_scope_until_a_site_changes(marseille):
    national = client_of(user_with(Role.NATIONAL, "FR"))
    asso13 = client_of(user_with(Role.CONTRIBUTOR, "13055"))
    asso92 = client_of(user_with(Role.CONTRIBUTOR, "92012"))
    z5 = tile_of(marseille[0].point, 5)
    assert mvt_queries(national, z5)[0] == 1
    computed, found = mvt_queries(national, z5)
    assert computed == 0  # from the cache
    # In a table of their own: a full table is culled, and rate limits live in the other.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM terrain_tile_cache WHERE cache_key LIKE '%%tile:%%'"
        )
        assert cursor.fetchone()[0] == 1
        cursor.execute(
            "SELECT count(*) FROM terrain_cache WHERE cache_key LIKE '%%tile:%%'"
        )
        assert cursor.fetchone()[0] == 0
    assert [(f["properties"]["code"], f["properties"]["count"]) for f in found] == [
        ("13", 13)
    ]
    # Another scope never gets that entry: the scope is in the cached query.
    assert mvt_queries(asso92, z5) == (1, [])
    assert mvt_queries(asso13, z5)[0] == 1
    # An edit shows at once (the key holds the latest change of the sites).
    site_at("13055", 0.0003, name="Marseille new", people=40)
    computed, found = mvt_queries(national, z5)
    assert computed == 1
    assert found[0]["properties"]["count"] == 14
    assert found[0]["properties"]["people"] == sum(range(13)) + 40
    # Single sites are never cached: each call reads them.
    z13 = tile_of(marseille[0].point, 13)
    assert [mvt_queries(national, z13)[0] for _ in range(2)] == [1, 1]


def test_accessibility_aggregates_are_cached_until_a_point_changes():
    national = client_of(user_with(Role.NATIONAL, "FR"))
    commune = Territory.objects.get(code="92012")
    first = AccessibilityPoint.objects.create(
        point=point_in("92012"), commune=commune, spaces=2
    )
    z9 = tile_of(first.point, 9)
    assert mvt_queries(national, z9, "accessibility-points")[0] == 1
    assert mvt_queries(national, z9, "accessibility-points")[0] == 0
    first.spaces = 5
    first.save()
    computed, found = mvt_queries(national, z9, "accessibility-points")
    assert computed == 1
    assert found[0]["properties"]["spaces"] == 5


def test_the_z5_france_tile_of_200000_sites_is_small_for_a_national_user():
    make_sites(200_000)
    national = client_of(user_with(Role.NATIONAL, "FR"))
    # The z5 tile of Paris, Marseille and Corsica: 4 of the 5 test départements.
    response = get_tile(national, "sites", *tile_of(point_in("92012"), 5))
    found = features(response)
    assert len(response.content) < 500_000
    assert {f["properties"]["aggregate"] for f in found} == {"departement"}
    assert sum(f["properties"]["count"] for f in found) > 100_000  # most of France


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


@pytest.fixture
def interventions():
    """In the 92: one on a Boulogne site, one on Boulogne and a site of the 93, one
    on the whole 92 with no site; in the 13: one on a Marseille site."""
    operator = OrganizationFactory(name="Asso A", territory=territory("92012"))
    boulogne, saint_denis, marseille = (
        site_at(code, people=20) for code in ("92012", "93066", "13055")
    )

    def intervention(code, sites, **fields):
        made = Intervention.objects.create(
            title="Médiation", themes=["health", "mediation"], lead_operator=operator,
            territory=territory(code), started_on=datetime.date(2025, 3, 1),
            **{"status": "in_progress", **fields},
        )  # fmt: skip
        made.sites.set(sites)
        return made

    made = {
        "boulogne": intervention("92012", [boulogne]),
        "across": intervention("92012", [saint_denis]),
        "departement": intervention("92", [], status="planned"),
        "marseille": intervention("13055", [marseille]),
    }
    InterventionReport.objects.create(intervention=made["boulogne"], reported_on=datetime.date(2025, 6, 1), people=12)  # fmt: skip
    InterventionReport.objects.create(intervention=made["boulogne"], reported_on=datetime.date(2025, 12, 1), people=30)  # fmt: skip
    made["sites"] = {"boulogne": boulogne, "saint_denis": saint_denis, "marseille": marseille}  # fmt: skip
    return made


def intervention_features(user, **params) -> list[dict]:
    """Every intervention feature the user gets: at z0, one tile holds the world."""
    client = client_of(user)
    return features(get_tile(client, "interventions", 0, 0, 0, **params), "interventions")  # fmt: skip


def test_interventions_tiles_hold_exactly_what_each_role_may_see(interventions):
    sites = interventions["sites"]
    everyone = {
        (interventions["boulogne"].pk, sites["boulogne"].pk),
        (interventions["across"].pk, sites["saint_denis"].pk),
        (interventions["departement"].pk, None),
        (interventions["marseille"].pk, sites["marseille"].pk),
    }
    # The 92's users see the 92's interventions only; a site of the 93 they may not
    # read is neither named nor drawn: that intervention sits on its territory.
    in_92 = {
        (interventions["boulogne"].pk, sites["boulogne"].pk),
        (interventions["across"].pk, None),
        (interventions["departement"].pk, None),
    }
    expected = {
        (Role.CONTRIBUTOR, "92012"): in_92,
        (Role.LOCAL_ADMIN, "92"): in_92,
        (Role.OBSERVER, "93"): set(),  # its site is in the 93, not the intervention
        (Role.LOCAL_ADMIN, "13"): {(interventions["marseille"].pk, sites["marseille"].pk)},
        (Role.NATIONAL, "FR"): everyone,
    }  # fmt: skip
    for grant, pairs in expected.items():
        found = intervention_features(user_with(*grant))
        assert {(f["properties"]["id"], f["properties"].get("site_id")) for f in found} == pairs, grant  # fmt: skip
    anonymous = get_tile(client_of(), "interventions", 0, 0, 0)
    assert anonymous.status_code == 401
    assert not anonymous.content.startswith(b"\x1a")
    assert client_of().get("/tiles/interventions.json").status_code == 401


def test_an_intervention_feature_is_light_and_sits_on_its_site_or_territory(
    interventions,
):
    national = user_with(Role.NATIONAL, "FR")
    site = interventions["sites"]["boulogne"]
    tile = tile_of(site.point, 14)
    response = get_tile(client_of(national), "interventions", *tile)
    assert response["Cache-Control"] == "private, max-age=60"
    assert response["ETag"]
    [on_site] = [f for f in features(response, "interventions") if f["properties"]["id"] == interventions["boulogne"].pk]  # fmt: skip
    assert on_site["properties"] == {
        "id": interventions["boulogne"].pk,
        "themes": "health,mediation",
        "status": "in_progress",
        "year": 2025,
        "people": 30,  # the latest report
        "site_id": site.pk,
    }
    assert on_site["geometry"]["coordinates"] == list(pixel_of(site.point, tile))
    label = territory("92").label_point
    tile = tile_of(label, 14)
    found = features(get_tile(client_of(national), "interventions", *tile), "interventions")  # fmt: skip
    [on_territory] = [f for f in found if "site_id" not in f["properties"]]
    assert on_territory["properties"] == {"id": interventions["departement"].pk, "themes": "health,mediation", "status": "planned", "year": 2025}  # fmt: skip
    assert on_territory["geometry"]["coordinates"] == list(pixel_of(label, tile))


def test_interventions_tiles_take_the_interventions_filters(interventions):
    national = user_with(Role.NATIONAL, "FR")
    ids = {f["properties"]["id"] for f in intervention_features(national, status="planned")}  # fmt: skip
    assert ids == {interventions["departement"].pk}
    assert intervention_features(national, theme="schooling") == []
    response = get_tile(client_of(national), "interventions", 0, 0, 0, theme="nonsense")
    assert response.status_code == 400
    document = client_of(national).get("/tiles/interventions.json").json()
    assert set(document["vector_layers"][0]["fields"]) == {"id", "themes", "status", "year", "people", "site_id"}  # fmt: skip


def test_a_territory_label_point_is_stored_and_follows_its_outline():
    boulogne = territory("92012")
    assert boulogne.display_geom.contains(boulogne.label_point)
    square = Polygon.from_bbox((2.23, 48.83, 2.24, 48.84))
    Territory.objects.filter(pk=boulogne.pk).update(display_geom=MultiPolygon(square))
    boulogne.refresh_from_db()
    assert square.contains(boulogne.label_point)  # PostgreSQL computed it again


def test_unfiltered_aggregates_from_the_commune_counts_equal_those_of_the_sites(
    marseille,
):
    from sites.models import SiteCommuneCount

    site_at("92012", people=40)
    site_at("13001")  # Aix, people unknown: no figure
    moved = marseille[3]
    moved.commune = Territory.objects.get(code="13001", level="commune")
    moved.save()
    for user in (user_with(Role.NATIONAL, "FR"), user_with(Role.CONTRIBUTOR, "13055")):
        sites = Site.objects.visible_to(user)
        counts = SiteCommuneCount.objects.visible_to(user)
        for z in (5, 7, 9, 10):
            tile = map_tiles.Tile(*tile_of(marseille[0].point, z))
            by_sites = decoded(map_tiles.sites_tile(sites, tile))
            assert by_sites  # something to compare
            assert decoded(map_tiles.sites_tile(sites, tile, counts)) == by_sites


def decoded(query) -> list:
    found = mapbox_vector_tile.decode(map_tiles._rendered(query))["sites"]["features"]
    return sorted((repr(f["properties"]), repr(f["geometry"])) for f in found)
