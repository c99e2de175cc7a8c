"""Indicators of a territory at a date, computed in SQL over the user's scoped rows.

Every function takes querysets already scoped by the caller (`visible_to(user)`,
`within(territory)`): the engine never widens them. Today's figures read the sites
table; a past date reads each site's latest revision at the end of that day
(`sites.history`), in the same SQL, so both agree on every definition.
"""

import datetime
from collections.abc import Sequence

from django.db import connections
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from interventions.managers import THEMES, InterventionQuerySet
from interventions.models import Funding
from maps.indicators.definitions import (
    CONDITION_STATUSES,
    KINDS,
    PERSON_COUNTS,
    PUBLISHED_THEMES,
)
from sites.history import end_of
from sites.managers import AccessibilityPointQuerySet
from sites.models import Site, SiteRevision

CLOSED_STATUSES = (
    "closed_court",
    "closed_prefectoral",
    "closed_municipal",
    "resorbed",
    "closed_other",
)
OUTCOMES = ("housed", "sheltered", "no_solution")  # fields <outcome>_count
_INT_COLUMNS = (*PERSON_COUNTS,)
_TEXT_COLUMNS = (
    "status",
    "kind",
    "commune_id",
    "closed_on",
    *(f"{theme}_status" for theme in PUBLISHED_THEMES),
)


def _source(sites: QuerySet, day: datetime.date | None) -> tuple[str, list]:
    """SQL giving one row per site (as it is, or as it was at the end of `day`)."""
    sql, params = sites.order_by().values("pk").query.sql_with_params()
    if day is None:
        table = Site._meta.db_table
        columns = ", ".join(f"s.{c}" for c in (*_TEXT_COLUMNS, *_INT_COLUMNS))
        return (
            f"SELECT s.id AS site_id, {columns} FROM {table} s WHERE s.id IN ({sql})",  # noqa: S608 (constants only)
            list(params),
        )
    texts = ", ".join(f"r.snapshot->>'{c}' AS {c}" for c in _TEXT_COLUMNS)
    ints = ", ".join(f"(r.snapshot->>'{c}')::int AS {c}" for c in _INT_COLUMNS)
    return (
        f"""SELECT DISTINCT ON (r.site_id) r.site_id, {texts}, {ints}
        FROM {SiteRevision._meta.db_table} r
        WHERE r.site_id IN ({sql}) AND r.at <= %s
        ORDER BY r.site_id, r.version DESC""",  # noqa: S608 (constants only)
        [*params, end_of(day)],
    )


def _stock_columns() -> list[tuple[str, str]]:
    """(alias, aggregate over open rows) for every stock figure."""
    columns = [("open_sites", "count(*)")]
    columns += [(c, f"coalesce(sum({c}), 0)") for c in PERSON_COUNTS]
    for kind in KINDS:
        columns += [
            (f"sites__kind__{kind}", f"count(*) FILTER (WHERE kind = '{kind}')"),
            (
                f"people__kind__{kind}",
                f"coalesce(sum(people) FILTER (WHERE kind = '{kind}'), 0)",
            ),
        ]
    for theme in PUBLISHED_THEMES:
        for status in CONDITION_STATUSES:
            where = f"coalesce({theme}_status, 'unknown') = '{status}'"
            columns += [
                (f"sites__{theme}__{status}", f"count(*) FILTER (WHERE {where})"),
                (
                    f"people__{theme}__{status}",
                    f"coalesce(sum(people) FILTER (WHERE {where}), 0)",
                ),
            ]
    return columns


def stock(sites: QuerySet, day: datetime.date | None = None) -> dict[str, int]:
    """Open sites, people, households, minors, by kind and by living condition."""
    source, params = _source(sites, day)
    columns = _stock_columns()
    select = ", ".join(f"{expr} AS {alias}" for alias, expr in columns)
    sql = f"SELECT {select} FROM ({source}) src WHERE status = 'open'"  # noqa: S608 (constants only)
    with connections[sites.db].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return {
        alias: int(value or 0) for (alias, _), value in zip(columns, row, strict=True)
    }


def stock_by_child(
    sites: QuerySet, children: Sequence, day: datetime.date | None = None
) -> dict[str, dict[str, int]]:
    """The same stock figures per sub-territory (code -> figures), one query."""
    if not children:
        return {}
    source, params = _source(sites, day)
    columns = _stock_columns()
    select = ", ".join(f"{expr} AS {alias}" for alias, expr in columns)
    territory = Site._meta.get_field("commune").related_model._meta.db_table
    cases = " ".join("WHEN t.path LIKE %s THEN %s" for _ in children)
    case_params = [p for child in children for p in (child.path + "%", child.code)]
    sql = f"""SELECT child, {select} FROM (
        SELECT src.*, CASE {cases} END AS child FROM ({source}) src
        JOIN {territory} t ON t.id = src.commune_id::bigint
    ) s WHERE status = 'open' AND child IS NOT NULL GROUP BY child"""  # noqa: S608 (constants only)
    with connections[sites.db].cursor() as cursor:
        cursor.execute(sql, [*case_params, *params])
        rows = cursor.fetchall()
    figures = {
        child.code: dict.fromkeys((a for a, _ in columns), 0) for child in children
    }
    for child, *values in rows:
        figures[child] = {
            alias: int(v or 0) for (alias, _), v in zip(columns, values, strict=True)
        }
    return figures


def monthly_series(
    sites: QuerySet, last: datetime.date, months: int = 24
) -> list[dict]:
    """Open sites and people at the end of each of the last `months` months."""
    ends = []
    year, month = last.year, last.month
    for _ in range(months):
        following = datetime.date(year + month // 12, month % 12 + 1, 1)
        ends.append(min(following - datetime.timedelta(days=1), last))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    ends.reverse()
    inner, params = sites.order_by().values("pk").query.sql_with_params()
    sql = f"""SELECT m.day, count(x.site_id), coalesce(sum(x.people), 0)
    FROM unnest(%s::date[], %s::timestamptz[]) AS m(day, end_at)
    LEFT JOIN LATERAL (
        SELECT * FROM (
            SELECT DISTINCT ON (r.site_id) r.site_id,
                   r.snapshot->>'status' AS status, (r.snapshot->>'people')::int AS people
            FROM {SiteRevision._meta.db_table} r
            WHERE r.site_id IN ({inner}) AND r.at <= m.end_at
            ORDER BY r.site_id, r.version DESC
        ) latest WHERE latest.status = 'open'
    ) x ON true
    GROUP BY m.day ORDER BY m.day"""  # noqa: S608 (constants only)
    with connections[sites.db].cursor() as cursor:
        cursor.execute(sql, [ends, [end_of(d) for d in ends], *params])
        return [
            {"month": day.strftime("%Y-%m"), "open_sites": n, "people": int(p)}
            for day, n, p in cursor.fetchall()
        ]


def flows(sites: QuerySet, start: datetime.date, end: datetime.date) -> dict:
    """Openings and closures in [start, end], closures by status with their outcomes."""
    opened = Q(opened_on__range=(start, end)) | Q(
        opened_on__isnull=True, declared_on__range=(start, end)
    )
    closed = Q(closed_on__range=(start, end)) & ~Q(status="open")
    sums = {
        "openings": Count("pk", filter=opened),
        "closures": Count("pk", filter=closed),
        **{o: Coalesce(Sum(f"{o}_count", filter=closed), 0) for o in OUTCOMES},
    }
    for status in CLOSED_STATUSES:
        in_status = closed & Q(status=status)
        sums[f"closures__{status}"] = Count("pk", filter=in_status)
        for outcome in OUTCOMES:
            sums[f"{outcome}__{status}"] = Coalesce(
                Sum(f"{outcome}_count", filter=in_status), 0
            )
    return sites.order_by().aggregate(**sums)


def interventions(scoped: InterventionQuerySet) -> list[dict]:
    """Per year and theme: interventions reporting that year and people reached."""
    reports = scoped._reports().yearly()
    counts = (
        reports.order_by()
        .values("year")
        .annotate(
            **{
                theme: Count(
                    "intervention",
                    filter=Q(intervention__themes__contains=[theme]),
                    distinct=True,
                )
                for theme in THEMES
            }
        )
    )
    people = scoped.totals_by_theme_and_year()
    rows = []
    for row in sorted(counts, key=lambda r: r["year"]):
        for theme in THEMES:
            if row[theme]:
                reached = people.get((theme, row["year"]), {}).get("people") or 0
                rows.append(
                    {
                        "year": row["year"],
                        "theme": theme,
                        "interventions": row[theme],
                        "people_reached": reached,
                    }
                )
    return rows


def funding(scoped: InterventionQuerySet) -> list[dict]:
    """Planned and spent amounts per year (callers check the funding capability)."""
    rows = (
        Funding.objects.filter(intervention__in=scoped.values("pk"))
        .order_by("year")
        .values("year")
        .annotate(planned=Sum("amount_planned"), spent=Sum("amount_spent"))
    )
    return [
        {
            "year": r["year"],
            "planned": round(r["planned"] or 0),
            "spent": round(r["spent"] or 0),
        }
        for r in rows
    ]


def accessibility(points: AccessibilityPointQuerySet, limit: int = 50) -> list[dict]:
    """Spaces per commune, the largest first."""
    rows = (
        points.public()
        .order_by()
        .values("commune__code", "commune__name")
        .annotate(points=Count("pk"), spaces=Coalesce(Sum("spaces"), 0))
        .order_by("-spaces", "commune__code")[:limit]
    )
    return [
        {
            "commune": r["commune__code"],
            "name": r["commune__name"],
            "points": r["points"],
            "spaces": r["spaces"],
        }
        for r in rows
    ]
