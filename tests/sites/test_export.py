import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from actors.models import AuditEvent
from actors.roles import Role
from sites.services import site as services
from tests.factories import point_in, user_with

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def sites():
    admin = user_with(Role.LOCAL_ADMIN, "92")
    made = [
        services.declare_site(
            {"point": point_in(code), "people": 10, "population_date": TODAY},
            acting_user=admin,
            confirm_nearby=True,
        )
        for code in ("92012", "92040", "92048")
    ]
    services.add_procedure(
        made[0],
        {"kind": "court", "summary": "Référé expulsion, audience fixée"},
        acting_user=admin,
    )
    return made


def export(user, **params):
    api = APIClient()
    api.force_authenticate(user)
    return api.get("/api/v1/sites/export/", params, HTTP_ACCEPT_LANGUAGE="en")


def test_a_contributor_export_holds_visible_sites_without_procedures(sites):
    response = export(user_with(Role.CONTRIBUTOR, "92012"))
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {int(r["id"]) for r in rows} == {
        s.pk for s in sites
    }  # reading covers the département
    assert "procedures" not in rows[0]
    assert "Référé" not in response.content.decode("utf-8-sig")
    assert AuditEvent.objects.filter(action="sites.exported").exists()


def test_a_local_admin_export_includes_procedures_and_geojson(sites):
    admin = user_with(Role.LOCAL_ADMIN, "92")
    rows = list(csv.DictReader(io.StringIO(export(admin).content.decode("utf-8-sig"))))
    assert "Référé expulsion" in next(
        r["procedures"] for r in rows if int(r["id"]) == sites[0].pk
    )
    geojson = export(admin, format_type="geojson").json()
    assert len(geojson["features"]) == 3
    assert geojson["features"][0]["geometry"]["type"] == "Point"


def test_an_export_elsewhere_is_empty_and_query_count_is_flat(sites):
    assert (
        export(user_with(Role.LOCAL_ADMIN, "13")).content.decode().count("\n") == 1
    )  # header only
    admin = user_with(Role.LOCAL_ADMIN, "92")
    with CaptureQueriesContext(connection) as queries:
        export(admin)
    assert len(queries) <= 8  # grants, sites, procedures, audit: no query per site
