"""Reads of interventions: scope, filters by meaning, latest indicators and totals."""

import datetime

from django.db import models
from django.db.models import F, Prefetch, Q, Sum, Window
from django.db.models.functions import ExtractYear, RowNumber

from actors.managers import ScopedQuerySet
from sites.managers import SiteNoteQuerySet

# The counts of a report, in display order (models.REPORT_COUNTS, kept here so the
# managers need no model import).
COUNTS = (
    "people",
    "households",
    "women",
    "minors",
    "health_followups",
    "in_employment_or_training",
    "sheltered",
    "housed",
    "schooled_kindergarten",
    "schooled_primary",
    "schooled_secondary",
)
THEMES = (
    "health",
    "schooling",
    "employment_training",
    "housing_shelter",
    "access_to_rights",
    "water_sanitation",
    "mediation",
    "other",
)
# Interventions that owe a yearly report: running ones.
REPORTING_STATUSES = ("in_progress",)


class InterventionQuerySet(ScopedQuerySet):
    scope_field = "territory"

    def within(self, territory) -> "InterventionQuerySet":
        return self.filter(territory__path__startswith=territory.path)

    def active_in(self, year: int) -> "InterventionQuerySet":
        """Running at some point of that year."""
        return self.filter(started_on__year__lte=year).filter(
            Q(ended_on__isnull=True) | Q(ended_on__year__gte=year)
        )

    def with_latest_report(self) -> "InterventionQuerySet":
        """Prefetch each one's newest report in one query (`latest_report`)."""
        reports = self.model._meta.get_field("reports").related_model
        latest = reports.objects.order_by(
            "intervention_id", "-reported_on", "-pk"
        ).distinct("intervention_id")
        return self.prefetch_related(
            Prefetch("reports", queryset=latest, to_attr="latest_reports")
        )

    def without_report_in(self, year: int) -> "InterventionQuerySet":
        """Running interventions started before that year's deadline, with no report
        dated that year."""
        return self.filter(status__in=REPORTING_STATUSES).exclude(
            reports__reported_on__year=year
        )

    def report_overdue(self, today: datetime.date, due: datetime.date):
        """Running ones with no report this year once the due date has passed."""
        if today <= due:
            return self.none()
        return self.without_report_in(due.year).filter(started_on__lt=due)

    def report_due(self, today: datetime.date, due: datetime.date, notice_days: int):
        """Running ones with no report yet this year, the due date coming soon."""
        if not due - datetime.timedelta(days=notice_days) <= today <= due:
            return self.none()
        return self.without_report_in(due.year).filter(started_on__lt=due)

    def totals_by_year(self) -> dict[int, dict[str, int]]:
        return self._reports().totals_by_year()

    def totals_by_theme_and_year(self) -> dict[tuple[str, int], dict[str, int]]:
        return self._reports().totals_by_theme_and_year()

    def _reports(self) -> "InterventionReportQuerySet":
        reports = self.model._meta.get_field("reports").related_model
        return reports.objects.filter(intervention__in=self.values("pk"))


class InterventionReportQuerySet(models.QuerySet):
    def yearly(self) -> "InterventionReportQuerySet":
        """Each intervention's figures for a year: its latest report of that year
        (several reports in one year are updates, not additions)."""
        rank = Window(
            RowNumber(),
            partition_by=[F("intervention_id"), ExtractYear("reported_on")],
            order_by=[F("reported_on").desc(), F("pk").desc()],
        )
        latest = self.annotate(rank=rank).filter(rank=1).values("pk")
        return self.model.objects.filter(pk__in=latest).annotate(
            year=ExtractYear("reported_on")
        )

    def totals_by_year(self) -> dict[int, dict[str, int]]:
        """Sum of the yearly figures of every intervention, by year."""
        rows = (
            self.yearly()
            .order_by()
            .values("year")
            .annotate(**{name: Sum(name) for name in COUNTS})
        )
        return {row.pop("year"): row for row in rows}

    def totals_by_theme_and_year(self) -> dict[tuple[str, int], dict[str, int]]:
        """The same by theme: an intervention with two themes counts in both, so
        theme rows do not add up to the year's total."""
        sums = {
            f"{theme}__{name}": Sum(
                name, filter=Q(intervention__themes__contains=[theme])
            )
            for theme in THEMES
            for name in COUNTS
        }
        rows = self.yearly().order_by().values("year").annotate(**sums)
        totals: dict[tuple[str, int], dict[str, int]] = {}
        for row in rows:
            for theme in THEMES:
                figures = {name: row[f"{theme}__{name}"] for name in COUNTS}
                if figures["people"] is not None:
                    totals[(theme, row["year"])] = figures
        return totals


class InterventionNoteQuerySet(SiteNoteQuerySet):
    """Same reading rule as the site journal: open, or narrowed to the reader's
    organization, or the reader's own."""


class SitePresenceQuerySet(models.QuerySet):
    def current(self) -> "SitePresenceQuerySet":
        return self.filter(ended_on__isnull=True)
