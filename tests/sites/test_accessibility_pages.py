import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from actors.roles import Role
from sites.models import AccessibilityPoint, ParkingRules
from territory.sources import REFERENCE_DIR
from tests.factories import user_with
from tests.sites.import_steps import through_run

pytestmark = pytest.mark.django_db
GPSO = REFERENCE_DIR / "accessibility" / "gpso-92-places-stationnement-pmr.geojson.xz"


def upload():
    return SimpleUploadedFile("gpso.geojson.xz", GPSO.read_bytes())


def test_commune_page_is_public_and_local_admin_sets_the_rules(client):
    page = client.get("/communes/92012/")
    assert page.status_code == 200 and page.context["form"] is None
    client.force_login(user_with(Role.LOCAL_ADMIN, "92"))
    response = client.post(
        "/communes/92012/",
        {
            "free_of_charge": "true",
            "max_duration_minutes": "120",
            "card_required": "on",
            "notes": "Gratuit, 2 h.",
        },
    )
    assert response.status_code == 302
    rules = ParkingRules.objects.get(commune__code="92012")
    assert (rules.free_of_charge, rules.max_duration_minutes, rules.card_required) == (
        True,
        120,
        True,
    )
    api = client.get("/api/v1/communes/92012/parking-rules").json()
    assert api["max_duration_minutes"] == 120


def test_a_contributor_cannot_change_commune_rules(client):
    client.force_login(user_with(Role.CONTRIBUTOR, "92012"))
    client.post("/communes/92012/", {"max_duration_minutes": "5"})
    assert not ParkingRules.objects.exists()


def test_web_import_previews_then_confirms(client):
    client.force_login(user_with(Role.LOCAL_ADMIN, "92"))
    preview = through_run(
        client,
        client.post(
            "/accessibility/import/",
            {"file": upload(), "source": "open_data", "new_dataset": "gpso/places-pmr"},
        ),
    )
    assert preview.context["result"].created == 719
    assert AccessibilityPoint.objects.count() == 0  # a preview changes nothing
    through_run(client, client.post("/accessibility/import/", {"confirm": "1"}))
    assert AccessibilityPoint.objects.count() == 719


def test_web_import_rejects_rows_outside_the_admin_territory(client):
    client.force_login(user_with(Role.LOCAL_ADMIN, "13"))
    preview = through_run(
        client,
        client.post(
            "/accessibility/import/",
            {"file": upload(), "source": "open_data", "new_dataset": "gpso/places-pmr"},
        ),
    )
    result = preview.context["result"]
    # Every row counted; the first 200 reasons shown, then "... and N more".
    assert (result.created, result.rejected_count, len(result.rejected)) == (
        0,
        719,
        200,
    )
    assert (
        "outside your territory" in result.rejected[0] or "hors" in result.rejected[0]
    )


def test_only_local_admins_reach_the_import(client):
    client.force_login(user_with(Role.CONTRIBUTOR, "92012"))
    assert client.get("/accessibility/import/").status_code == 403


def test_a_local_admin_verifies_a_reported_space_from_the_commune_page(client):
    from sites.services.accessibility import report_point
    from tests.factories import point_in

    point = report_point(
        {"point": point_in("92012"), "address": "5 rue Y"},
        acting_user=user_with(Role.CONTRIBUTOR, "92012"),
    )
    contributor = user_with(Role.CONTRIBUTOR, "92012")
    client.force_login(contributor)
    assert not client.get("/communes/92012/").context["reported"]
    assert (
        client.post(
            f"/accessibility/points/{point.pk}/status/", {"status": "verified"}
        ).status_code
        == 403
    )
    client.force_login(user_with(Role.LOCAL_ADMIN, "92"))
    assert list(client.get("/communes/92012/").context["reported"]) == [point]
    client.post(f"/accessibility/points/{point.pk}/status/", {"status": "verified"})
    point.refresh_from_db()
    assert point.status == "verified" and point.verified_at is not None


def test_web_import_is_all_or_nothing_unless_asked(client, tmp_path):
    import json

    from territory.sources import read_json

    document = read_json(GPSO)
    document["features"][3]["geometry"] = None
    broken = SimpleUploadedFile("broken.geojson", json.dumps(document).encode())
    client.force_login(user_with(Role.LOCAL_ADMIN, "92"))
    preview = through_run(
        client,
        client.post(
            "/accessibility/import/",
            {"file": broken, "source": "open_data", "new_dataset": "gpso/places-pmr"},
        ),
    )
    assert preview.context["blocked"] and len(preview.context["result"].rejected) == 1
    through_run(client, client.post("/accessibility/import/", {"confirm": "1"}))
    assert AccessibilityPoint.objects.count() == 0
    broken.seek(0)
    partial = through_run(
        client,
        client.post(
            "/accessibility/import/",
            {
                "file": broken,
                "source": "open_data",
                "partial": "on",
                "new_dataset": "gpso/places-pmr",
            },
        ),
    )
    assert not partial.context["blocked"]
    through_run(client, client.post("/accessibility/import/", {"confirm": "1"}))
    assert AccessibilityPoint.objects.count() == 718
