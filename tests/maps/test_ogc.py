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
