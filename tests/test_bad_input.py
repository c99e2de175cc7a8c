"""Malformed input gets a clear 4xx, never a 500."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from actors.roles import Role
from sites import services
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
