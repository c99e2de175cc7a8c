import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db
URL = "/api/v1/territories/"


def test_list_is_geojson_with_a_count_and_filters_by_level_and_parent(client):
    data = client.get(
        URL, {"level": "commune", "parent": "92", "page_size": 500}
    ).json()
    assert data["type"] == "FeatureCollection"
    assert data["count"] == 36
    codes = {f["properties"]["code"] for f in data["features"]}
    assert len(codes) == 36 and all(code.startswith("92") for code in codes)
    first = data["features"][0]
    assert first["geometry"]["type"] == "MultiPolygon"
    assert first["properties"]["parent_code"] == "92"
    assert len(first["bbox"]) == 4


def test_parent_code_shared_by_two_levels_is_disambiguated_by_level(client):
    # "93" is both a région (PACA) and a département (Seine-Saint-Denis).
    departements = client.get(URL, {"level": "departement", "parent": "93"}).json()
    assert {f["properties"]["code"] for f in departements["features"]} == {
        "04",
        "05",
        "06",
        "13",
        "83",
        "84",
    }


def test_list_is_paginated_and_uses_a_fixed_number_of_queries(client):
    with CaptureQueriesContext(connection) as queries:
        data = client.get(URL, {"level": "commune", "page_size": 50}).json()
    assert len(data["features"]) == 50
    assert data["next"] is not None
    assert len(queries) == 3  # ETag (last import), count, page with parents joined


def test_search_by_name_ignores_accents_and_case_and_by_code(client):
    by_name = client.get(URL, {"level": "commune", "q": "seVres"}).json()
    assert [f["properties"]["code"] for f in by_name["features"]] == ["92072"]
    by_code = client.get(URL, {"q": "2A004"}).json()
    assert [f["properties"]["name"] for f in by_code["features"]] == ["Ajaccio"]


def test_unknown_level_is_refused_with_the_field_named(client):
    response = client.get(URL, {"level": "canton"})
    assert response.status_code == 400
    assert "level" in response.json()


def test_at_answers_the_commune_and_its_ancestors(client, django_assert_num_queries):
    # The reference data's version (the ETag), then the chain in one statement.
    with django_assert_num_queries(2):
        data = client.get(URL + "at/", {"lon": 2.2399, "lat": 48.8352}).json()
    assert [(t["level"], t["code"]) for t in data] == [
        ("commune", "92012"),
        ("departement", "92"),
        ("region", "11"),
        ("nation", "FR"),
    ]
    assert data[0] == {
        "code": "92012",
        "name": "Boulogne-Billancourt",
        "level": "commune",
        "outline_quality": "exact",
    }


def test_at_outside_france_is_404_and_bad_numbers_name_the_field(client):
    assert client.get(URL + "at/", {"lon": 92.15, "lat": 21.2}).status_code == 404
    response = client.get(URL + "at/", {"lon": "east", "lat": 95})
    assert response.status_code == 400
    assert set(response.json()) == {"lon", "lat"}


def test_outlines_are_cached_a_day_and_answer_304_while_nothing_changed(client):
    url = "/api/v1/territories/?level=departement&page_size=200"
    first = client.get(url)
    assert first["Cache-Control"] == "public, max-age=86400"
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    zipped = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert zipped["Content-Encoding"] == "gzip"
    weak = client.get(
        url, HTTP_IF_NONE_MATCH=zipped["ETag"]
    )  # W/"...": GZip weakens it
    assert weak.status_code == 304


def test_a_zoom_simplifies_the_outlines_and_rounds_them_for_that_zoom(client):
    url = "/api/v1/territories/?level=departement&page_size=200"
    full = client.get(url)
    national = client.get(url + "&zoom=5")
    assert len(national.content) < len(full.content) / 3
    assert national.json()["count"] == full.json()["count"]
    ring = national.json()["features"][0]["geometry"]["coordinates"][0][0]
    assert all(round(c, 2) == c for point in ring for c in point)
    assert client.get(url + "&zoom=99").status_code == 400


def test_the_list_built_by_postgis_is_the_serializers_document(client, rf):
    """The page is made in SQL (config/geojson.py) but must stay what the schema says:
    TerritorySerializer's features, coordinates equal to the precision asked."""
    from territory.api.serializers import TerritorySerializer
    from territory.models import Territory

    body = client.get(
        "/api/v1/territories/", {"level": "departement", "zoom": "8", "page_size": 200}
    ).json()
    expected = TerritorySerializer(
        Territory.objects.filter(level="departement")
        .select_related("parent")
        .outlines(8)
        .order_by("code"),
        many=True,
        context={"precision": 3},
    ).data["features"]
    got = sorted(body["features"], key=lambda f: f["properties"]["code"])
    assert body["count"] == len(expected) == len(got)
    for mine, theirs in zip(got, expected, strict=True):
        assert set(mine) == set(theirs) and mine["type"] == "Feature"
        assert mine["properties"] == dict(theirs["properties"])
        assert mine["geometry"]["type"] == theirs["geometry"]["type"]
        assert mine["bbox"] == pytest.approx(theirs["bbox"], abs=1e-3)
        ring, their_ring = (first_ring(f["geometry"]) for f in (mine, theirs))
        flat = [value for point in ring for value in point]
        their_flat = [value for point in their_ring for value in point]
        assert flat == pytest.approx(their_flat, abs=1.01e-3)  # half-up vs even


def first_ring(geometry: dict) -> list:
    coordinates = geometry["coordinates"]
    return coordinates[0] if geometry["type"] == "Polygon" else coordinates[0][0]
