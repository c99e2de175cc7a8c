"""Public reports: anyone, without an account, points at a possible site or a problem.

The reporter's e-mail address lives in its own table (`ReportContact`) so that the
report itself never holds it, and so that handling the report can erase it whole.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from actors.language import LanguageField
from actors.roles import Role
from actors.scope import paths_q, scope_of
from lib.free_text import check_free_text
from territory.mixins import InCommune


class ReportKind(models.TextChoices):
    POSSIBLE_SITE = (
        "possible_site",
        _("a place where people seem to live without adequate housing"),
    )
    ACCESSIBILITY_PROBLEM = (
        "accessibility_problem",
        _("a problem with a disabled parking space"),
    )
    MISSING_ACCESSIBILITY_POINT = (
        "missing_accessibility_point",
        _("a disabled parking space missing from the map"),
    )


class ReportStatus(models.TextChoices):
    NEW = "new", _("new")
    CONVERTED = "converted", _("taken into account")
    DISMISSED = "dismissed", _("dismissed")


class PublicReportQuerySet(models.QuerySet):
    def new(self) -> "PublicReportQuerySet":
        return self.filter(status=ReportStatus.NEW)

    def decidable_by(self, user) -> "PublicReportQuerySet":
        """Reports in a commune inside the user's local_admin scope."""
        q = paths_q("commune", scope_of(user).write_paths(Role.LOCAL_ADMIN))
        return self.filter(q) if q is not None else self.none()


class PublicReport(InCommune):
    """What an anonymous visitor saw; a local admin turns it into a site or a point."""

    free_text_fields = ("description", "dismissal_reason")

    kind = models.CharField(_("what is reported"), max_length=30, choices=ReportKind.choices)  # fmt: skip
    point = models.PointField(_("location"), srid=settings.GEO_SRID)
    description = models.TextField(_("description"), max_length=2000)
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.NEW
    )  # fmt: skip
    dismissal_reason = models.TextField(
        _("reason for dismissal"), blank=True, max_length=1000
    )
    created_at = models.DateTimeField(
        _("received at"), default=timezone.now, editable=False
    )
    # sha256(SECRET_KEY + address): enough to count a client's reports, never the address.
    client_hash = models.CharField(
        _("client fingerprint"), max_length=64, editable=False
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    site = models.ForeignKey(
        "sites.Site",
        verbose_name=_("site created from it"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accessibility_point = models.ForeignKey(
        "sites.AccessibilityPoint",
        verbose_name=_("accessibility point created from it"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = PublicReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("public report")
        verbose_name_plural = _("public reports")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["client_hash", "created_at"], name="report_client_time"),
            models.Index(fields=["status"], name="report_status"),
        ]  # fmt: skip
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="dismissed") | ~Q(dismissal_reason=""),
                name="public_report_dismissal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="new") | Q(handled_at__isnull=False),
                name="public_report_handled_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    @property
    def is_new(self) -> bool:
        return self.status == ReportStatus.NEW

    def clean(self) -> None:
        errors: dict[str, list] = {}
        check_free_text(errors, "description", self.description, self)
        check_free_text(errors, "dismissal_reason", self.dismissal_reason, self)
        if errors:
            raise ValidationError(errors)


class ReportContact(models.Model):
    """The reporter's address, apart from the report; deleted when the report is handled."""

    report = models.OneToOneField(
        PublicReport,
        verbose_name=_("report"),
        on_delete=models.CASCADE,
        related_name="contact",
    )
    email = models.EmailField(_("e-mail address"))
    language = LanguageField()

    class Meta:
        verbose_name = _("reporter contact")
        verbose_name_plural = _("reporter contacts")

    def __str__(self) -> str:
        return f"contact of report #{self.report_id}"
