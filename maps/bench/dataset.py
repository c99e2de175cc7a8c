"""The bench's national dataset, made by a few INSERT ... SELECT (no service call per row).

Deterministic: positions, statuses and counts are arithmetic on the row number, so two
runs at the same scale measure the same data. Rows are marked (sites named `bench-N`,
points of the `bench/points` dataset) so a second run at the same scale reuses them and
a run at another scale replaces them; nothing else in the database is touched.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model

from lib.statistics import refresh_statistics
from sites.models import AccessibilityPoint, Site, SiteRevision
from sites.services.accessibility import dataset_for
from territory.models import Territory

SITE_PREFIX = "bench-"
POINTS_DATASET = "bench/points"
POINTS_PER_SITE = 100_719 / 200_000  # the figures: 100,719 points at 200,000
# Versions per site cycle 1, 2, 3, 4: 2.5 revisions a site on average.
VERSION_CYCLE = 4


@dataclass(frozen=True)
class Counts:
    sites: int
    revisions: int
    points: int


def ensure(scale: int, log=print) -> Counts:
    """The dataset at this scale: reused when present, otherwise (re)made."""
    points = round(scale * POINTS_PER_SITE)
    if _bench_sites().count() != scale:
        log(f"Making {scale:,} sites and their revisions...")
        with transaction.atomic():
            _bench_sites().delete()
            _make_sites(scale)
            _make_revisions()
    dataset = dataset_for(POINTS_DATASET, "Bench points")
    dataset.save()
    bench_points = AccessibilityPoint.objects.filter(dataset=dataset)
    if bench_points.count() != points:
        log(f"Making {points:,} accessibility points...")
        with transaction.atomic():
            bench_points.delete()
            _make_points(points, dataset.pk)
    refresh_statistics(
        *(m._meta.db_table for m in (Site, SiteRevision, AccessibilityPoint, Territory))
    )
    revisions = SiteRevision.objects.filter(site__name__startswith=SITE_PREFIX)
    return Counts(scale, revisions.count(), bench_points.count())


def _bench_sites():
    return Site.objects.filter(name__startswith=SITE_PREFIX)


def _commune_points_sql() -> str:
    """Each commune with a point inside it and its row number (0-based)."""
    table = Territory._meta.db_table
    return f"""
    SELECT id, ST_PointOnSurface(COALESCE(display_geom, geom)) AS pt,
           row_number() OVER (ORDER BY code) - 1 AS n
    FROM {table} WHERE level = 'commune'"""  # noqa: S608 (model names only)


def _template(model: type[Model], **values) -> Model:
    """One real row, saved through the ORM so every default is the model's own."""
    commune = Territory.objects.communes().order_by("code").first()
    if commune is None:
        raise RuntimeError("No commune: import the territories first.")
    row = model(point=commune.geom.point_on_surface, commune=commune, **values)
    row.save()
    return row


def _copy_rows(
    model: type[Model], template: Model, count: int, overrides: dict
) -> None:
    """`count` copies of the template, the overridden columns computed from g (1..count)
    and c (the commune chosen for the row)."""
    table = model._meta.db_table
    kept = [
        str(f.column)
        for f in model._meta.concrete_fields
        if f.column != "id" and f.column not in overrides
    ]
    columns = ", ".join([*kept, *overrides])
    # The overrides hold SQL's own `%` (modulo): doubled for the driver.
    computed = (value.replace("%", "%%") for value in overrides.values())
    values = ", ".join([*(f"t.{c}" for c in kept), *computed])
    sql = f"""
WITH c AS ({_commune_points_sql()}), total AS (SELECT count(*) AS n FROM c)
INSERT INTO {table} ({columns})
SELECT {values}
FROM {table} t, generate_series(1, %s) g, total
JOIN c ON true
WHERE t.id = %s AND c.n = (g::bigint * 7919) %% total.n"""  # noqa: S608 (model names only)
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, template.pk])
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [template.pk])  # noqa: S608


def _jitter(axis: str, prime: int) -> str:
    """A deterministic offset of up to ±0.005° around the commune's point."""
    return f"ST_{axis}(c.pt) + ((g * {prime}) % 1000 - 500) / 100000.0"


def _point_sql() -> str:
    srid = settings.GEO_SRID
    return f"ST_SetSRID(ST_MakePoint({_jitter('X', 37)}, {_jitter('Y', 53)}), {srid})"


def _make_sites(count: int) -> None:
    template = _template(Site, name=SITE_PREFIX + "template")
    _copy_rows(
        Site,
        template,
        count,
        {
            "name": f"'{SITE_PREFIX}' || g",
            "point": _point_sql(),
            "commune_id": "c.id",
            "people": "(g * 13) % 200",
            # One site in five closed, with its closure date.
            "status": "CASE WHEN g % 5 = 0 THEN 'resorbed' ELSE 'open' END",
            "closed_on": "CASE WHEN g % 5 = 0 THEN DATE '2025-01-01' + (g % 300) END",
            "version": f"1 + g % {VERSION_CYCLE}",
            "created_at": "TIMESTAMPTZ '2022-01-01' + (g % 1000) * INTERVAL '1 day'",
            "updated_at": "TIMESTAMPTZ '2025-06-01' + (g % 500) * INTERVAL '1 day'",
        },
    )


def _make_revisions() -> None:
    """Versions 1..site.version, a year apart from its creation, each with a snapshot."""
    sites, revisions = Site._meta.db_table, SiteRevision._meta.db_table
    sql = f"""
INSERT INTO {revisions} (site_id, version, at, by_id, action, changes, snapshot)
SELECT s.id, v, s.created_at + (v - 1) * INTERVAL '1 year', NULL,
       CASE WHEN v = 1 THEN 'declared' ELSE 'updated' END, '{{}}'::jsonb,
       jsonb_build_object(
           'name', s.name, 'point', ST_AsEWKT(s.point), 'commune_id', s.commune_id,
           'kind', s.kind, 'status', CASE WHEN v = s.version THEN s.status ELSE 'open' END,
           'people', s.people + v, 'closed_on',
           CASE WHEN v = s.version THEN s.closed_on::text END)
FROM {sites} s, generate_series(1, s.version) v
WHERE s.name LIKE %s"""  # noqa: S608 (model names only)
    with connection.cursor() as cursor:
        cursor.execute(sql, [SITE_PREFIX + "%"])


def _make_points(count: int, dataset_id: int) -> None:
    template = _template(
        AccessibilityPoint, dataset_id=dataset_id, source_id="template"
    )
    _copy_rows(
        AccessibilityPoint,
        template,
        count,
        {
            "source_id": "'b' || g",
            "point": _point_sql(),
            "commune_id": "c.id",
            "spaces": "1 + g % 3",
        },
    )
