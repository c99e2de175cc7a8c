import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from actors.roles import Role
from sites.models import Site, SiteRevision
from sites.services import site as services
from tests.factories import point_in, user_with

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(user_with(Role.LOCAL_ADMIN, "92"))
    return client


def feature(code="92012", **properties):
    point = point_in(code)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
        "properties": properties,
    }


def test_declare_then_update_with_version_then_stale_update_is_409(api):
    created = api.post(
        "/api/v1/sites/",
        feature(kind="building", people=20, population_date=str(TODAY)),
        format="json",
    )
    assert created.status_code == 201, created.content
    site_id = created.json()["id"]
    assert created.json()["properties"]["commune_code"] == "92012"
    ok = api.patch(
        f"/api/v1/sites/{site_id}/", {"version": 1, "people": 25}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["properties"]["version"] == 2
    stale = api.patch(
        f"/api/v1/sites/{site_id}/", {"version": 1, "people": 99}, format="json"
    )
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert api.get(f"/api/v1/sites/{site_id}/").json()["properties"]["people"] == 25


def test_nearby_open_site_gives_409_with_the_neighbours_until_confirmed(api):
    first = api.post("/api/v1/sites/", feature(), format="json").json()["id"]
    second = api.post("/api/v1/sites/", feature(), format="json")
    assert second.status_code == 409
    assert [f["id"] for f in second.json()["nearby"]["features"]] == [first]
    assert (
        api.post(
            "/api/v1/sites/?confirm_nearby=1", feature(), format="json"
        ).status_code
        == 201
    )


def test_validation_errors_name_the_field(api):
    response = api.post(
        "/api/v1/sites/",
        feature(address_details="écrire à jean.dupont@mail.fr"),
        format="json",
    )
    assert response.status_code == 400
    assert "address_details" in response.json()
    outside = api.post(
        "/api/v1/sites/", {"type": "Feature", "geometry": {"type": "Point", "coordinates": [92.1, 21.2]}, "properties": {}},
        format="json",
    )  # fmt: skip
    assert outside.status_code == 400 and "point" in outside.json()


def test_list_filters_and_query_count(api):
    user = user_with(Role.LOCAL_ADMIN, "92")
    for code in ("92012", "92040", "92048"):
        services.declare_site(
            {"point": point_in(code), "water": "none"},
            acting_user=user,
            confirm_nearby=True,
        )
    services.declare_site(
        {"point": point_in("92075"), "kind": "building"},
        acting_user=user,
        confirm_nearby=True,
    )
    with CaptureQueriesContext(connection) as queries:
        data = api.get("/api/v1/sites/", {"water_status": "bad"}).json()
    assert data["count"] == 3
    assert len(queries) <= 4  # scope, count, page (no N+1)
    assert api.get("/api/v1/sites/", {"kind": "building"}).json()["count"] == 1
    assert api.get("/api/v1/sites/", {"territory": "92040"}).json()["count"] == 1
    assert (
        api.get("/api/v1/sites/", {"in_bbox": "2.0,48.7,2.5,49.0"}).json()["count"] == 4
    )
    assert (
        api.get("/api/v1/sites/", {"updated_since": "2999-01-01T00:00:00Z"}).json()[
            "count"
        ]
        == 0
    )


def test_as_of_returns_the_past_state(api):
    site_id = api.post(
        "/api/v1/sites/", feature(people=10, population_date=str(TODAY)), format="json"
    ).json()["id"]
    api.patch(f"/api/v1/sites/{site_id}/", {"version": 1, "people": 50}, format="json")
    first = SiteRevision.objects.get(site_id=site_id, version=1)
    SiteRevision.objects.filter(pk=first.pk).update(
        at=first.at - datetime.timedelta(days=3)
    )
    past_day = str(TODAY - datetime.timedelta(days=2))
    assert (
        api.get(f"/api/v1/sites/{site_id}/", {"as_of": past_day}).json()["properties"][
            "people"
        ]
        == 10
    )
    assert (
        api.get("/api/v1/sites/", {"as_of": past_day}).json()["features"][0][
            "properties"
        ]["people"]
        == 10
    )
    assert (
        api.get(f"/api/v1/sites/{site_id}/", {"as_of": "yesterday"}).status_code == 400
    )


def test_as_of_filters_apply_to_the_past_state(api):
    site_id = api.post("/api/v1/sites/", feature(), format="json").json()["id"]
    admin = user_with(Role.LOCAL_ADMIN, "92")
    from sites.models import Site

    services.close_site(
        Site.objects.get(pk=site_id),
        acting_user=admin,
        expected_version=1,
        status="resorbed",
        closed_on=TODAY,
    )
    first = SiteRevision.objects.get(site_id=site_id, version=1)
    SiteRevision.objects.filter(pk=first.pk).update(
        at=first.at - datetime.timedelta(days=3)
    )
    past_day = str(TODAY - datetime.timedelta(days=2))
    was_open = api.get("/api/v1/sites/", {"as_of": past_day, "status": "open"}).json()[
        "features"
    ]
    assert [f["id"] for f in was_open] == [site_id]
    assert (
        api.get("/api/v1/sites/", {"as_of": past_day, "status": "resorbed"}).json()[
            "features"
        ]
        == []
    )
    assert api.get("/api/v1/sites/", {"status": "resorbed"}).json()["count"] == 1


def test_the_list_built_by_postgis_is_the_serializers_document(api):
    from sites.api.serializers import SiteFeatureSerializer
    from sites.models import Site

    user = user_with(Role.LOCAL_ADMIN, "92")
    for code in ("92012", "92040"):
        services.declare_site(
            {"point": point_in(code), "name": f"Site {code}", "kind": "building"},
            acting_user=user,
            confirm_nearby=True,
        )
    mine = api.get("/api/v1/sites/").json()["features"]
    theirs = SiteFeatureSerializer(
        Site.objects.select_related("commune"), many=True
    ).data["features"]
    assert len(mine) == len(theirs) == 2
    theirs = {f["id"]: f for f in theirs}
    for feature in mine:
        expected = theirs[feature["id"]]
        assert set(feature) == set(expected)
        properties = dict(expected["properties"])
        # The same instant, written in UTC by PostgreSQL.
        assert datetime.datetime.fromisoformat(
            feature["properties"].pop("updated_at")
        ) == datetime.datetime.fromisoformat(properties.pop("updated_at"))
        assert feature["properties"] == properties
        assert feature["geometry"]["coordinates"] == pytest.approx(
            list(expected["geometry"]["coordinates"]), abs=1e-6
        )


def test_the_past_date_list_built_by_postgis_is_the_serializers_document_of_past_states(
    api,
):
    from django.http import QueryDict

    from sites.api.serializers import SiteFeatureSerializer
    from sites.history import past_states
    from sites.models import Site

    admin = user_with(Role.LOCAL_ADMIN, "92")
    ids = []
    for code, people in (("92012", 10), ("92040", None), ("92048", 7)):
        ids.append(
            services.declare_site(
                {"point": point_in(code), "name": f"« {code} »", "people": people}
                | ({"population_date": TODAY} if people else {}),
                acting_user=admin,
                confirm_nearby=True,
            ).pk
        )
    # Then: one grows and moves a little, one closes, one is declared only later.
    services.update_site(
        Site.objects.get(pk=ids[0]),
        {
            "people": 99,
            "name": "moved",
            "point": point_in("92040"),
            "population_date": TODAY,
        },
        acting_user=admin,
        expected_version=1,
    )
    services.close_site(
        Site.objects.get(pk=ids[1]), acting_user=admin, expected_version=1,
        status="resorbed", closed_on=TODAY,
    )  # fmt: skip
    for revision in SiteRevision.objects.filter(version=1).exclude(site_id=ids[2]):
        SiteRevision.objects.filter(pk=revision.pk).update(
            at=revision.at - datetime.timedelta(days=3)
        )
    past_day = TODAY - datetime.timedelta(days=2)
    for params in ({}, {"status": "open"}, {"status": "resorbed"}, {"kind": "land"}):
        body = api.get("/api/v1/sites/", {"as_of": str(past_day), **params}).json()
        query = QueryDict(mutable=True)
        query.update(params)
        past = past_states(
            list(Site.objects.select_related("commune").order_by("pk")),
            past_day,
            query,
        )
        theirs = SiteFeatureSerializer(past, many=True).data["features"]
        assert body["count"] == len(body["features"]) == len(theirs)
        for mine, expected in zip(body["features"], theirs, strict=True):
            assert (mine["id"], set(mine)) == (expected["id"], set(expected))
            properties = dict(expected["properties"])
            assert datetime.datetime.fromisoformat(
                mine["properties"].pop("updated_at")
            ) == datetime.datetime.fromisoformat(properties.pop("updated_at"))
            assert mine["properties"] == properties
            assert mine["geometry"]["coordinates"] == pytest.approx(
                list(expected["geometry"]["coordinates"]), abs=1e-6
            )
    everything = api.get("/api/v1/sites/", {"as_of": str(past_day)}).json()
    # The past name and people of the first, the open state of the second; the
    # third did not exist yet.
    assert [(f["id"], f["properties"]["people"], f["properties"]["status"])
            for f in everything["features"]] == [(ids[0], 10, "open"), (ids[1], None, "open")]  # fmt: skip


def test_the_past_date_list_is_paged_like_the_list(api):
    user = user_with(Role.LOCAL_ADMIN, "92")
    api.force_authenticate(user)
    for code in ("92012", "92040", "92048"):
        services.declare_site(
            {"name": f"Site {code}", "point": point_in(code)}, acting_user=user
        )
    today = str(TODAY)
    first = api.get("/api/v1/sites/", {"as_of": today, "page_size": 2}).json()
    assert (first["count"], len(first["features"])) == (3, 2)
    assert "page=2" in first["next"] and "as_of=" in first["next"]
    second = api.get(first["next"]).json()
    ids = [f["id"] for f in first["features"] + second["features"]]
    assert ids == sorted(Site.objects.values_list("pk", flat=True))
    assert second["next"] is None


def test_past_a_cap_the_count_is_the_planners_estimate_and_says_so(api, monkeypatch):
    from config.geojson import CappedCountPaginator

    user = user_with(Role.LOCAL_ADMIN, "92")
    for code in ("92012", "92040", "92048"):
        services.declare_site(
            {"point": point_in(code)}, acting_user=user, confirm_nearby=True
        )
    assert api.get("/api/v1/sites/").json()["count_exact"] is True
    monkeypatch.setattr(CappedCountPaginator, "COUNT_CAP", 2)
    body = api.get("/api/v1/sites/", {"page_size": 1})
    assert body.json()["count_exact"] is False
    assert body.json()["count"] >= 3  # never fewer than the rows counted
    assert len(body.json()["features"]) == 1
    # Under the cap, the count is exact whatever the planner expects (its statistics
    # may still count rows deleted or rolled back).
    monkeypatch.setattr(CappedCountPaginator, "COUNT_CAP", 10)
    with connection.cursor() as cursor:  # statistics of a table of 200,000 sites
        cursor.execute(
            "UPDATE pg_class SET reltuples = 200000 WHERE relname = 'sites_site'"
        )
    body = api.get("/api/v1/sites/", {"page_size": 1})
    assert (body.json()["count"], body.json()["count_exact"]) == (3, True)


def test_a_short_first_page_is_its_own_count_and_a_full_one_is_counted(api):
    user = user_with(Role.LOCAL_ADMIN, "92")
    for code in ("92012", "92040", "92048"):
        services.declare_site(
            {"point": point_in(code)}, acting_user=user, confirm_nearby=True
        )

    def listed(**params) -> tuple[dict, list[str]]:
        with CaptureQueriesContext(connection) as queries:
            body = api.get("/api/v1/sites/", params).json()
        return body, [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]

    body, counts = listed(page_size=5)
    assert (body["count"], body["count_exact"], counts) == (3, True, [])
    assert len(body["features"]) == 3 and body["next"] is None
    body, counts = listed(page_size=3)  # full: there may be more
    assert (body["count"], body["count_exact"], len(counts)) == (3, True, 1)
    assert body["next"] is None
    body, counts = listed(page_size=2)
    assert (body["count"], len(counts), len(body["features"])) == (3, 1, 2)
    assert "page=2" in body["next"]
    body, counts = listed(page_size=2, page=2)  # a later page checks its number
    assert (body["count"], len(counts), len(body["features"])) == (3, 1, 1)
    assert body["next"] is None
