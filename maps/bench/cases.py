"""What the bench times: each production call beside the plain SQL that gives the same
answer straight from PostGIS (the floor the app is measured against), and tipg's
equivalent where tipg has one.

The SQL is written here on purpose, by hand: it is the reference, not the app's code.
"""

from dataclasses import dataclass, field, replace

from django.db import connection

from sites.export import EXPORT_FIELDS
from sites.models import AccessibilityPoint, Site, SiteRevision
from territory.models import Territory

SITES = Site._meta.db_table
# tipg takes a table's first geometry column unless told: for sites, the footprint
# (NULL in the bench), which matched no site at all in runs before 2026-12-07.
SITE_GEOMETRY = "geom-column=point"
REVISIONS = SiteRevision._meta.db_table
POINTS = AccessibilityPoint._meta.db_table
TERRITORIES = Territory._meta.db_table

# Bouches-du-Rhône and Marseille, as the issue measured them.
BBOX_13 = (4.23, 43.16, 5.82, 43.93)
BBOX_MARSEILLE = (5.23, 43.17, 5.56, 43.40)
AS_OF_DAY = "2025-06-01"
AT_MARSEILLE = (5.3698, 43.2965)
PARIS_TILES = ((8, 129, 88), (11, 1037, 704), (13, 4149, 2818))


@dataclass(frozen=True)
class Target:
    """A bound on the app's median: `ratio` times the SQL's, plus `slack_ms`, and/or an
    absolute `max_ms` and `max_bytes`."""

    ratio: float | None = None
    slack_ms: float = 0.0
    max_ms: float | None = None
    max_bytes: int | None = None

    def describe(self) -> str:
        parts = []
        if self.ratio is not None:
            slack = f" + {self.slack_ms:g} ms" if self.slack_ms else ""
            parts.append(f"≤ {self.ratio:g}× SQL{slack}")
        if self.max_ms is not None:
            parts.append(f"≤ {self.max_ms:g} ms")
        if self.max_bytes is not None:
            parts.append(f"≤ {self.max_bytes // 1000} kB")
        return ", ".join(parts)


@dataclass(frozen=True)
class Case:
    name: str
    url: str
    sql: str
    params: tuple = ()
    anonymous: bool = False
    copy: bool = False  # the SQL is a COPY ... TO STDOUT (an export's floor)
    tipg: str | None = None  # the same question asked of tipg, if it has one
    slow: bool = False  # a national export: run --slow-repeat times, not --repeat
    # The tile cache emptied before each call: the first draw of an aggregate tile
    # (after any site changed), not a cached one.
    uncached: bool = False
    target: Target = field(default_factory=Target)


def run_sql(case: Case) -> int:
    """Run the reference SQL to its last byte; returns the bytes it produced."""
    with connection.cursor() as cursor:
        if case.copy:
            size = 0
            with cursor.copy(case.sql, case.params or None) as copy:
                for block in copy:
                    size += len(block)
            return size
        cursor.execute(case.sql, case.params or None)
        row = cursor.fetchone()
    value = row[0] if row else b""
    return len(value.encode() if isinstance(value, str) else bytes(value or b""))


def _feature_collection(features: str) -> str:
    return f"""SELECT json_build_object('type', 'FeatureCollection',
        'features', COALESCE(json_agg(f.feature), '[]'))::text FROM ({features}) f"""  # noqa: S608


def _site_features(where: str, limit: int) -> str:
    return f"""SELECT json_build_object('type', 'Feature', 'id', s.id,
        'geometry', ST_AsGeoJSON(s.point, 6)::json,
        'properties', json_build_object('name', s.name, 'kind', s.kind,
            'status', s.status, 'commune_code', c.code, 'people', s.people,
            'updated_at', s.updated_at)) AS feature
    FROM {SITES} s JOIN {TERRITORIES} c ON c.id = s.commune_id
    WHERE {where} ORDER BY s.updated_at DESC, s.id LIMIT {limit}"""  # noqa: S608


def _bbox(box) -> str:
    return ",".join(str(v) for v in box)


def _envelope(box) -> str:
    return f"ST_MakeEnvelope({_bbox(box)}, 4326)"


def _as_of_features() -> str:
    """The latest revision of each site of dép. 13 on the day, from its snapshot."""
    return f"""SELECT DISTINCT ON (r.site_id) json_build_object('type', 'Feature',
        'id', r.site_id, 'geometry', ST_AsGeoJSON(s.point, 6)::json,
        'properties', r.snapshot - 'point') AS feature
    FROM {REVISIONS} r JOIN {SITES} s ON s.id = r.site_id
    JOIN {TERRITORIES} c ON c.id = s.commune_id
    WHERE c.code LIKE '13%' AND c.level = 'commune'
      AND r.at <= TIMESTAMPTZ '{AS_OF_DAY} 23:59:59'
    ORDER BY r.site_id, r.version DESC LIMIT 1000"""  # noqa: S608


def _export_copy() -> str:
    """The export's rows and columns (procedures aside) as stored: codes, not labels;
    dates and coordinates as PostgreSQL writes them. Until 2026-12-07 this floor had
    12 of the export's 44 columns (22 MB against 45 MB): it measured the width of the
    document, not what the app adds to PostgreSQL's own COPY."""
    stored = ", ".join(f"s.{name}" for name in EXPORT_FIELDS[5:])
    return f"""COPY (SELECT s.id, c.code, c.name, ST_X(s.point), ST_Y(s.point), {stored}
        FROM {SITES} s JOIN {TERRITORIES} c ON c.id = s.commune_id ORDER BY s.id)
        TO STDOUT WITH (FORMAT csv, HEADER)"""  # noqa: S608


def _export_geojson_copy() -> str:
    """The same rows as GeoJSON Features, each property as stored (one per line)."""
    stored = ", ".join(f"'{name}', s.{name}" for name in EXPORT_FIELDS[5:])
    return f"""COPY (SELECT json_build_object('type', 'Feature', 'id', s.id,
        'geometry', ST_AsGeoJSON(s.point, 6)::json,
        'properties', json_build_object('id', s.id, 'commune_code', c.code,
            'commune_name', c.name, {stored}))
        FROM {SITES} s JOIN {TERRITORIES} c ON c.id = s.commune_id ORDER BY s.id)
        TO STDOUT"""  # noqa: S608


def _point_features(box) -> str:
    return f"""SELECT json_build_object('type', 'Feature', 'id', p.id,
        'geometry', ST_AsGeoJSON(p.point, 6)::json,
        'properties', json_build_object('kind', p.kind, 'spaces', p.spaces,
            'address', p.address, 'status', p.status, 'commune', c.code)) AS feature
    FROM {POINTS} p JOIN {TERRITORIES} c ON c.id = p.commune_id
    WHERE p.point && {_envelope(box)} ORDER BY p.id LIMIT 2000"""  # noqa: S608


def _departements() -> str:
    return f"""SELECT json_build_object('type', 'Feature', 'id', t.id,
        'geometry', ST_AsGeoJSON(t.display_geom, 6)::json,
        'properties', json_build_object('code', t.code, 'name', t.name,
            'level', t.level)) AS feature
    FROM {TERRITORIES} t WHERE t.level = 'departement' ORDER BY t.code"""  # noqa: S608


def _territory_at(lon: float, lat: float) -> str:
    return f"""SELECT json_agg(json_build_object('code', code, 'name', name,
        'level', level))::text FROM {TERRITORIES}
    WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint({lon}, {lat}), 4326))"""  # noqa: S608


def list_cases() -> list[Case]:
    geojson = Target(ratio=1.5)
    return [
        Case(
            "sites bbox dép. 13, 1,000 features",
            f"/api/v1/sites/?in_bbox={_bbox(BBOX_13)}&page_size=1000",
            _feature_collection(
                _site_features(f"s.point && {_envelope(BBOX_13)}", 1000)
            ),
            tipg=f"/collections/public.{SITES}/items?bbox={_bbox(BBOX_13)}&limit=1000&{SITE_GEOMETRY}",
            target=geojson,
        ),
        Case(
            "sites national default page",
            "/api/v1/sites/",
            _feature_collection(_site_features("true", 100)),
            tipg=f"/collections/public.{SITES}/items?limit=100&{SITE_GEOMETRY}",
            target=geojson,
        ),
        Case(
            "sites as_of, dép. 13",
            f"/api/v1/sites/?territory=13&as_of={AS_OF_DAY}&page_size=1000",
            _feature_collection(_as_of_features()),
            target=Target(ratio=2.0),
        ),
        Case(
            "accessibility points bbox Marseille",
            f"/api/v1/accessibility-points/?in_bbox={_bbox(BBOX_MARSEILLE)}&page_size=2000",
            _feature_collection(_point_features(BBOX_MARSEILLE)),
            tipg=f"/collections/public.{POINTS}/items?bbox={_bbox(BBOX_MARSEILLE)}&limit=2000",
            target=geojson,
        ),
        Case(
            "territories level=departement",
            "/api/v1/territories/?level=departement&page_size=200",
            _feature_collection(_departements()),
            target=geojson,
        ),
        Case(
            "territories/at Marseille",
            f"/api/v1/territories/at/?lon={AT_MARSEILLE[0]}&lat={AT_MARSEILLE[1]}",
            _territory_at(*AT_MARSEILLE),
            target=Target(max_ms=3.0),
        ),
        Case(
            "national CSV export",
            "/api/v1/sites/export/?format_type=csv",
            _export_copy(),
            copy=True,
            slow=True,
            target=Target(ratio=2.0),
        ),
        Case(
            "national GeoJSON export",
            "/api/v1/sites/export/?format_type=geojson",
            _export_geojson_copy(),
            copy=True,
            slow=True,
            target=Target(ratio=2.0),
        ),
    ]


def tile_cases(national_user) -> list[Case]:
    """Site tiles for a national user beside the raw ST_AsMVT query they run."""
    from maps import tiles
    from maps.tiles import Tile

    cases = []
    for z, x, y in ((5, 16, 11), (5, 16, 10), (7, 64, 44), *PARIS_TILES):
        sql, params = tiles.sites_tile(
            Site.objects.visible_to(national_user), Tile(z, x, y)
        )
        heavy = Target(ratio=1.15, max_ms=50.0, max_bytes=500_000)
        light = Target(ratio=1.0, slack_ms=1.5)
        case = Case(
            f"tile sites {z}/{x}/{y}",
            f"/tiles/sites/{z}/{x}/{y}.pbf",
            sql,
            tuple(params),
            tipg=f"/collections/public.{SITES}/tiles/WebMercatorQuad/{z}/{x}/{y}?{SITE_GEOMETRY}",
            target=heavy if z <= 7 else light,
        )
        cases.append(case)
        if z <= 7:  # the floor stays the raw query over the sites
            cases.append(replace(case, name=f"{case.name} uncached", uncached=True))
    return cases
