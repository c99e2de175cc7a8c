"""403 with the reason in words on what the user reads but may not change; 404 where
the user may not know the object exists. One test per kind of object, through the
pages (real requests, real scoping), checking that nothing changed."""

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.utils import timezone

from actors.capabilities import (
    CHANGE_INTERVENTION,
    CHANGE_SITE,
    CLOSE_SITE,
    NOTE_INTERVENTION,
    REVIEW_REPORTS,
    SEE_PROCEDURES,
    SET_PARKING_RULES,
    VERIFY_POINT,
    refusal,
)
from actors.roles import Role
from interventions.models import InterventionNote
from sites.models import AccessibilityPoint, PublicReport, RestrictedZone, Site
from tests.factories import point_in, territory, user_with
from tests.interventions.conftest import new_intervention, world  # noqa: F401

pytestmark = pytest.mark.django_db
TODAY = str(timezone.localdate())


def refused_with(response, capability: str) -> None:
    """A 403 whose page says why, in the words of the capability's reason."""
    assert response.status_code == 403
    shown = response.content.decode()
    reason = refusal(capability)
    assert reason != capability  # a sentence, not the permission's code
    assert reason.replace("'", "&#x27;") in shown


@pytest.fixture
def site_in_92040():
    return Site.objects.create(
        point=point_in("92040"), commune=territory("92040"), name="Site voisin"
    )


@pytest.fixture
def site_in_13055():
    return Site.objects.create(
        point=point_in("13055"), commune=territory("13055"), name="Site lointain"
    )


def test_site_actions_refused_with_reason_in_reading_scope(client, site_in_92040):
    """A contributor of 92012 reads the 92040 site (same département) but may not
    change, close, note or add a procedure to it."""
    client.force_login(user_with(Role.CONTRIBUTOR, "92012"))
    base = f"/sites/{site_in_92040.pk}/"
    refused_with(client.get(base + "edit/"), CHANGE_SITE)
    refused_with(client.get(base + "notes/"), CHANGE_SITE)
    refused_with(client.post(base + "notes/", {"text": "Passage."}), CHANGE_SITE)
    refused_with(client.get(base + "close/"), CLOSE_SITE)
    closing = {"status": "resorbed", "closed_on": TODAY, "version": 1}
    refused_with(client.post(base + "close/", closing), CLOSE_SITE)
    # Even refused input is refused for the right reason, not as a form error.
    refused_with(client.post(base + "close/", {}), CLOSE_SITE)
    refused_with(client.post(base + "procedures/", {}), SEE_PROCEDURES)
    site_in_92040.refresh_from_db()
    assert site_in_92040.status == "open" and not site_in_92040.notes.exists()


def test_site_actions_are_404_out_of_sight(client, site_in_13055):
    client.force_login(user_with(Role.LOCAL_ADMIN, "92"))
    base = f"/sites/{site_in_13055.pk}/"
    for page in ("edit/", "notes/", "close/", "procedures/"):
        assert client.get(base + page).status_code == 404, page
        assert client.post(base + page, {}).status_code == 404, page


def test_intervention_actions_refused_with_reason(client, world):  # noqa: F811
    """The observer reads the 92 intervention; the other association's member reads
    it but may not change or close it (it writes in the journal: same territory)."""
    base = f"/interventions/{world.intervention.pk}/"
    client.force_login(world.observer)
    for page in ("edit/", "report/", "close/"):
        refused_with(client.get(base + page), CHANGE_INTERVENTION)
    refused_with(client.get(base + "notes/"), NOTE_INTERVENTION)
    refused_with(client.post(base + "notes/", {"text": "Vu."}), NOTE_INTERVENTION)
    client.force_login(world.other_member)
    closing = {"status": "completed", "ended_on": TODAY, "version": 1}
    refused_with(client.post(base + "close/", closing), CHANGE_INTERVENTION)
    refused_with(client.post(base + "close/", {}), CHANGE_INTERVENTION)
    world.intervention.refresh_from_db()
    assert not world.intervention.is_closed
    assert not InterventionNote.objects.exists()


def test_intervention_actions_are_404_out_of_sight(client, world):  # noqa: F811
    client.force_login(world.admin13)
    base = f"/interventions/{world.intervention.pk}/"
    for page in ("edit/", "report/", "funding/", "close/", "notes/"):
        assert client.get(base + page).status_code == 404, page
    assert client.post(base + "close/", {}).status_code == 404


def test_accessibility_point_status_refused_with_reason(client):
    """Points are public: a contributor sees any of them but only local admins of
    its commune verify or remove it."""
    point = AccessibilityPoint.objects.create(
        point=point_in("13055"), commune=territory("13055"), status="reported"
    )
    client.force_login(user_with(Role.CONTRIBUTOR, "92012"))
    url = f"/accessibility/points/{point.pk}/status/"
    refused_with(client.post(url, {"status": "verified"}), VERIFY_POINT)
    refused_with(client.post(url, {"status": "nonsense"}), VERIFY_POINT)
    point.refresh_from_db()
    assert point.status == "reported"
    # A removed point is no longer public: out of its territory, it is not found.
    AccessibilityPoint.objects.filter(pk=point.pk).update(status="removed")
    assert client.post(url, {"status": "verified"}).status_code == 404


def test_restricted_zone_refused_with_reason(client):
    commune = territory("92012")
    centre = commune.geom.point_on_surface
    square = Polygon.from_bbox(
        (centre.x - 0.001, centre.y - 0.001, centre.x + 0.001, centre.y + 0.001)
    )
    zone = RestrictedZone.objects.create(
        name="Centre", commune=commune, geom=MultiPolygon(square)
    )
    client.force_login(user_with(Role.CONTRIBUTOR, "92012"))
    refused_with(client.get(f"/communes/92012/zones/{zone.pk}/"), SET_PARKING_RULES)
    refused_with(client.get("/communes/92012/zones/new/"), SET_PARKING_RULES)
    refused_with(
        client.post(f"/communes/92012/zones/{zone.pk}/", {"name": "Autre"}),
        SET_PARKING_RULES,
    )
    zone.refresh_from_db()
    assert zone.name == "Centre"


def test_reports_refused_with_reason_and_404_out_of_territory(client):
    report = PublicReport.objects.create(
        kind="possible_site",
        point=point_in("13055"),
        commune=territory("13055"),
        description="Des caravanes",
    )
    client.force_login(user_with(Role.CONTRIBUTOR, "92012"))
    refused_with(client.get("/reports/"), REVIEW_REPORTS)
    refused_with(client.get(f"/reports/{report.pk}/"), REVIEW_REPORTS)
    # A local admin elsewhere may not know of this report.
    client.force_login(user_with(Role.LOCAL_ADMIN, "92"))
    assert client.get(f"/reports/{report.pk}/").status_code == 404
    dismiss = {"action": "dismiss", "dismiss-dismissal_reason": "Rien"}
    assert client.post(f"/reports/{report.pk}/", dismiss).status_code == 404
    report.refresh_from_db()
    assert report.status == "new"
