"""Public reports: anonymous submission, rate limit, the local admins' queue, handling."""

import pytest
from django.contrib.gis.geos import Point
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from actors.mail import run_pending_jobs
from actors.models import AuditEvent
from actors.roles import Role
from lib.free_text import check_free_text
from sites.models import (
    AccessibilityPoint,
    PublicReport,
    ReportContact,
    ReportStatus,
    Site,
)
from sites.services import report as reports
from tests.factories import point_in, user_with

pytestmark = pytest.mark.django_db
REPORTER = "temoin@example.org"
ADDRESS = "203.0.113.7"


@pytest.fixture
def admins():
    return {
        "92": user_with(Role.LOCAL_ADMIN, "92", email="pref92@example.org"),
        "13": user_with(Role.LOCAL_ADMIN, "13", email="pref13@example.org"),
    }


def post_report(client, code="92012", address=ADDRESS, **overrides):
    data = {
        "kind": "possible_site",
        "point": point_in(code).ewkt if code else "",
        "description": "Des tentes sous le pont, côté quai.",
        "contact_email": REPORTER,
        **overrides,
    }
    return client.post("/reports/new/", data, REMOTE_ADDR=address)


def make_report(code="92012", email=REPORTER, address=ADDRESS, **fields):
    request = RequestFactory().post("/reports/new/", REMOTE_ADDR=address)
    data = {
        "kind": "possible_site",
        "point": point_in(code),
        "description": "Un campement près du parking.",
        **fields,
    }
    return reports.submit_report(data, email, request=request)


def test_an_anonymous_report_is_stored_with_its_contact_apart_and_reviewers_are_told(
    client, admins, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_report(client)
    assert response.status_code == 302 and response.url == "/reports/thanks/"
    report = PublicReport.objects.get()
    assert (report.kind, report.commune.code, report.status) == (
        "possible_site",
        "92012",
        ReportStatus.NEW,
    )
    assert ReportContact.objects.get(report=report).email == REPORTER
    # The report row itself holds neither the address nor the raw client IP.
    stored = {f.attname: getattr(report, f.attname) for f in report._meta.fields}
    assert not any(REPORTER in str(v) or ADDRESS in str(v) for v in stored.values())
    assert report.client_hash == reports.client_hash(
        RequestFactory().get("/", REMOTE_ADDR=ADDRESS)
    )
    event = AuditEvent.objects.get(action="public_report.submitted")
    assert event.ip_address is None
    # Only the admins of the covering département hear of it.
    assert [m.to for m in mail.outbox] == [["pref92@example.org"]]
    assert f"/reports/{report.pk}/" in mail.outbox[0].body


def test_the_thank_you_page_shows_nothing_of_other_reports(client):
    make_report(description="Campement secret rue des Lilas.", address="198.51.100.1")
    response = client.get(post_report(client).url)
    assert response.status_code == 200
    assert "Lilas" not in response.content.decode()
    assert "Des tentes" not in response.content.decode()


def test_personal_data_in_the_description_is_refused_naming_the_field(client):
    text = "Appeler M. Dupont au 06 12 34 56 78 pour y aller."
    response = post_report(client, description=text)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["description"]
    guard: dict = {}
    with translation.override("fr"):  # the site's default language
        check_free_text(guard, "description", text)
    assert errors["description"] == guard["description"]
    assert not PublicReport.objects.exists()
    assert not ReportContact.objects.exists()


def test_a_point_outside_france_is_refused_naming_the_field(client):
    response = post_report(client, code=None, point="SRID=4326;POINT(92.15 21.2)")
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["point"]
    assert not PublicReport.objects.exists()


def test_the_sixth_report_within_an_hour_from_one_address_is_refused_with_429(
    client,
):
    for _ in range(5):
        assert post_report(client).status_code == 302
    response = post_report(client, description="Encore un autre campement.")
    assert response.status_code == 429
    assert "5" in response.content.decode()
    assert PublicReport.objects.count() == 5
    assert ReportContact.objects.count() == 5
    # Another address is not held back by this one.
    assert post_report(client, address="198.51.100.9").status_code == 302


def test_a_local_admin_sees_reports_of_their_departement_only(client, admins):
    report = make_report("92012")
    elsewhere = make_report("13055")
    client.force_login(admins["92"])
    queue = client.get("/reports/")
    assert [r.pk for r in queue.context["reports"]] == [report.pk]
    assert client.get(f"/reports/{report.pk}/").status_code == 200
    assert client.get(f"/reports/{elsewhere.pk}/").status_code == 404

    client.force_login(admins["13"])
    assert [r.pk for r in client.get("/reports/").context["reports"]] == [elsewhere.pk]
    assert client.get(f"/reports/{report.pk}/").status_code == 404


def test_the_queue_never_shows_the_reporters_address(client, admins):
    report = make_report()
    client.force_login(admins["92"])
    for url in ("/reports/", f"/reports/{report.pk}/"):
        assert REPORTER not in client.get(url).content.decode()


def test_the_queue_costs_the_same_queries_for_one_or_many_reports(client, admins):
    client.force_login(admins["92"])
    make_report()
    with CaptureQueriesContext(connection) as one:
        client.get("/reports/")
    make_report("92040")
    make_report("92012", address="198.51.100.2")
    with CaptureQueriesContext(connection) as three:
        response = client.get("/reports/")
    assert len(response.context["reports"]) == 3
    assert len(three) == len(one)


def test_anonymous_visitors_and_contributors_cannot_open_the_queue(client):
    report = make_report()
    for url in ("/reports/", f"/reports/{report.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url
    client.force_login(user_with(Role.CONTRIBUTOR, "92012"))
    for url in ("/reports/", f"/reports/{report.pk}/"):
        assert client.get(url).status_code == 403


def test_converting_to_a_site_declares_it_erases_the_contact_and_tells_the_reporter(
    client, admins, django_capture_on_commit_callbacks
):
    report = make_report("92012")
    run_pending_jobs()  # the reviewers' notification, not what this test reads
    mail.outbox.clear()
    client.force_login(admins["92"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/reports/{report.pk}/",
            {"action": "site", "site-kind": "encampment", "site-name": "Sous le pont"},
        )
    site = Site.objects.get()
    assert response.status_code == 302 and response.url == f"/sites/{site.pk}/"
    assert (site.commune.code, site.kind, site.name, site.created_by) == (
        "92012",
        "encampment",
        "Sous le pont",
        admins["92"],
    )
    assert site.point.equals_exact(report.point, 1e-9)
    report.refresh_from_db()
    assert (report.status, report.site, report.handled_by) == (
        ReportStatus.CONVERTED,
        site,
        admins["92"],
    )
    assert report.handled_at is not None
    assert not ReportContact.objects.exists()
    assert [m.to for m in mail.outbox] == [[REPORTER]]
    assert AuditEvent.objects.filter(
        action="public_report.converted", actor=admins["92"]
    ).exists()
    assert AuditEvent.objects.filter(action="site.declared").exists()


def test_converting_to_a_point_records_a_verified_point(admins):
    report = make_report("92040", kind="missing_accessibility_point", email="")
    point = reports.convert_report_to_point(
        report, acting_user=admins["92"], data={"spaces": 2, "address": "2 rue Neuve"}
    )
    assert (point.commune.code, point.status, point.spaces, point.verified_by) == (
        "92040",
        "verified",
        2,
        admins["92"],
    )
    report.refresh_from_db()
    assert (report.status, report.accessibility_point) == ("converted", point)


def test_dismissing_requires_a_reason_and_erases_the_contact(
    client, admins, django_capture_on_commit_callbacks
):
    report = make_report()
    run_pending_jobs()  # the reviewers' notification, not what this test reads
    mail.outbox.clear()
    with pytest.raises(ValidationError) as error:
        reports.dismiss_report(report, acting_user=admins["92"], reason="  ")
    assert "dismissal_reason" in error.value.message_dict
    client.force_login(admins["92"])
    response = client.post(
        f"/reports/{report.pk}/", {"action": "dismiss", "dismiss-dismissal_reason": ""}
    )
    assert response.status_code == 200
    assert "dismissal_reason" in response.context["dismiss_form"].errors
    report.refresh_from_db()
    assert report.status == ReportStatus.NEW
    assert ReportContact.objects.filter(report=report).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/reports/{report.pk}/",
            {"action": "dismiss", "dismiss-dismissal_reason": "Déjà connu, site n°12."},
        )
    assert response.status_code == 302 and response.url == "/reports/"
    report.refresh_from_db()
    assert (report.status, report.dismissal_reason) == (
        ReportStatus.DISMISSED,
        "Déjà connu, site n°12.",
    )
    assert not ReportContact.objects.exists()
    assert [m.to for m in mail.outbox] == [[REPORTER]]
    assert "Déjà connu, site n°12." in mail.outbox[0].body
    assert [r.pk for r in client.get("/reports/").context["reports"]] == []


def test_personal_data_in_a_dismissal_reason_is_refused(admins):
    report = make_report()
    with pytest.raises(ValidationError) as error:
        reports.dismiss_report(
            report, acting_user=admins["92"], reason="Voir lea@example.org"
        )
    assert "dismissal_reason" in error.value.message_dict


def test_a_handled_report_cannot_be_handled_twice(client, admins):
    report = make_report()
    reports.dismiss_report(report, acting_user=admins["92"], reason="Doublon.")
    with pytest.raises(ValidationError):
        reports.convert_report_to_site(
            report, acting_user=admins["92"], confirm_nearby=True
        )
    with pytest.raises(ValidationError):
        reports.dismiss_report(report, acting_user=admins["92"], reason="Encore.")
    client.force_login(admins["92"])
    response = client.post(
        f"/reports/{report.pk}/",
        {"action": "site", "site-kind": "land", "site-confirm_nearby": "on"},
    )
    assert response.status_code == 200
    assert response.context["site_form"].non_field_errors()
    assert not Site.objects.exists()
    report.refresh_from_db()
    assert (report.status, report.dismissal_reason) == ("dismissed", "Doublon.")


def test_an_admin_of_another_departement_cannot_handle_a_report(admins):
    report = make_report("92012")
    with pytest.raises(PermissionDenied):
        reports.dismiss_report(report, acting_user=admins["13"], reason="Hors sujet.")
    with pytest.raises(PermissionDenied):
        reports.convert_report_to_point(report, acting_user=admins["13"])
    assert not AccessibilityPoint.objects.exists()
    report.refresh_from_db()
    assert report.status == ReportStatus.NEW


def test_a_site_near_an_open_one_needs_confirmation(client, admins):
    first = make_report("92012")
    reports.convert_report_to_site(
        first, acting_user=admins["92"], data={"name": "Quai"}
    )
    second = make_report(point=Point(first.point.x + 0.0002, first.point.y, srid=4326))
    client.force_login(admins["92"])
    url = f"/reports/{second.pk}/"
    response = client.post(url, {"action": "site", "site-kind": "land"})
    assert response.status_code == 200
    assert [s.name for s in response.context["nearby"]] == ["Quai"]
    response = client.post(
        url, {"action": "site", "site-kind": "land", "site-confirm_nearby": "on"}
    )
    assert response.status_code == 302
    assert Site.objects.count() == 2
