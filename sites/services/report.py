"""Writes to public reports: submit (anonymous), convert to a site or a point, dismiss.

Each is atomic and audited. Handling is for local admins of the report's commune; it
erases the reporter's e-mail address after queuing the one mail that tells the outcome.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from actors import mail
from actors.audit import record
from actors.capabilities import HANDLE_REPORT, require
from actors.language import spoken_language
from actors.ratelimit import client_hash
from actors.services import absolute, reviewers_of
from sites.models import (
    AccessibilityPoint,
    PointStatus,
    PublicReport,
    ReportContact,
    ReportStatus,
    Site,
)
from sites.services.accessibility import report_point, set_point_status
from sites.services.site import declare_site
from territory.models import Territory

REPORT_FIELDS = ("kind", "point", "description")


@transaction.atomic
def submit_report(data: dict, contact_email: str = "", *, request) -> PublicReport:
    """Store an anonymous report, its separate contact, and tell the reviewers."""
    fingerprint = client_hash(request)
    report = PublicReport(
        client_hash=fingerprint, **{k: data.get(k) for k in REPORT_FIELDS}
    )
    if report.point is None:
        raise ValidationError({"point": _("A location is required.")})
    report.point.srid = report.point.srid or settings.GEO_SRID
    report.commune = Territory.objects.commune_at(report.point)
    report.full_clean()
    report.save()
    if contact_email:
        contact = ReportContact(
            report=report,
            email=contact_email.strip().lower(),
            language=spoken_language(),
        )
        contact.full_clean()
        contact.save()
    # No `request`: the audit log would keep the reporter's raw address.
    record(
        "public_report.submitted",
        target=report,
        kind=report.kind,
        commune=report.commune.code,
    )
    link = absolute(reverse("reports:detail", args=[report.pk]))
    mail.send_to_users(
        reviewers_of(report.commune),
        "sites/mail/report_received",
        {"report": report, "link": link},
        topic="notify_public_reports",
    )
    return report


@transaction.atomic
def convert_report_to_site(report: PublicReport, *, acting_user, data: dict | None = None,
                           confirm_nearby: bool = False, request=None) -> Site:  # fmt: skip
    """Declare a site at the reported place; `data` adds the admin's own fields."""
    report = _lock_new(report, acting_user)
    site = declare_site(
        {
            "kind": "land",
            "declared_on": timezone.localdate(report.created_at),
            **(data or {}),
            "point": report.point.clone(),
        },
        acting_user=acting_user,
        confirm_nearby=confirm_nearby,
        request=request,
    )
    report.site = site
    _close(report, ReportStatus.CONVERTED, acting_user, request, site=site.pk)
    return site


@transaction.atomic
def convert_report_to_point(report: PublicReport, *, acting_user, data: dict | None = None,
                            request=None) -> AccessibilityPoint:  # fmt: skip
    """Record a verified accessibility point at the reported place."""
    report = _lock_new(report, acting_user)
    point = report_point(
        {**(data or {}), "point": report.point.clone()},
        acting_user=acting_user,
        request=request,
    )
    point = set_point_status(
        point, PointStatus.VERIFIED, acting_user=acting_user, request=request
    )
    report.accessibility_point = point
    _close(report, ReportStatus.CONVERTED, acting_user, request, point=point.pk)
    return point


@transaction.atomic
def dismiss_report(
    report: PublicReport, *, acting_user, reason: str, request=None
) -> PublicReport:
    report = _lock_new(report, acting_user)
    if not (reason or "").strip():
        raise ValidationError(
            {"dismissal_reason": _("A reason is required to dismiss a report.")}
        )
    report.dismissal_reason = reason.strip()
    return _close(report, ReportStatus.DISMISSED, acting_user, request)


def _lock_new(report: PublicReport, acting_user) -> PublicReport:
    report = (
        PublicReport.objects.select_for_update(of=("self",))
        .select_related("commune")
        .get(pk=report.pk)
    )
    require(
        acting_user, HANDLE_REPORT, report, _("This report is outside your territory.")
    )
    if not report.is_new:
        raise ValidationError(_("This report has already been handled."))
    return report


def _close(report: PublicReport, status: str, acting_user, request, **details):
    report.status = status
    report.handled_by, report.handled_at = acting_user, timezone.now()
    report.full_clean()
    report.save()
    record(
        f"public_report.{status}",
        actor=acting_user,
        target=report,
        request=request,
        **details,
    )
    contact = ReportContact.objects.filter(report=report).first()
    if contact is not None:
        mail.send(
            [contact.email],
            f"sites/mail/report_{status}",
            {"report": report},
            language=contact.language,
        )
        contact.delete()  # the address served its one purpose
    return report
