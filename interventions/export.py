"""Intervention exports (CSV, XLSX) with their latest indicators, through the shared
export path of sites/export.py: the same formula neutralisation, the same scope.

Columns carry translated labels; funding totals appear only on the rows of
interventions whose funding the user may see (SEE_FUNDING), empty elsewhere.
"""

import io
from collections.abc import Iterable, Iterator

from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from actors.capabilities import SEE_FUNDING, can
from interventions.models import (
    REPORT_COUNTS,
    Funding,
    Intervention,
    InterventionReport,
)
from lib.listing import search_params
from sites.export import csv_lines, spreadsheet_safe

FUNDING_FIELDS = ("funding_planned", "funding_spent")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


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


def annotated(interventions) -> QuerySet:
    """Every row (no cap: CSV streams, a large XLSX is a background job), with its
    latest report and funding totals, in a stable order."""
    return (
        interventions.with_latest_report()
        .select_related("territory", "lead_operator")
        .annotate(
            funding_planned=_funding_sum("amount_planned"),
            funding_spent=_funding_sum("amount_spent"),
        )
        .order_by("pk")
    )


def fields_for(interventions, user) -> list[str]:
    """The columns, with the funding ones only when some row may show them (the
    header is written before the rows, so this looks first, stopping at the first)."""
    fields = [name for name in _labels() if name not in FUNDING_FIELDS]
    visible = interventions.select_related("territory", "lead_operator")
    if any(can(user, SEE_FUNDING, i) for i in visible.iterator(chunk_size=1000)):
        fields += list(FUNDING_FIELDS)
    return fields


def export_rows(interventions, user) -> Iterator[dict]:
    """One row at a time: a streamed export never holds them all."""
    for intervention in annotated(interventions).iterator(chunk_size=1000):
        yield _row(intervention, can(user, SEE_FUNDING, intervention))


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


def to_xlsx(rows: Iterable[dict], fields: list[str]) -> bytes:
    labels = _labels()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Interventions")[:31])
    sheet.append([labels[name] for name in fields])
    for row in rows:
        # openpyxl stores text starting with "=" as a formula: neutralise it first.
        sheet.append([spreadsheet_safe(row.get(name, "")) for name in fields])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_response(interventions, user) -> StreamingHttpResponse:
    """CSV streams every row, whatever their number (UTF-8 with a BOM for Excel)."""
    fields = fields_for(interventions, user)
    lines = csv_lines(export_rows(interventions, user), fields, names=_labels())
    response = StreamingHttpResponse(lines, content_type=CONTENT_TYPES["csv"])
    response["Content-Disposition"] = 'attachment; filename="interventions.csv"'
    return response


def xlsx_response(interventions, user) -> HttpResponse:
    fields = fields_for(interventions, user)
    body = to_xlsx(export_rows(interventions, user), fields)
    response = HttpResponse(body, content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = 'attachment; filename="interventions.xlsx"'
    return response


def job_content(export, counting) -> bytes:
    """The XLSX of a background job: the same filter on the same query string, as
    the user who asked sees it when it runs."""
    from interventions.filters import SEARCH_FIELDS, InterventionFilter

    params = QueryDict(export.query)
    visible = search_params(
        params, Intervention.objects.visible_to(export.user), SEARCH_FIELDS
    )
    interventions = InterventionFilter(params, queryset=visible).qs
    type(export).objects.filter(pk=export.pk).update(rows_total=interventions.count())
    fields = fields_for(interventions, export.user)
    rows = counting(export.pk, export_rows(interventions, export.user))
    return to_xlsx(rows, fields)
