"""Vector tiles made in PostGIS: one SQL builder per layer, one MVT per call.

Every builder takes the queryset a view already scoped through the usual doors
(`visible_to`, `readable_by`) and wraps its SQL: scoping is never written twice.
Geometry is transformed, clipped and encoded by PostGIS (`ST_TileEnvelope`,
`ST_AsMVTGeom`, `ST_AsMVT`), never in Python.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import connections, router
from django.db.models import F, Max, Model, QuerySet

from interventions.models import Intervention, InterventionReport
from territory.models import Level, Territory

EXTENT = 4096
# In tile units (4096 a tile, 16 a pixel): 32 pixels, so that the widest circle the
# web map draws (28 px) is drawn whole by each tile it overlaps, not cut at the edge.
BUFFER = 512
MAX_ZOOM = 22
MERCATOR_WORLD = 2 * 20037508.342789244
# 11 <= z <= 12: a 16 x 16 grid per tile, cells of 256 tile units.
CELLS_PER_TILE = 16
TERRITORY_TABLE = Territory._meta.db_table

Query = tuple[str, list]


@dataclass(frozen=True)
class Tile:
    z: int
    x: int
    y: int

    def exists(self) -> bool:
        side = 2**self.z
        return 0 <= self.z <= MAX_ZOOM and 0 <= self.x < side and 0 <= self.y < side


# Aggregate tiles sum a whole table into a few dozen figures (a z5 tile of 200,000
# sites: ~160 ms in PostGIS, whatever the index). They are kept as long as clients
# keep any tile (Cache-Control max-age=60), under their SQL and parameters, which
# hold the user's scope and filters (two scopes never share an entry), and the
# table's latest `updated_at`: an edit shows at once, a deletion within a minute.
AGGREGATE_CACHE_SECONDS = 60


def render(query: Query, aggregating: type[Model] | None = None) -> bytes:
    """The tile's bytes; empty when no feature falls in it. `aggregating`: the model
    an aggregate tile sums, whose tile is then cached (see above)."""
    if aggregating is None:
        return _rendered(query)
    key, cache = _aggregate_key(query, aggregating), caches["tiles"]
    data = cache.get(key)
    if data is None:
        data = _rendered(query)
        cache.set(key, data, AGGREGATE_CACHE_SECONDS)
    return data


def _aggregate_key(query: Query, model: type[Model]) -> str:
    # Read where the tile is read (the replica, in a replica request), and before
    # it: a write in between is cached under the older stamp, never the reverse.
    rows = model._base_manager.using(router.db_for_read(model))
    latest = rows.aggregate(latest=Max("updated_at"))["latest"]
    sql, params = query
    text = f"{sql}\x00{params!r}\x00{latest.isoformat() if latest else ''}"
    return "tile:" + hashlib.sha256(text.encode()).hexdigest()


def _rendered(query: Query) -> bytes:
    sql, params = query
    # Every layer reads domain tables: the router's answer for one of them holds.
    with connections[router.db_for_read(Territory)].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] else b""


def _inner(queryset: QuerySet) -> Query:
    # No ORDER BY: the subquery is flattened into the tile query and keeps its indexes.
    sql, params = queryset.order_by().query.sql_with_params()
    return sql, list(params)


def _mvt(
    layer: str, features: str, params: list, tile: Tile, id_column: str | None = None
) -> Query:
    """Wrap a feature query (which may read `tile.env`, `tile.box`, `tile.inner_box`).

    `box` is the envelope grown by the buffer, in storage SRID, for index scans:
    features in the buffer are repeated in the neighbour tile, so circles and
    outlines are not cut at tile edges. `inner_box` has no buffer, for aggregates
    that must be counted in one tile only.
    """
    srid = settings.GEO_SRID
    sql = f"""
WITH tile AS (
    SELECT ST_TileEnvelope(%s, %s, %s) AS env,
           ST_Transform(ST_TileEnvelope(%s, %s, %s), {srid}) AS inner_box,
           ST_Transform(ST_TileEnvelope(%s, %s, %s, margin => {BUFFER / EXTENT}), {srid}) AS box
), features AS ({features})
SELECT ST_AsMVT(features.*, %s, {EXTENT}, 'geom', %s) FROM features WHERE geom IS NOT NULL"""  # noqa: S608 (only constants are interpolated)
    coordinates = [tile.z, tile.x, tile.y] * 3
    return sql, [*coordinates, *params, layer, id_column]


def _geom(column: str) -> str:
    return f"ST_AsMVTGeom(ST_Transform({column}, 3857), tile.env, {EXTENT}, {BUFFER}, true)"


def _by_territory(layer: str, rows: QuerySet, tile: Tile, level: str, measure: str, named: bool, totals: str | None = None) -> Query:  # fmt: skip
    """One point per territory holding rows: `rows` has `territory_id` and `measure`.

    `totals`: how rows add up (SQL over `s`, giving `count` and the measure), when
    they are already sums (SiteCommuneCount); by default one row is one object.

    Territories are found by their stored label point (`Territory.label_point`):
    no geometry is computed per request. Rows are kept by `= ANY(ARRAY(...))`, a
    plain filter, not `IN (SELECT ...)`: as a semi-join, the planner probed the
    rows commune by commune (24,000 index probes for a z5 tile of 200,000 sites,
    ~1.5 s) where one pass with a hash join takes ~0.3 s (see bench_tiles).
    """
    inner, params = _inner(rows)
    name = "p.name, " if named else ""
    # MATERIALIZED: the few places of the tile are found first, by their index.
    features = f"""
WITH places AS MATERIALIZED (
    SELECT t.id, t.code, t.name, t.label_point AS pt
    FROM {TERRITORY_TABLE} t, tile WHERE t.level = %s AND t.label_point && tile.box
), counts AS MATERIALIZED (
    SELECT s.territory_id, {totals or f"count(*) AS count, sum(s.{measure}) AS {measure}"}
    FROM ({inner}) AS s WHERE s.territory_id = ANY(ARRAY(SELECT id FROM places))
    GROUP BY s.territory_id
)
SELECT %s AS aggregate, p.code, {name}a.count, a.{measure}, {_geom("p.pt")} AS geom
FROM places p JOIN counts a ON a.territory_id = p.id CROSS JOIN tile
WHERE a.count > 0 ORDER BY p.code"""  # noqa: S608 (the same bytes from counts and sites)
    return _mvt(layer, features, [str(level), *params, str(level)], tile)


def _by_cell(layer: str, rows: QuerySet, tile: Tile, measure: str) -> Query:
    """Grid clusters in Web Mercator, cells aligned on the tile so none straddles two."""
    size = MERCATOR_WORLD / 2**tile.z / CELLS_PER_TILE
    inner, params = _inner(rows)
    features = f"""
SELECT 'cell' AS aggregate, count(*) AS count, sum(c.{measure}) AS {measure},
       {_geom("ST_Transform(ST_Centroid(ST_Collect(c.point)), 3857)")} AS geom
FROM (SELECT s.{measure}, s.point,
             ST_SnapToGrid(ST_Transform(s.point, 3857), %s, %s, %s, %s) AS cell
      FROM ({inner}) AS s, tile WHERE s.point && tile.inner_box) AS c
CROSS JOIN tile
GROUP BY c.cell, tile.env"""  # noqa: S608
    return _mvt(layer, features, [size / 2, size / 2, size, size, *params], tile)


def _points(layer: str, rows: QuerySet, tile: Tile, columns: tuple[str, ...]) -> Query:
    """One feature per row; `id` twice: the MVT feature id, and a property."""
    inner, params = _inner(rows)
    properties = ", ".join(f"s.{c}" for c in columns)
    features = f"""
SELECT s.id, {properties}, {_geom("s.point")} AS geom
FROM ({inner}) AS s, tile WHERE s.point && tile.box"""  # noqa: S608
    return _mvt(layer, features, params, tile, id_column="id")


SITE_POINT_FIELDS = (
    "id",
    "name",
    "status",
    "kind",
    "people",
    "water_status",
    "toilets_status",
    "electricity_status",
)


# The last zooms whose tiles sum territories (cached by `render`).
SITE_AGGREGATES_TO = 10
POINT_AGGREGATES_TO = 11


# SiteCommuneCount rows summed: a commune whose sites have no known count has no
# figure (null), as SUM over the sites gives.
COMMUNE_COUNT_TOTALS = (
    "sum(s.sites) AS count, "
    "CASE WHEN sum(s.people_known) > 0 THEN sum(s.people)::bigint END AS people"
)


def sites_tile(sites: QuerySet, tile: Tile, counts: QuerySet | None = None) -> Query:
    """Départements up to z7, communes up to z10, grid cells up to z12, then sites.

    `counts`: the SiteCommuneCount rows of the same scope, when no filter narrows
    the sites: the départements and communes then sum them, not every site (a z5
    tile of 1,000,000 sites reads 35,000 rows at most instead of a million).
    """
    if tile.z <= SITE_AGGREGATES_TO:
        level = Level.DEPARTEMENT if tile.z <= 7 else Level.COMMUNE
        if counts is not None:
            key = "departement" if level == Level.DEPARTEMENT else "commune"
            rows = counts.values("sites", "people", "people_known", territory_id=F(key))
            return _by_territory("sites", rows, tile, level, "people", named=True, totals=COMMUNE_COUNT_TOTALS)  # fmt: skip
        key = "commune__parent" if level == Level.DEPARTEMENT else "commune"
        rows = sites.values("people", territory_id=F(key))
        return _by_territory("sites", rows, tile, level, "people", named=True)
    if tile.z <= 12:
        return _by_cell("sites", sites.values("people", "point"), tile, "people")
    rows = sites.values(*SITE_POINT_FIELDS, "point", commune_code=F("commune__code"))
    return _points("sites", rows, tile, (*SITE_POINT_FIELDS, "commune_code"))


POINT_FIELDS = ("id", "spaces", "status")


def accessibility_tile(points: QuerySet, tile: Tile) -> Query:
    """Per commune below z12 (thousands of spaces per city), then each point."""
    layer = "accessibility-points"
    if tile.z <= POINT_AGGREGATES_TO:
        rows = points.values("spaces", territory_id=F("commune"))
        return _by_territory(layer, rows, tile, Level.COMMUNE, "spaces", named=False)
    rows = points.values(*POINT_FIELDS, "point", commune_code=F("commune__code"))
    return _points(layer, rows, tile, (*POINT_FIELDS, "commune_code"))


RESTRICTED_ZONES_MINZOOM = 10


def restricted_zones_tile(zones: QuerySet, tile: Tile) -> Query | None:
    """Street-scale polygons: nothing to see below z10."""
    if tile.z < RESTRICTED_ZONES_MINZOOM:
        return None
    inner, params = _inner(
        zones.values("id", "name", "disabled_access", "geom", commune_code=F("commune__code"))
    )  # fmt: skip
    features = f"""
SELECT s.id, s.id, s.name, s.commune_code, s.disabled_access, {_geom("s.geom")} AS geom
FROM ({inner}) AS s, tile WHERE s.geom && tile.box"""  # noqa: S608
    return _mvt("restricted-zones", features, params, tile, id_column="id")


def territory_level(z: int) -> str:
    if z <= 4:
        return Level.REGION
    return Level.DEPARTEMENT if z <= 8 else Level.COMMUNE


def territories_tile(tile: Tile) -> Query:
    """Outlines of one level per zoom, from the simplified display geometry."""
    rows = Territory.objects.of_level(territory_level(tile.z)).values(
        "code", "name", "level", "geom", "display_geom"
    )
    inner, params = _inner(rows)
    features = f"""
SELECT s.code, s.name, s.level, {_geom("COALESCE(s.display_geom, s.geom)")} AS geom
FROM ({inner}) AS s, tile WHERE s.geom && tile.box"""  # noqa: S608
    return _mvt("territories", features, params, tile)


def published_tile(published: dict[int, tuple[int, int]], tile: Tile) -> Query:
    """Figures already protected by disclosure control, one per territory of the zoom's
    level, on its stored label point: no site, no id, no finer geometry.

    `published` maps territory ids to (open sites, rounded people); the cells that
    disclosure control suppressed are simply not in it.
    """
    level = Level.DEPARTEMENT if tile.z <= 7 else Level.COMMUNE
    ids = list(published)
    counts = [published[i][0] for i in ids]
    people = [published[i][1] for i in ids]
    features = f"""
SELECT %s AS aggregate, t.code, t.name, a.count, a.people, {_geom("t.label_point")} AS geom
FROM unnest(%s::bigint[], %s::int[], %s::int[]) AS a(id, count, people)
JOIN {TERRITORY_TABLE} t ON t.id = a.id CROSS JOIN tile
WHERE t.level = %s AND t.label_point && tile.box"""  # noqa: S608
    params = [str(level), ids, counts, people, str(level)]
    return _mvt("sites", features, params, tile)


INTERVENTION_FIELDS = ("id", "themes", "status", "started_on", "territory_id")


def interventions_tile(interventions: QuerySet, sites: QuerySet, tile: Tile) -> Query:
    """One point per intervention and linked site the user may see, on the site;
    an intervention with no such site sits on its territory's label point.

    Properties: id, themes (comma-separated), status, year (of start), people
    reached (its latest report) and site_id (absent when on the territory).
    """
    inner, params = _inner(interventions.values(*INTERVENTION_FIELDS))
    visible_sites, site_params = _inner(sites.values("id", "point"))
    report = InterventionReport._meta
    links = Intervention.sites.through._meta.db_table
    features = f"""
SELECT i.id, array_to_string(i.themes, ',') AS themes, i.status,
       extract(year FROM i.started_on)::int AS year, r.people, s.id AS site_id,
       {_geom("COALESCE(s.point, t.label_point)")} AS geom
FROM ({inner}) AS i
LEFT JOIN LATERAL (
    SELECT rep.people FROM {report.db_table} rep WHERE rep.intervention_id = i.id
    ORDER BY rep.reported_on DESC, rep.id DESC LIMIT 1
) r ON true
LEFT JOIN LATERAL (
    SELECT v.id, v.point FROM {links} m JOIN ({visible_sites}) AS v ON v.id = m.site_id
    WHERE m.intervention_id = i.id
) s ON true
LEFT JOIN {TERRITORY_TABLE} t ON s.id IS NULL AND t.id = i.territory_id
CROSS JOIN tile
WHERE COALESCE(s.point, t.label_point) && tile.box"""  # noqa: S608
    return _mvt("interventions", features, [*params, *site_params], tile)
