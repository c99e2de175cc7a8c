"""Public open data: a nationwide table by département, région and nation, protected
by lib.disclosure and stored as a fixed snapshot (`publish_indicators`).

Two families of columns share the table: the stock of open sites on the day (all,
by kind, by living condition) and the flow of sites closed in the year before it
(all, by closure status, with their people at closure). Sites are grouped per
département and column in SQL; régions and the nation are sums of their
départements, so every equation of the table holds exactly.
"""

import datetime
from collections import Counter
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from lib.disclosure import Cell, Rules, hierarchy_equations, protect, round_people
from maps.indicators.definitions import (
    CONDITION_STATUSES,
    KINDS,
    PERSON_COUNTS,
    PUBLISHED_THEMES,
)
from maps.indicators.engine import CLOSED_STATUSES, _source
from maps.models import IndicatorSnapshot
from sites.models import Site
from sites.models.site import (
    THEME_LABELS,
    ConditionStatus,
    SiteKind,
    SiteStatus,
)
from territory.models import Level, Territory

TOTAL = "all"
GROUPS = {
    "kind": [f"kind:{k}" for k in KINDS],
    **{t: [f"{t}:{s}" for s in CONDITION_STATUSES] for t in PUBLISHED_THEMES},
}
CLOSED_TOTAL = "closed:all"
CLOSED_GROUPS = {"closed": [f"closed:{s}" for s in CLOSED_STATUSES]}
STOCK_COLUMNS = [TOTAL, *(c for columns in GROUPS.values() for c in columns)]
CLOSED_COLUMNS = [CLOSED_TOTAL, *CLOSED_GROUPS["closed"]]
COLUMNS = [*STOCK_COLUMNS, *CLOSED_COLUMNS]
CLOSURE_PERIOD = datetime.timedelta(days=365)
PUBLIC_LEVELS = (Level.NATION, Level.REGION, Level.DEPARTEMENT)
FIELDS = (
    "level",
    "code",
    "name",
    "parent",
    "indicator",
    "sites",
    *PERSON_COUNTS,
    "suppressed",
)


def column_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The columns grouped and named in the reader's language, for a <select>."""
    kinds = dict(SiteKind.choices)
    conditions = dict(ConditionStatus.choices)
    closures = dict(SiteStatus.choices)
    groups: list[tuple[Any, Any]] = [
        (_("Open sites"), [(TOTAL, _("all open sites"))]),
        (
            _("Open sites by kind"),
            [(f"kind:{k}", str(kinds[k])) for k in KINDS],
        ),
        *(
            (
                format_lazy(_("Open sites by {theme} status"), theme=THEME_LABELS[t]),
                [(f"{t}:{s}", str(conditions[s])) for s in CONDITION_STATUSES],
            )
            for t in PUBLISHED_THEMES
        ),
        (
            _("Sites closed in the year before the snapshot"),
            [(CLOSED_TOTAL, _("all closures"))]
            + [(f"closed:{s}", str(closures[s])) for s in CLOSED_STATUSES],
        ),
    ]
    return [(str(title), [(k, str(v)) for k, v in items]) for title, items in groups]


def rules_from_settings() -> Rules:
    return Rules(
        min_sites=settings.DISCLOSURE_MIN_SITES,
        min_people=settings.DISCLOSURE_MIN_PEOPLE,
        dominance=settings.DISCLOSURE_DOMINANCE,
        rounding=settings.DISCLOSURE_ROUNDING,
    )


def _departement_cells(day: datetime.date | None) -> dict[tuple[str, str], dict]:
    """(département path, column) -> sites, people, largest and person counts.

    An open site counts in every stock column it belongs to; a site closed in the
    year up to `day` (today when None) in the closure columns, with its people at
    closure."""
    sites = Site.objects.all()
    source, params = _source(sites, day)
    last = day or timezone.localdate()
    territory = Territory._meta.db_table
    stock = ", ".join(
        ["'all'", "'kind:' || kind"]
        + [f"'{t}:' || coalesce({t}_status, 'unknown')" for t in PUBLISHED_THEMES]
    )
    closed = f"'{CLOSED_TOTAL}', 'closed:' || status"
    sums = ", ".join(f"coalesce(sum({c}), 0)" for c in PERSON_COUNTS)
    sql = f"""SELECT substring(t.path from '^(/[^/]+/R[^/]+/D[^/]+/)') AS dep, col,
        count(*), coalesce(max(people), 0), {sums}
    FROM ({source}) src JOIN {territory} t ON t.id = src.commune_id::bigint
    CROSS JOIN LATERAL unnest(CASE WHEN src.status = 'open'
        THEN ARRAY[{stock}] ELSE ARRAY[{closed}] END) AS col
    WHERE src.status = 'open'
       OR (src.closed_on::date > %s AND src.closed_on::date <= %s)
    GROUP BY dep, col"""  # noqa: S608 (constants only)
    with connections[sites.db].cursor() as cursor:
        cursor.execute(sql, [*params, last - CLOSURE_PERIOD, last])
        rows = cursor.fetchall()
    return {
        (dep, col): {
            "sites": n,
            "largest": largest,
            **dict(zip(PERSON_COUNTS, sums_, strict=True)),
        }
        for dep, col, n, largest, *sums_ in rows
        if dep
    }


def departements_with_sites() -> set[str]:
    """Codes of the départements holding at least one open site today."""
    codes = (
        Site.objects.open()
        .order_by()
        .values_list("commune__path", flat=True)
        .distinct()
    )
    return {path.split("/")[3].removeprefix("D") for path in codes}


def _add(a: dict, b: dict) -> dict:
    return {
        key: max(a[key], b[key]) if key == "largest" else a[key] + b[key] for key in a
    }


def build_table(day: datetime.date | None = None, rules: Rules | None = None) -> dict:
    """The protected rows and the count of suppressed cells by rule."""
    rules = rules or rules_from_settings()
    territories = list(
        Territory.objects.filter(level__in=PUBLIC_LEVELS)
        .select_related("parent")
        .only("level", "code", "name", "path", "parent__code", "parent__path")
        .order_by("path")
    )
    by_path = {t.path: t for t in territories}
    empty = dict.fromkeys(("sites", "largest", *PERSON_COUNTS), 0)
    figures = {(t.path, c): dict(empty) for t in territories for c in COLUMNS}
    for (dep, col), values in _departement_cells(day).items():
        territory = by_path.get(dep)
        while territory is not None:
            figures[(territory.path, col)] = _add(
                figures[(territory.path, col)], values
            )
            territory = by_path.get(territory.parent.path) if territory.parent else None
    cells = {
        key: Cell(v["sites"], v["people"], v["largest"]) for key, v in figures.items()
    }
    parents = {
        t.path: (t.parent.path if t.parent and t.parent.path in by_path else None)
        for t in territories
    }
    equations = hierarchy_equations(parents, GROUPS, TOTAL)
    equations += hierarchy_equations(parents, CLOSED_GROUPS, CLOSED_TOTAL)
    status = protect(cells, equations, rules)
    rows = [
        _row(t, column, figures[(t.path, column)], status[(t.path, column)], rules)
        for t in territories
        for column in COLUMNS
    ]
    # Empty cells (no open site) are hidden by the sites rule too: counted apart.
    counts = Counter(
        f"{by_path[key[0]].level}:{reason}" + (":empty" if not cells[key].sites else "")
        for key, reason in status.items()
        if reason
    )
    return {"rows": rows, "suppressed": dict(sorted(counts.items()))}


def _row(
    territory, column: str, values: dict, reason: str | None, rules: Rules
) -> dict:
    row = {
        "level": territory.level,
        "code": territory.code,
        "name": territory.name,
        "parent": territory.parent.code if territory.parent else "",
        "indicator": column,
        "suppressed": reason or "",
    }
    if reason:
        return {**row, "sites": None, **dict.fromkeys(PERSON_COUNTS)}
    rounded = {c: round_people(values[c], rules.rounding) for c in PERSON_COUNTS}
    return {**row, "sites": values["sites"], **rounded}


@transaction.atomic
def publish(day: datetime.date, *, from_history: bool = False) -> IndicatorSnapshot:
    """Store (or replace) the snapshot of that day."""
    rules = rules_from_settings()
    table = build_table(day if from_history else None, rules)
    snapshot, _ = IndicatorSnapshot.objects.update_or_create(
        published_on=day,
        defaults={
            "rules": {
                "min_sites": rules.min_sites,
                "min_people": rules.min_people,
                "dominance": rules.dominance,
                "rounding": rules.rounding,
            },
            "rows": table["rows"],
            "suppressed": table["suppressed"],
        },
    )
    return snapshot
