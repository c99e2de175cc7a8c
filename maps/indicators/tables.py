"""The tables of a territory's dashboard, shared by the page and its downloads."""

import csv
import datetime
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from actors.capabilities import SEE_FUNDING, can
from interventions.managers import InterventionQuerySet
from interventions.models import Intervention, Theme
from maps.indicators import engine
from maps.indicators.definitions import (
    CONDITION_STATUSES,
    KINDS,
    MAP_INDICATORS,
    PERSON_COUNTS,
    PUBLISHED_THEMES,
)
from sites.managers import AccessibilityPointQuerySet
from sites.models import AccessibilityPoint, Site, SiteKind, SiteStatus
from sites.models.site import THEME_LABELS, ConditionStatus
from territory.models import Level, Territory

CHILD_LEVEL: dict[str, str] = {
    Level.NATION: Level.REGION,
    Level.REGION: Level.DEPARTEMENT,
    Level.DEPARTEMENT: Level.COMMUNE,
}
PERSON_LABELS = {
    "people": _("people"),
    "households": _("households"),
    "minors": _("minors"),
    "minors_in_school": _("minors in school"),
}


@dataclass
class Table:
    key: str
    title: object
    columns: Sequence[tuple[str, object]]
    rows: list[dict]
    chart: str = ""  # "bars" (first numeric column) or "line"
    label: str = ""  # the column naming each bar
    value: str = ""  # the column the bars measure
    extra: dict = field(default_factory=dict)

    def cells(self) -> list[list[tuple[object, bool]]]:
        """Each row's values in column order, flagged when numeric (right-aligned)."""
        keys = [key for key, _label in self.columns]
        return [
            [(row.get(k), isinstance(row.get(k), int | float)) for k in keys]
            for row in self.rows
        ]

    def bars(self) -> list[dict]:
        top = max((row[self.value] or 0 for row in self.rows), default=0) or 1
        return [
            {
                "label": row[self.label],
                "value": row[self.value],
                "width": round(100 * (row[self.value] or 0) / top, 1),
            }
            for row in self.rows
        ]

    def line(self) -> dict:
        """Polyline points in a 600 x 160 box (SVG drawn by the template)."""
        values = [row[self.value] for row in self.rows]
        top = max(values, default=0) or 1
        step = 600 / max(len(values) - 1, 1)
        points = " ".join(
            f"{round(i * step, 1)},{round(150 - 140 * v / top, 1)}"
            for i, v in enumerate(values)
        )
        return {
            "points": points,
            "top": top,
            "first": self.rows[0],
            "last": self.rows[-1],
        }


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _key_figures(figures: dict) -> Table:
    rows = [{"indicator": _("open sites"), "value": figures["open_sites"]}]
    rows += [
        {"indicator": PERSON_LABELS[c], "value": figures[c]} for c in PERSON_COUNTS
    ]
    columns = [("indicator", _("indicator")), ("value", _("value"))]
    return Table("key_figures", _("Key figures"), columns, rows)


def _by_kind(figures: dict) -> Table:
    labels = dict(SiteKind.choices)
    rows = [
        {
            "kind": labels[k],
            "sites": figures[f"sites__kind__{k}"],
            "people": figures[f"people__kind__{k}"],
        }
        for k in KINDS
    ]
    columns = [("kind", _("kind")), ("sites", _("sites")), ("people", _("people"))]
    return Table(
        "by_kind",
        _("Sites and people by kind"),
        columns,
        rows,
        "bars",
        "kind",
        "people",
    )


def _conditions(figures: dict) -> Table:
    labels = dict(ConditionStatus.choices)
    rows = []
    for theme in PUBLISHED_THEMES:
        for status in CONDITION_STATUSES:
            sites = figures[f"sites__{theme}__{status}"]
            people = figures[f"people__{theme}__{status}"]
            rows.append(
                {
                    "theme": THEME_LABELS[theme],
                    "status": labels[status],
                    "sites": sites,
                    "share_sites": _share(sites, figures["open_sites"]),
                    "people": people,
                    "share_people": _share(people, figures["people"]),
                }
            )
    columns = [
        ("theme", _("theme")),
        ("status", _("status")),
        ("sites", _("sites")),
        ("share_sites", _("share of sites (%)")),
        ("people", _("people")),
        ("share_people", _("share of people (%)")),
    ]
    return Table("conditions", _("Living conditions"), columns, rows)


def _flows(flows: dict) -> Table:
    labels = dict(SiteStatus.choices)
    rows = [
        {
            "status": labels[s],
            "closures": flows[f"closures__{s}"],
            **{o: flows[f"{o}__{s}"] for o in engine.OUTCOMES},
        }
        for s in engine.CLOSED_STATUSES
    ]
    columns = [
        ("status", _("closure")),
        ("closures", _("sites closed")),
        ("housed", _("people housed")),
        ("sheltered", _("people sheltered")),
        ("no_solution", _("people without solution")),
    ]
    return Table(
        "closures",
        _("Closures and outcomes"),
        columns,
        rows,
        "bars",
        "status",
        "closures",
        {
            "openings": flows["openings"],
            "closures": flows["closures"],
            "housed": flows["housed"],
        },
    )


def _children(territory, figures_by_child: dict, children) -> Table:
    rows = [
        {
            "code": child.code,
            "name": child.name,
            **{k: figures_by_child[child.code][k] for k in MAP_INDICATORS},
        }
        for child in children
    ]
    columns = [("code", _("code")), ("name", _("name"))] + list(MAP_INDICATORS.items())
    return Table("sub_territories", _("By sub-territory"), columns, rows)


def dashboard_tables(
    user, territory: Territory, day: datetime.date | None, year: int
) -> list[Table]:
    """Every table of the dashboard, each computed in SQL over the user's scope."""
    today = datetime.date.today()  # noqa: DTZ011 (a calendar date, not an instant)
    sites = Site.objects.within(territory).visible_to(user)
    figures = engine.stock(sites, day)
    series = engine.monthly_series(sites, day or today)
    flows = engine.flows(sites, datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    scoped = cast(
        InterventionQuerySet, Intervention.objects.within(territory).visible_to(user)
    )
    theme_labels = dict(Theme.choices)
    actions = [
        {**row, "theme": theme_labels.get(row["theme"], row["theme"])}
        for row in engine.interventions(scoped)
    ]
    points = cast(
        AccessibilityPointQuerySet,
        AccessibilityPoint.objects.visible_to(user).filter(
            commune__path__startswith=territory.path
        ),
    )
    tables = [
        _key_figures(figures),
        _by_kind(figures),
        _conditions(figures),
        Table(
            "series",
            _("Open sites and people, month by month"),
            [
                ("month", _("month")),
                ("open_sites", _("open sites")),
                ("people", _("people")),
            ],
            series,
            "line",
            "month",
            "people",
        ),
        _flows(flows),
        Table(
            "interventions",
            _("Interventions and people reached, by theme and year"),
            [
                ("year", _("year")),
                ("theme", _("theme")),
                ("interventions", _("interventions")),
                ("people_reached", _("people reached")),
            ],
            actions,
        ),
    ]
    if can(user, SEE_FUNDING, territory):
        tables.append(
            Table(
                "funding",
                _("Funding by year"),
                [
                    ("year", _("year")),
                    ("planned", _("planned (€)")),
                    ("spent", _("spent (€)")),
                ],
                engine.funding(scoped),
                "bars",
                "year",
                "spent",
            )
        )
    tables.append(
        Table(
            "accessibility",
            _("Accessibility spaces per commune"),
            [
                ("commune", _("commune")),
                ("name", _("name")),
                ("points", _("points")),
                ("spaces", _("spaces")),
            ],
            engine.accessibility(points),
        )
    )
    child_level = CHILD_LEVEL.get(territory.level)
    if child_level:
        children = list(
            Territory.objects.filter(parent=territory, level=child_level)
            .only("code", "name", "path")
            .order_by("code")
        )
        by_child = engine.stock_by_child(sites, children, day)
        tables.append(_children(territory, by_child, children))
    return tables


def download(table: Table, fmt: str, filename: str) -> HttpResponse:
    """The table as CSV, JSON or XLSX, headers in the user's language."""
    keys = [key for key, _label in table.columns]
    headers = [str(label) for _key, label in table.columns]
    values = [[_plain(row.get(k)) for k in keys] for row in table.rows]
    if fmt == "json":
        body = json.dumps(
            {
                "table": table.key,
                "title": str(table.title),
                "columns": dict(zip(keys, headers, strict=True)),
                "rows": [dict(zip(keys, v, strict=True)) for v in values],
            },
            ensure_ascii=False,
            indent=1,
        )
        response = HttpResponse(body, content_type="application/json")
    elif fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = table.key[:31]
        sheet.append(headers)
        for row in values:
            sheet.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(headers)
        writer.writerows(values)
        response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def _plain(value):
    return value if value is None or isinstance(value, int | float) else str(value)
