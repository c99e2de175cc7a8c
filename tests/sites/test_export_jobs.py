"""Export jobs: nothing capped (interventions and past dates run as jobs too), the
user's own jobs page, the admin's scoped list, and the purge of old files."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from actors.mail import run_pending_jobs
from actors.roles import Role
from interventions.models import Intervention
from sites.jobs import export_file
from sites.models import ExportStatus, Site, SiteExport
from tests.factories import OrganizationFactory, point_in, territory, user_with

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def private(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path
    settings.EXPORT_SYNC_LIMIT = 2
    return tmp_path


@pytest.fixture
def interventions():
    operator = OrganizationFactory()
    return [
        Intervention.objects.create(
            title=f"Action {i}",
            themes=["health"],
            lead_operator=operator,
            territory=territory(code),
            started_on=TODAY,
        )  # fmt: skip
        for i, code in enumerate(["92012", "92040", "92012", "13055"])
    ]


def test_a_large_intervention_csv_streams_every_row(private, interventions, client):
    client.force_login(user_with(Role.NATIONAL, "FR"))
    response = client.get("/interventions/export/")
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    ids = {int(row["id"]) for row in csv.DictReader(io.StringIO(body))}
    assert ids == {i.pk for i in interventions}


def test_a_large_intervention_xlsx_is_a_job_holding_every_row_in_scope(
    private, interventions, client
):
    user = user_with(Role.OBSERVER, "92012")
    client.force_login(user)
    queued = client.get("/interventions/export/", {"format_type": "xlsx"})
    export = SiteExport.objects.get(user=user)
    assert (
        queued.status_code == 302
        and queued["Location"] == f"/sites/exports/{export.pk}/"
    )
    assert export.dataset == "interventions"
    run_pending_jobs()
    page = client.get(queued["Location"])
    assert page.context["export"].status == ExportStatus.DONE
    download = client.get(f"/sites/exports/{export.pk}/download/")
    assert download["Content-Disposition"].endswith('filename="interventions.xlsx"')
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    ids = {row[0] for row in list(sheet.iter_rows(values_only=True))[1:]}
    assert ids == {i.pk for i in interventions[:3]}  # the 92 ones, not Marseille


def test_an_intervention_job_searches_as_the_list_did(private, interventions, client):
    operator = OrganizationFactory()
    for title in ("Hygiène alpha", "Hygiène beta", "Hygiène gamma"):
        Intervention.objects.create(
            title=title, themes=["health"], lead_operator=operator,
            territory=territory("92040"), started_on=TODAY,
        )  # fmt: skip
    user = user_with(Role.NATIONAL, "FR")
    client.force_login(user)
    listed = client.get("/interventions/", {"q": "hygiène"})
    assert listed.status_code == 200
    client.get("/interventions/export/", {"format_type": "xlsx", "q": "hygiène"})
    run_pending_jobs()
    export = SiteExport.objects.get(user=user)
    sheet = load_workbook(export_file(export)).active
    titles = {row[1] for row in list(sheet.iter_rows(values_only=True))[1:]}
    assert titles == {"Hygiène alpha", "Hygiène beta", "Hygiène gamma"}
    assert export.rows_total == 3


def test_an_unknown_intervention_format_is_refused(client):
    client.force_login(user_with(Role.NATIONAL, "FR"))
    response = client.get(
        "/interventions/export/", {"format_type": "pdf"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400 and b"csv or xlsx" in response.content


def test_a_past_date_xlsx_over_the_limit_is_a_job_of_the_past_states(private):
    from sites.services import site as services

    declarer = user_with(Role.NATIONAL, "FR")
    sites = [
        services.declare_site(
            {"point": point_in("92012"), "name": f"S{i}", "kind": "land"},
            acting_user=declarer,
            confirm_nearby=True,
        )  # fmt: skip
        for i in range(3)
    ]
    user = user_with(Role.NATIONAL, "FR")
    api = APIClient()
    api.force_authenticate(user)
    day = (TODAY + datetime.timedelta(days=1)).isoformat()
    queued = api.get("/api/v1/sites/export/", {"format_type": "xlsx", "as_of": day})
    assert queued.status_code == 202
    run_pending_jobs()
    export = SiteExport.objects.get(user=user)
    assert export.status == ExportStatus.DONE and export.rows_total == 3
    sheet = load_workbook(export_file(export)).active
    assert {row[0] for row in list(sheet.iter_rows(values_only=True))[1:]} == {
        s.pk for s in sites
    }


def test_too_many_sites_for_a_past_date_is_a_400_naming_as_of(monkeypatch):
    import sites.api.site

    monkeypatch.setattr(sites.api.site, "AS_OF_LIMIT", 1)
    for i in range(2):
        Site.objects.create(
            point=point_in("92012"), commune=territory("92012"), name=f"S{i}"
        )
    api = APIClient()
    api.force_authenticate(user_with(Role.NATIONAL, "FR"))
    response = api.get("/api/v1/sites/export/", {"as_of": TODAY.isoformat()})
    assert response.status_code == 400 and "as_of" in response.json()


def _finished(user, days_ago: int, private) -> SiteExport:
    export = SiteExport.objects.create(
        user=user, format="xlsx", language="fr", status=ExportStatus.DONE,
        finished_at=timezone.now() - datetime.timedelta(days=days_ago),
    )  # fmt: skip
    export.file_name = f"sites-{export.pk}.xlsx"
    export.save()
    (private / "exports").mkdir(exist_ok=True)
    export_file(export).write_bytes(b"data")
    return export


def test_the_purge_deletes_old_files_and_marks_their_jobs_expired(private, settings):
    settings.EXPORT_RETENTION_DAYS = 7
    user = user_with(Role.NATIONAL, "FR")
    old, recent = _finished(user, 8, private), _finished(user, 2, private)
    old_path = export_file(old)
    out = io.StringIO()
    call_command("purge_exports", stdout=out)
    assert "1 export file(s) purged" in out.getvalue()
    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old_path.exists() and export_file(recent).exists()
    assert old.status == ExportStatus.EXPIRED and old.file_name == ""
    assert recent.status == ExportStatus.DONE


def test_the_jobs_page_lists_only_the_users_own_jobs_with_their_links(private, client):
    user, other = user_with(Role.NATIONAL, "FR"), user_with(Role.NATIONAL, "FR")
    mine, theirs = _finished(user, 1, private), _finished(other, 1, private)
    expired = _finished(user, 30, private)
    call_command("purge_exports", stdout=io.StringIO())
    client.force_login(user)
    page = client.get("/sites/exports/", HTTP_ACCEPT_LANGUAGE="en")
    assert {e.pk for e in page.context["exports"]} == {mine.pk, expired.pk}
    html = page.content.decode()
    assert f"/sites/exports/{mine.pk}/download/" in html
    assert f"/sites/exports/{expired.pk}/download/" not in html
    assert f"/sites/exports/{theirs.pk}/" not in html and "Expired" in html
    assert client.get(f"/sites/exports/{expired.pk}/download/").status_code == 404


def test_the_admin_lists_a_staff_members_own_jobs_and_all_for_a_superuser(
    private, client
):
    staff = user_with(Role.LOCAL_ADMIN, "92", is_staff=True)
    boss = user_with(Role.SUPERADMIN, "FR", is_staff=True, is_superuser=True)
    own, other = _finished(staff, 1, private), _finished(boss, 1, private)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="view_siteexport"))
    client.force_login(staff)
    listed = client.get("/admin/sites/siteexport/")
    assert {e.pk for e in listed.context["cl"].result_list} == {own.pk}
    assert client.get(f"/admin/sites/siteexport/{other.pk}/change/").status_code == 302
    client.force_login(boss)
    listed = client.get("/admin/sites/siteexport/")
    assert {e.pk for e in listed.context["cl"].result_list} == {own.pk, other.pk}
