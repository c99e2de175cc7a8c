"""Intervention exports (CSV, XLSX) with their latest indicators, through the shared
export path of sites/export.py: the same formula neutralisation, the same scope.

Columns carry translated labels; funding totals appear only on the rows of
interventions whose funding the user may see (SEE_FUNDING), empty elsewhere.
"""

import io

from django.db.models import OuterRef, Subquery, Sum
from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from actors.capabilities import SEE_FUNDING, can
from interventions.models import (
    REPORT_COUNTS,
    Funding,
    Intervention,
    InterventionReport,
)
from sites.export import spreadsheet_safe, to_csv

EXPORT_LIMIT = 50_000
FUNDING_FIELDS = ("funding_planned", "funding_spent")


def _labels() -> dict[str, str]:
    def field(model, name):
        return str(model._meta.get_field(name).verbose_name)

    labels = {
        "id": "id",
        "title": field(Intervention, "title"),
        "themes": field(Intervention, "themes"),
        "status": field(Intervention, "status"),
        "lead_operator": field(Intervention, "lead_operator"),
        "territory_code": _("territory code"),
        "territory_name": field(Intervention, "territory"),
        "location_kind": field(Intervention, "location_kind"),
        "started_on": field(Intervention, "started_on"),
        "ended_on": field(Intervention, "ended_on"),
        "report_date": _("latest report date"),
    }
    labels.update((n, field(InterventionReport, n)) for n in REPORT_COUNTS)
    labels["funding_planned"] = _("funding planned, all years (€)")
    labels["funding_spent"] = _("funding spent, all years (€)")
    return labels


def rows_for(interventions, user) -> tuple[list[dict], list[str]]:
    """(rows keyed by field, field order); the funding columns only when some row
    may show them."""
    interventions = list(
        interventions.with_latest_report()
        .annotate(
            funding_planned=_funding_sum("amount_planned"),
            funding_spent=_funding_sum("amount_spent"),
        )
        .order_by("pk")[:EXPORT_LIMIT]
    )
    rows = [_row(i, can(user, SEE_FUNDING, i)) for i in interventions]
    fields = [name for name in _labels() if name not in FUNDING_FIELDS]
    if any(can(user, SEE_FUNDING, i) for i in interventions):
        fields += list(FUNDING_FIELDS)
    return rows, fields


def _funding_sum(amount: str) -> Subquery:
    # A subquery, not a join: filters joining partners or sites would multiply sums.
    lines = (
        Funding.objects.filter(intervention=OuterRef("pk"))
        .order_by()
        .values("intervention")
        .annotate(total=Sum(amount))
        .values("total")
    )
    return Subquery(lines)


def _row(intervention: Intervention, sees_funding: bool) -> dict:
    report = intervention.latest_report
    row = {
        "id": intervention.pk,
        "title": intervention.title,
        "themes": intervention.get_themes_display(),
        "status": intervention.get_status_display(),
        "lead_operator": intervention.lead_operator.name,
        "territory_code": intervention.territory.code,
        "territory_name": intervention.territory.name,
        "location_kind": intervention.get_location_kind_display(),
        "started_on": intervention.started_on,
        "ended_on": intervention.ended_on or "",
        "report_date": report.reported_on if report else "",
    }
    row.update((n, getattr(report, n) if report else "") for n in REPORT_COUNTS)
    if sees_funding:
        row["funding_planned"] = intervention.funding_planned or 0
        row["funding_spent"] = intervention.funding_spent or 0
    return row


def to_xlsx(rows: list[dict], fields: list[str]) -> bytes:
    labels = _labels()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Interventions")[:31]
    sheet.append([labels[name] for name in fields])
    for row in rows:
        # openpyxl stores text starting with "=" as a formula: neutralise it first.
        sheet.append([spreadsheet_safe(row.get(name, "")) for name in fields])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def response(rows: list[dict], fields: list[str], kind: str) -> HttpResponse:
    if kind == "xlsx":
        content_type = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        result = HttpResponse(to_xlsx(rows, fields), content_type=content_type)
    else:
        labels = _labels()
        labelled = [{labels[k]: v for k, v in row.items()} for row in rows]
        body = to_csv(labelled, [labels[name] for name in fields])
        result = HttpResponse(body, content_type="text/csv; charset=utf-8")
    result["Content-Disposition"] = f'attachment; filename="interventions.{kind}"'
    return result
