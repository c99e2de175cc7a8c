"""Interventions: what organizations do on the ground, reported in counts, funded by year.

Scoped by their territory (`scope_path()`), like sites by their commune: lists go
through `InterventionQuerySet.visible_to`, object checks through the capabilities.
No resident is ever named: reports hold counts only, every free text passes the
personal-data guard.
"""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from interventions.managers import (
    InterventionNoteQuerySet,
    InterventionQuerySet,
    InterventionReportQuerySet,
    SitePresenceQuerySet,
)
from lib.free_text import check_free_text, validate_free_text


class Theme(models.TextChoices):
    HEALTH = "health", _("health")
    SCHOOLING = "schooling", _("schooling")
    EMPLOYMENT_TRAINING = "employment_training", _("employment and training")
    HOUSING_SHELTER = "housing_shelter", _("housing and shelter")
    ACCESS_TO_RIGHTS = "access_to_rights", _("access to rights")
    WATER_SANITATION = "water_sanitation", _("water and sanitation")
    MEDIATION = "mediation", _("mediation")
    OTHER = "other", _("other")


class LocationKind(models.TextChoices):
    ON_SITES = "on_sites", _("on listed sites")
    INSERTION_SITE = "insertion_site", _("temporary insertion site")
    HOUSING = "housing", _("housing")
    OTHER = "other", _("other")


class InterventionStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    IN_PROGRESS = "in_progress", _("in progress")
    COMPLETED = "completed", _("completed")
    STOPPED = "stopped", _("stopped")


CLOSED_STATUSES = (InterventionStatus.COMPLETED, InterventionStatus.STOPPED)
COUNT_LIMIT = MaxValueValidator(1_000_000)


class Intervention(models.Model):
    """An action led by one operator organization, with partners and pilots."""

    free_text_fields = ("title", "location_text", "goals")

    title = models.CharField(_("title"), max_length=200)
    themes = ArrayField(
        models.CharField(max_length=24, choices=Theme.choices),
        verbose_name=_("themes"),
        default=list,
    )
    lead_operator = models.ForeignKey(
        "actors.Organization",
        verbose_name=_("lead operator"),
        on_delete=models.PROTECT,
        related_name="led_interventions",
    )
    partners = models.ManyToManyField(
        "actors.Organization",
        verbose_name=_("partners"),
        blank=True,
        related_name="partner_interventions",
    )
    pilots = models.ManyToManyField(
        "actors.Organization",
        verbose_name=_("pilots"),
        blank=True,
        related_name="piloted_interventions",
    )
    territory = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    location_kind = models.CharField(
        _("location kind"),
        max_length=16,
        choices=LocationKind.choices,
        default=LocationKind.ON_SITES,
    )
    sites = models.ManyToManyField(
        "sites.Site",
        verbose_name=_("linked sites"),
        blank=True,
        related_name="interventions",
    )
    location_text = models.CharField(_("location"), max_length=255, blank=True)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=InterventionStatus.choices,
        default=InterventionStatus.PLANNED,
    )
    goals = models.TextField(_("goals"), blank=True, max_length=5000)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = InterventionQuerySet.as_manager()

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering = ["-started_on", "pk"]

    def __str__(self) -> str:
        return self.title

    def scope_path(self) -> str:
        return self.territory.path

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def latest_report(self) -> "InterventionReport | None":
        """The newest report; prefetched by `with_latest_report()` on lists."""
        if hasattr(self, "latest_reports"):
            return self.latest_reports[0] if self.latest_reports else None
        return self.reports.order_by("-reported_on", "-pk").first()

    def get_themes_display(self) -> str:
        labels = dict(Theme.choices)
        return ", ".join(str(labels.get(t, t)) for t in self.themes)

    def clean(self) -> None:
        errors: dict[str, list] = {}
        for name in self.free_text_fields:
            check_free_text(errors, name, getattr(self, name), self)
        if not self.themes:
            errors.setdefault("themes", []).append(_("Choose at least one theme."))
        if len(set(self.themes)) != len(self.themes):
            self.themes = list(dict.fromkeys(self.themes))
        self._check_dates(errors)
        if errors:
            raise ValidationError(errors)

    def _check_dates(self, errors: dict) -> None:
        if self.ended_on and self.started_on and self.ended_on < self.started_on:
            errors.setdefault("ended_on", []).append(
                _("The end date is before the start date.")
            )
        if self.is_closed and not self.ended_on:
            errors.setdefault("ended_on", []).append(
                _("A completed or stopped intervention needs its end date.")
            )


def count(label) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(label, default=0, validators=[COUNT_LIMIT])


# (part, whole): a part can never exceed its whole.
SUBSETS = (
    ("households", "people"),
    ("women", "people"),
    ("minors", "people"),
    ("health_followups", "people"),
    ("in_employment_or_training", "people"),
    ("sheltered", "people"),
    ("housed", "people"),
)
SCHOOLED = ("schooled_kindergarten", "schooled_primary", "schooled_secondary")
REPORT_COUNTS = (
    "people",
    "households",
    "women",
    "minors",
    "health_followups",
    "in_employment_or_training",
    "sheltered",
    "housed",
    *SCHOOLED,
)


class InterventionReport(models.Model):
    """Dated indicators of an intervention: counts only, never a person."""

    intervention = models.ForeignKey(
        Intervention,
        verbose_name=_("intervention"),
        on_delete=models.CASCADE,
        related_name="reports",
    )
    reported_on = models.DateField(_("report date"))
    people = count(_("people reached"))
    households = count(_("households reached"))
    women = count(_("women"))
    minors = count(_("minors"))
    health_followups = count(_("health follow-ups"))
    in_employment_or_training = count(_("people in employment or training"))
    sheltered = count(_("people sheltered"))
    housed = count(_("people housed"))
    schooled_kindergarten = count(_("children schooled in kindergarten"))
    schooled_primary = count(_("children schooled in primary school"))
    schooled_secondary = count(_("children schooled in secondary school"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = InterventionReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator report")
        verbose_name_plural = _("indicator reports")
        ordering = ["-reported_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.intervention} · {self.reported_on}"

    @property
    def schooled(self) -> int:
        return sum(getattr(self, name) or 0 for name in SCHOOLED)

    def clean(self) -> None:
        errors: dict[str, list] = {}
        for part, whole in SUBSETS:
            self._at_most(errors, part, getattr(self, part), whole)
        if self.minors is not None and self.schooled > self.minors:
            errors.setdefault("minors", []).append(
                _(
                    "The children schooled (%(n)s in all) cannot exceed %(whole)s (%(b)s)."
                )
                % {"n": self.schooled, "whole": self._label("minors"), "b": self.minors}
            )
        if errors:
            raise ValidationError(errors)

    def _at_most(self, errors: dict, part: str, value, whole: str) -> None:
        total = getattr(self, whole)
        if value is not None and total is not None and value > total:
            errors.setdefault(part, []).append(
                _("%(part)s (%(a)s) cannot exceed %(whole)s (%(b)s).")
                % {
                    "part": self._label(part),
                    "a": value,
                    "whole": self._label(whole),
                    "b": total,
                }
            )

    def _label(self, name: str) -> str:
        return str(self._meta.get_field(name).verbose_name)


class FundingSource(models.TextChoices):
    STATE = "state", _("State")
    LOCAL_AUTHORITY = "local_authority", _("local authority")
    EU = "eu", _("European Union")
    PRIVATE = "private", _("private")
    OTHER = "other", _("other")


class Funding(models.Model):
    """One yearly funding line: seen only by those allowed (SEE_FUNDING)."""

    intervention = models.ForeignKey(
        Intervention,
        verbose_name=_("intervention"),
        on_delete=models.CASCADE,
        related_name="funding",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    source_kind = models.CharField(
        _("source"), max_length=16, choices=FundingSource.choices
    )
    amount_planned = models.DecimalField(
        _("amount planned (€)"), max_digits=12, decimal_places=2, default=0
    )
    amount_spent = models.DecimalField(
        _("amount spent (€)"), max_digits=12, decimal_places=2, default=0
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("funding line")
        verbose_name_plural = _("funding lines")
        ordering = ["-year", "source_kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["intervention", "year", "source_kind"],
                name="funding_one_line_per_year_and_source",
                violation_error_message=_(
                    "This intervention already has a line for this year and source."
                ),
            ),
            models.CheckConstraint(
                condition=Q(amount_planned__gte=0) & Q(amount_spent__gte=0),
                name="funding_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.intervention} · {self.year} · {self.get_source_kind_display()}"

    def clean(self) -> None:
        errors: dict[str, list] = {}
        for name in ("amount_planned", "amount_spent"):
            value = getattr(self, name)
            if value is not None and value < 0:
                errors.setdefault(name, []).append(_("An amount cannot be negative."))
        if self.year is not None and not 2000 <= self.year <= 2100:
            errors.setdefault("year", []).append(
                _("Give a year between 2000 and 2100.")
            )
        if errors:
            raise ValidationError(errors)


class InterventionNote(models.Model):
    """A dated journal note; `visible_to` narrows it to chosen organizations."""

    free_text_fields = ("text",)

    intervention = models.ForeignKey(
        Intervention,
        verbose_name=_("intervention"),
        on_delete=models.CASCADE,
        related_name="notes",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    author_organization = models.ForeignKey(
        "actors.Organization",
        verbose_name=_("author organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    written_at = models.DateTimeField(_("written at"), auto_now_add=True)
    text = models.TextField(_("text"), max_length=5000)
    visible_to = models.ManyToManyField(
        "actors.Organization",
        verbose_name=_("visible only to"),
        blank=True,
        related_name="+",
    )

    objects = InterventionNoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("intervention journal note")
        verbose_name_plural = _("intervention journal notes")
        ordering = ["-written_at"]

    def __str__(self) -> str:
        return f"{self.intervention} · {self.written_at:%Y-%m-%d}"

    def clean(self) -> None:
        validate_free_text(self, *self.free_text_fields)

    def scope_path(self) -> str:
        return self.intervention.scope_path()


class InterventionRevision(models.Model):
    """One change: who, when, old -> new per field, and the full state after it.

    Reports and funding lines are recorded too (action `reported`, `funded`), with
    the version they were added at: they do not make an open edit form stale.
    """

    intervention = models.ForeignKey(
        Intervention,
        verbose_name=_("intervention"),
        on_delete=models.CASCADE,
        related_name="revisions",
    )
    version = models.PositiveIntegerField(_("version"))
    at = models.DateTimeField(_("at"), db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
    )
    action = models.CharField(_("action"), max_length=20)
    changes = models.JSONField(_("changes"), default=dict)
    snapshot = models.JSONField(_("state after the change"))

    class Meta:
        verbose_name = _("intervention revision")
        verbose_name_plural = _("intervention revisions")
        ordering = ["intervention", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.intervention} · v{self.version} · {self.action}"


class SitePresence(models.Model):
    """An organization declares it works on a site, from a date, until it stops."""

    site = models.ForeignKey(
        "sites.Site",
        verbose_name=_("site"),
        on_delete=models.CASCADE,
        related_name="presences",
    )
    organization = models.ForeignKey(
        "actors.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="site_presences",
    )
    started_on = models.DateField(_("works there since"))
    ended_on = models.DateField(_("stopped on"), null=True, blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("declared by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = SitePresenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("presence on a site")
        verbose_name_plural = _("presences on sites")
        ordering = ["site", "organization__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "organization"],
                condition=Q(ended_on__isnull=True),
                name="presence_one_current_per_site_and_organization",
                violation_error_message=_(
                    "This organization already works on this site."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.site}"

    def scope_path(self) -> str:
        return self.site.commune.path

    def clean(self) -> None:
        if self.ended_on and self.started_on and self.ended_on < self.started_on:
            raise ValidationError(
                {"ended_on": _("The end date is before the start date.")}
            )


class ReminderKind(models.TextChoices):
    DUE = "due", _("report due")
    OVERDUE = "overdue", _("report overdue")


class ReportReminder(models.Model):
    """A reminder sent for one intervention's yearly report: never twice a period."""

    intervention = models.ForeignKey(
        Intervention,
        verbose_name=_("intervention"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=8, choices=ReminderKind.choices)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("report reminder")
        verbose_name_plural = _("report reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["intervention", "year", "kind"], name="reminder_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.intervention} · {self.year} · {self.kind}"


class Follow(models.Model):
    """A user follows a site or an intervention (exactly one of them)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="follows",
    )
    site = models.ForeignKey(
        "sites.Site",
        verbose_name=_("site"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="followers",
    )
    intervention = models.ForeignKey(
        Intervention,
        verbose_name=_("intervention"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="followers",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.CheckConstraint(
                condition=Q(site__isnull=True) ^ Q(intervention__isnull=True),
                name="follow_one_object",
            ),
            models.UniqueConstraint(fields=["user", "site"], name="follow_site_once"),
            models.UniqueConstraint(
                fields=["user", "intervention"], name="follow_intervention_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.site or self.intervention}"


class DigestKind(models.TextChoices):
    DAILY = "daily", _("daily digest of followed objects")
    WEEKLY = "weekly", _("weekly digest of a territory")


class DigestSent(models.Model):
    """What was mailed to whom for which period: at most one digest per period."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=8, choices=DigestKind.choices)
    period = models.DateField(_("period starting on"))
    since = models.DateTimeField(_("changes since"))
    items = models.PositiveIntegerField(_("items"), default=0)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "period"], name="digest_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.kind} · {self.period}"
