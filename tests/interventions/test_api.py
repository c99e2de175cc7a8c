import pytest
from rest_framework.test import APIClient

from interventions.models import InterventionReport

REPORT = {"reported_on": "2025-12-01", "people": 20, "women": 8, "minors": 5}


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_association_reports_through_the_api_for_its_own_intervention(world):
    url = f"/api/v1/interventions/{world.intervention.pk}/reports/"
    response = api(world.member).post(url, REPORT, format="json")
    assert response.status_code == 201, response.content
    other = f"/api/v1/interventions/{world.other_intervention.pk}/reports/"
    assert api(world.member).post(other, REPORT, format="json").status_code == 403
    assert InterventionReport.objects.count() == 1


def test_subsets_beyond_totals_are_refused_by_the_api_naming_the_field(world):
    url = f"/api/v1/interventions/{world.intervention.pk}/reports/"
    response = api(world.member).post(url, {**REPORT, "minors": 25}, format="json")
    assert response.status_code == 400
    assert "minors" in response.json()


def test_funding_is_absent_from_the_api_for_observers_and_other_associations(world):
    api(world.member).post(f"/api/v1/interventions/{world.intervention.pk}/funding/",
                           {"year": 2025, "source_kind": "eu", "amount_planned": "900.00"},
                           format="json")  # fmt: skip
    for user, sees in ((world.member, True), (world.admin, True), (world.national, True),
                       (world.observer, False), (world.other_member, False)):  # fmt: skip
        detail = api(user).get(f"/api/v1/interventions/{world.intervention.pk}/").json()
        assert ("funding" in detail) == sees
        lines = api(user).get(f"/api/v1/interventions/{world.intervention.pk}/funding/")
        assert lines.status_code == (200 if sees else 403)
        listed = api(user).get("/api/v1/interventions/").json()["results"]
        row = next(r for r in listed if r["id"] == world.intervention.pk)
        assert ("funding" in row) == sees


def test_the_api_creates_and_refuses_a_stale_update(world):
    created = api(world.member).post("/api/v1/interventions/", {
        "title": "Ateliers", "themes": ["employment_training"], "lead_operator": world.asso.pk,
        "territory": world.site.commune.pk, "started_on": "2025-05-01", "sites": [world.site.pk],
    }, format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    url = f"/api/v1/interventions/{created.json()['id']}/"
    assert (
        api(world.member)
        .patch(url, {"goals": "Emploi", "version": 1}, format="json")
        .status_code
        == 200
    )
    stale = api(world.admin).patch(url, {"title": "Autre", "version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["changed_fields"] == ["goals"]


def test_the_api_refuses_invisible_sites_without_naming_them(world):
    response = api(world.member).post("/api/v1/interventions/", {
        "title": "X", "themes": ["health"], "lead_operator": world.asso.pk,
        "territory": world.site.commune.pk, "started_on": "2025-05-01",
        "sites": [world.far_site.pk],
    }, format="json")  # fmt: skip
    assert response.status_code == 400 and "Marseille" not in response.content.decode()


def test_the_api_filters_like_the_page(world):
    rows = api(world.admin).get("/api/v1/interventions/", {"theme": "schooling"}).json()
    assert [r["title"] for r in rows["results"]] == ["Scolarisation"]


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_the_schema_describes_the_interventions_api(client, fmt):
    schema = client.get("/api/schema/", {"format": fmt}).content.decode()
    assert "/api/v1/interventions/{id}/reports/" in schema
    assert "amount_planned" in schema
