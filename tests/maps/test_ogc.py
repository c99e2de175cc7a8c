"""OGC API - Features at /ogc/: the same rows as the REST API, through the same doors."""

import base64

import pytest
from axes.models import AccessAttempt
from django.utils import timezone
from rest_framework.test import APIClient

from actors.roles import Role
from sites.models import AccessibilityPoint, Site
from territory.models import Territory
from territory.services import import_reference
from tests.factories import PASSWORD, point_in, territory, user_with

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
GEOJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
HTML = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html"


def make_sites(codes=("92012", "92012", "92040", "93066", "13055"), **fields):
    return [
        Site.objects.create(
            point=point_in(code), commune=territory(code), name=f"S{i}", **fields
        )
        for i, code in enumerate(codes)
    ]


def basic(email: str, password: str = PASSWORD) -> dict:
    token = base64.b64encode(f"{email}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def api_ids(client, **params) -> set[int]:
    response = client.get("/api/v1/sites/", {"page_size": 1000, **params})
    return {feature["id"] for feature in response.json()["features"]}


def ogc_ids(client, collection="sites", **params) -> set[int]:
    response = client.get(f"/ogc/collections/{collection}/items", params)
    assert response["Content-Type"] == "application/geo+json"
    body = response.json()
    assert body["numberReturned"] == len(body["features"])
    return {feature["id"] for feature in body["features"]}


@pytest.mark.django_db
def test_conformance_declares_core_geojson_and_html(client):
    conforms = client.get("/ogc/conformance").json()["conformsTo"]
    assert {CORE, GEOJSON, HTML} <= set(conforms)


@pytest.mark.django_db
def test_anonymous_users_see_only_the_public_collections(client):
    listed = {
        c["id"] for c in client.get("/ogc/collections?f=json").json()["collections"]
    }
    assert "sites" not in listed and "interventions" not in listed
    assert {"accessibility-points", "restricted-zones", "territories-commune"} <= listed
    response = client.get("/ogc/collections/sites/items")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "code"), [(Role.NATIONAL, "FR"), (Role.CONTRIBUTOR, "92012")]
)
def test_site_items_are_the_sites_of_the_rest_api(role, code):
    make_sites()
    client = APIClient()
    client.force_authenticate(user_with(role, code))
    expected = api_ids(client)
    assert expected and ogc_ids(client) == expected
    body = client.get("/ogc/collections/sites/items").json()
    assert body["numberMatched"] == len(expected)


@pytest.mark.django_db
def test_the_api_filters_apply_under_their_names_with_the_bbox():
    make_sites(status="open")
    closed = make_sites(codes=("92012",), status="resorbed")
    client = APIClient()
    client.force_authenticate(user_with(Role.NATIONAL, "FR"))
    assert ogc_ids(client, status="resorbed") == {closed[0].pk}
    assert ogc_ids(client, territory="92") == api_ids(client, territory="92")
    boulogne = Territory.objects.get(level="commune", code="92012")
    bbox = ",".join(str(round(v, 6)) for v in boulogne.geom.extent)
    in_box = api_ids(client, in_bbox=bbox)
    assert ogc_ids(client, bbox=bbox) == in_box
    assert (
        client.get("/ogc/collections/sites/items", {"status": "nope"}).status_code
        == 400
    )


@pytest.mark.django_db
def test_next_links_walk_the_whole_collection():
    sites = make_sites(codes=["92012"] * 7)
    client = APIClient()
    client.force_authenticate(user_with(Role.NATIONAL, "FR"))
    url, seen, pages = "/ogc/collections/sites/items?limit=3", [], 0
    while url:
        body = client.get(url).json()
        seen += [feature["id"] for feature in body["features"]]
        url = next((li["href"] for li in body["links"] if li["rel"] == "next"), None)
        pages += 1
    assert seen == sorted(s.pk for s in sites) and pages == 3


@pytest.mark.django_db
def test_an_item_outside_the_scope_is_not_found():
    inside, _, _, _, elsewhere = make_sites()
    client = APIClient()
    client.force_authenticate(user_with(Role.CONTRIBUTOR, "92012"))
    found = client.get(f"/ogc/collections/sites/items/{inside.pk}")
    assert found.status_code == 200 and found.json()["id"] == inside.pk
    assert found.json()["geometry"]["type"] == "Point"
    missing = client.get(f"/ogc/collections/sites/items/{elsewhere.pk}")
    assert missing.status_code == 404


@pytest.mark.django_db
def test_http_basic_signs_in_and_a_wrong_password_counts_towards_the_lockout(client):
    make_sites()
    user = user_with(Role.NATIONAL, "FR")
    response = client.get("/ogc/collections/sites/items", **basic(user.email))
    assert response.status_code == 200 and response.json()["numberMatched"] == 5
    for _attempt in range(5):
        wrong = client.get("/ogc/collections/sites/items", **basic(user.email, "nope"))
        assert wrong.status_code == 401
    assert AccessAttempt.objects.filter(username=user.email).exists()
    locked = client.get("/ogc/collections/sites/items", **basic(user.email))
    assert locked.status_code == 401


@pytest.mark.django_db
def test_html_pages_render_without_inline_script(client):
    AccessibilityPoint.objects.create(
        point=point_in("92012"), commune=territory("92012")
    )
    for url in (
        "/ogc/",
        "/ogc/collections",
        "/ogc/collections/accessibility-points/items",
    ):
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response["Content-Type"].startswith("text/html")
        assert b"<script>" not in response.content
    page = client.get(
        "/ogc/collections/accessibility-points/items?f=html", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert b"1 of 1 features." in page.content


@pytest.mark.django_db
def test_interventions_and_territories_are_collections_with_geometries():
    from interventions.services import create_intervention
    from tests.factories import OrganizationFactory

    site = make_sites(codes=("92012",))[0]
    author = user_with(Role.SUPERADMIN, "FR")
    create_intervention(
        {"title": "Action", "themes": ["health"], "lead_operator": OrganizationFactory(),
         "territory": site.commune, "started_on": timezone.localdate(), "sites": [site]},
        acting_user=author,
    )  # fmt: skip
    client = APIClient()
    client.force_authenticate(author)
    body = client.get("/ogc/collections/interventions/items").json()
    assert body["features"][0]["geometry"]["coordinates"] == [
        round(site.point.x, 6),
        round(site.point.y, 6),
    ]
    departements = client.get("/ogc/collections/territories-departement/items").json()
    assert {"92", "93"} <= {f["properties"]["code"] for f in departements["features"]}


# OWSLib, the OGC API client, against a live server.


@pytest.fixture
def territories(transactional_db):
    """live_server tests flush the database after each test: reload what they need."""
    if not Territory.objects.communes().filter(code__startswith="92").exists():
        import_reference(departements=["92", "93"])


@pytest.mark.parametrize("who", ["national", "contributor", "anonymous"])
def test_owslib_reads_the_same_collections_and_ids_as_the_rest_api(
    who, live_server, territories
):
    from owslib.ogcapi.features import Features
    from owslib.util import Authentication

    make_sites(codes=("92012", "92040", "93066"))
    auth, client = None, APIClient()
    if who != "anonymous":
        grant = (
            (Role.NATIONAL, "FR") if who == "national" else (Role.CONTRIBUTOR, "92012")
        )
        user = user_with(*grant)
        auth = Authentication(username=user.email, password=PASSWORD)
        client.force_authenticate(user)
    features = Features(f"{live_server.url}/ogc/", auth=auth)
    listed = {c["id"] for c in features.collections()["collections"]}
    assert ("sites" in listed) == (who != "anonymous")
    assert CORE in features.conformance()["conformsTo"]
    if who == "anonymous":
        return
    ids, offset, matched = [], 0, None
    while matched is None or offset < matched:
        items = features.collection_items("sites", limit=2, offset=offset)
        matched = items["numberMatched"]
        ids += [f["id"] for f in items["features"]]
        offset += 2
        has_next = any(link["rel"] == "next" for link in items["links"])
        assert has_next == (offset < matched)
    assert matched == len(api_ids(client))
    assert sorted(ids) == sorted(api_ids(client))


@pytest.mark.django_db
def test_datetime_gives_the_sites_as_they_were_that_day():
    from sites.services import site as services

    admin = user_with(Role.LOCAL_ADMIN, "92")
    site = services.declare_site(
        {
            "point": point_in("92012"),
            "people": 10,
            "population_date": timezone.localdate(),
        },
        acting_user=admin,
        confirm_nearby=True,
    )
    client = APIClient()
    client.force_authenticate(admin)
    today = timezone.localdate()
    body = client.get(f"/ogc/collections/sites/items?datetime={today}").json()
    assert [f["id"] for f in body["features"]] == [site.pk]
    assert body["features"][0]["properties"]["people"] == 10
    before = client.get("/ogc/collections/sites/items?datetime=2000-01-01").json()
    assert before["numberMatched"] == 0
    api = client.get(f"/api/v1/sites/?as_of={today}").json()
    assert {f["id"] for f in api["features"]} == {site.pk}
    bad = client.get("/ogc/collections/sites/items?datetime=2020-01-01/..")
    assert bad.status_code == 400
    past = client.get(
        "/ogc/collections/sites/items", {"datetime": today, "crs": LAMBERT93}
    )
    assert past["Content-Crs"] == f"<{LAMBERT93}>"
    assert past.json()["features"][0]["geometry"]["coordinates"] == pytest.approx(
        postgis_xy(site, 2154), abs=0.01
    )


CRS_CLASS = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"
LAMBERT93 = "http://www.opengis.net/def/crs/EPSG/0/2154"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"


def postgis_xy(site: Site, srid: int) -> tuple[float, float]:
    """The site's point as PostGIS transforms it: the reference for the CRS tests."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(point, %s) AS p "
            "FROM sites_site WHERE id = %s) AS t",
            [srid, site.pk],
        )
        return cursor.fetchone()


@pytest.mark.django_db
def test_part_2_is_declared_with_the_crs_of_each_collection(client):
    assert CRS_CLASS in client.get("/ogc/conformance").json()["conformsTo"]
    collection = client.get("/ogc/collections/accessibility-points").json()
    assert LAMBERT93 in collection["crs"] and EPSG4326 in collection["crs"]
    assert "http://www.opengis.net/def/crs/EPSG/0/3857" in collection["crs"]
    assert collection["storageCrs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("parameter", "value"),
    [("crs", "EPSG:9999"), ("crs", "urn:nothing"), ("bbox-crs", "EPSG:27572")],
)
def test_an_unsupported_crs_is_a_400_naming_the_parameter(client, parameter, value):
    params = {parameter: value, "bbox": "1,2,3,4"}
    response = client.get("/ogc/collections/accessibility-points/items", params)
    assert response.status_code == 400
    assert list(response.json()) == [parameter] and value in response.json()[parameter]
    item = client.get("/ogc/collections/accessibility-points/items/1", {"crs": "x"})
    assert item.status_code == 400 and "crs" in item.json()


@pytest.mark.django_db
def test_coordinates_and_bbox_in_each_crs_match_postgis():
    sites = make_sites(codes=("92012", "92040", "13055"))
    client = APIClient()
    client.force_authenticate(user_with(Role.NATIONAL, "FR"))
    for crs, srid in [(LAMBERT93, 2154), ("EPSG:3857", 3857)]:
        response = client.get("/ogc/collections/sites/items", {"crs": crs})
        assert (
            response["Content-Crs"] == f"<http://www.opengis.net/def/crs/EPSG/0/{srid}>"
        )
        by_id = {
            f["id"]: f["geometry"]["coordinates"] for f in response.json()["features"]
        }
        for site in sites:
            assert by_id[site.pk] == pytest.approx(postgis_xy(site, srid), abs=0.01)
    latlon = client.get(
        f"/ogc/collections/sites/items/{sites[0].pk}", {"crs": EPSG4326}
    )
    assert latlon.json()["geometry"]["coordinates"] == pytest.approx(
        [sites[0].point.y, sites[0].point.x], abs=1e-6
    )
    x, y = postgis_xy(sites[0], 2154)
    in_lambert = ogc_ids(client, crs=LAMBERT93, bbox=f"{x - 5},{y - 5},{x + 5},{y + 5}",
                         **{"bbox-crs": LAMBERT93})  # fmt: skip
    lon, lat = sites[0].point.coords
    in_latlon = ogc_ids(client, bbox=f"{lat - 1e-5},{lon - 1e-5},{lat + 1e-5},{lon + 1e-5}",
                        **{"bbox-crs": EPSG4326})  # fmt: skip
    assert in_lambert == in_latlon == {sites[0].pk}


@pytest.mark.django_db
def test_the_service_desc_is_an_openapi_3_document_of_these_paths(client):
    links = client.get("/ogc/").json()["links"]
    descs = [link for link in links if link["rel"] == "service-desc"]
    assert {link["type"] for link in descs} == {
        "application/vnd.oai.openapi+json;version=3.0",
        "application/vnd.oai.openapi;version=3.0",
    }
    json_desc = next(link for link in descs if "json" in link["type"])
    document = client.get(json_desc["href"]).json()
    assert document["openapi"].startswith("3.0")
    items = document["paths"]["/ogc/collections/{collection_id}/items"]["get"]
    names = {parameter["name"] for parameter in items["parameters"]}
    assert {"crs", "bbox-crs", "bbox", "limit", "offset", "datetime"} <= names


def test_owslib_reads_sites_in_lambert_93_as_postgis_transforms_them(
    live_server, territories
):
    """Real HTTP: OWSLib asks for EPSG:2154, the header and coordinates say it."""
    import requests
    from owslib.ogcapi.features import Features
    from owslib.util import Authentication

    sites = make_sites(codes=("92012", "93066"))
    user = user_with(Role.NATIONAL, "FR")
    auth = Authentication(username=user.email, password=PASSWORD)
    features = Features(f"{live_server.url}/ogc/", auth=auth)
    assert CRS_CLASS in features.conformance()["conformsTo"]
    assert LAMBERT93 in features.collection("sites")["crs"]
    items = features.collection_items("sites", crs=LAMBERT93)
    by_id = {f["id"]: f["geometry"]["coordinates"] for f in items["features"]}
    for site in sites:
        assert by_id[site.pk] == pytest.approx(postgis_xy(site, 2154), abs=0.01)
    raw = requests.get(
        f"{live_server.url}/ogc/collections/sites/items",
        params={"crs": LAMBERT93},
        auth=(user.email, PASSWORD),
        timeout=30,
    )
    assert raw.headers["Content-Crs"] == f"<{LAMBERT93}>"
    refused = requests.get(f"{live_server.url}/ogc/collections/sites/items",
                           params={"crs": "EPSG:1"}, auth=(user.email, PASSWORD), timeout=30)  # fmt: skip
    assert refused.status_code == 400 and "crs" in refused.json()
