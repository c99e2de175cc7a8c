"""Writes to the territory tree: imports from the COG and from any GDAL file.

Each import runs in one transaction: a file with one unusable feature changes
nothing, and the error names the file, the feature and the reason.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction

from territory.cog import Cog, load_cog
from territory.models import PARENT_LEVEL, PATH_PREFIX, Level, Territory
from territory.sources import REFERENCE_DIR, Feature, SourceError, read_features

TABLE = Territory._meta.db_table
# Display simplification per level, in degrees (about 1 km down to 20 m).
DISPLAY_TOLERANCE = {
    Level.NATION: 0.01,
    Level.REGION: 0.005,
    Level.DEPARTEMENT: 0.002,
    Level.EPCI: 0.0005,
    Level.COMMUNE: 0.0002,
}


class TerritoryImportError(Exception):
    """Raised with every problem found; the database is left unchanged."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class ImportReport:
    level: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    mapped: dict[str, str] = field(default_factory=dict)  # former code -> current code
    repaired: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.level}: {self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.mapped:
            pairs = [f"{old}->{new}" for old, new in sorted(self.mapped.items())]
            shown = ", ".join(pairs[:10]) + (", ..." if len(pairs) > 10 else "")
            text += f"; {len(pairs)} former codes mapped to their successor ({shown})"
        if self.repaired:
            text += f"; {len(self.repaired)} invalid geometries repaired ({', '.join(sorted(self.repaired))})"
        return text


Progress = Callable[[Iterable], Iterable]


def import_reference(
    *,
    departements: list[str] | None = None,
    source: Path = REFERENCE_DIR,
    progress: Progress = iter,
) -> list[ImportReport]:
    """Load the shipped (or a same-shaped) set: régions, départements, communes, EPCI."""
    cog = load_cog(source / "cog")
    commune_files = sorted((source / "communes").glob("*.geojson*"))
    if departements:
        wanted = {code.upper() for code in departements}
        commune_files = [
            p
            for p in commune_files
            if p.name.split(".")[0].split("-")[-1].upper() in wanted
        ]
        missing = wanted - {
            p.name.split(".")[0].split("-")[-1].upper() for p in commune_files
        }
        if missing:
            raise TerritoryImportError(
                [f"no commune file for département(s) {', '.join(sorted(missing))}"]
            )
    with transaction.atomic():
        reports = [
            import_file(Level.REGION, _one(source, "regions"), cog=cog),
            import_file(Level.DEPARTEMENT, _one(source, "departements"), cog=cog),
            import_files(Level.COMMUNE, commune_files, cog=cog, progress=progress),
        ]
        reports.append(import_epcis(cog))
    return reports


def _one(source: Path, stem: str) -> Path:
    matches = sorted(source.glob(f"{stem}*.geojson*"))
    if not matches:
        raise TerritoryImportError([f"{source}: no {stem} file"])
    return matches[0]


def import_file(
    level: str,
    path: Path,
    *,
    cog: Cog,
    code_field: str = "code",
    name_field: str = "nom",
) -> ImportReport:
    return import_files(
        level, [path], cog=cog, code_field=code_field, name_field=name_field
    )


def import_files(
    level: str,
    paths: list[Path],
    *,
    cog: Cog,
    code_field: str = "code",
    name_field: str = "nom",
    progress: Progress = iter,
) -> ImportReport:
    """Import one level from GDAL-readable files (any format or CRS), atomically."""
    features: list[Feature] = []
    problems: list[str] = []
    for path in progress(paths):
        try:
            found, errors = read_features(path, code_field, name_field)
        except SourceError as exc:
            problems.append(str(exc))
            continue
        features += found
        problems += [
            f"{path.parent.name}/{e}" if path.parent.name else e for e in errors
        ]
    report = ImportReport(level=level)
    rows = _rows_with_parents(level, features, cog, report, problems)
    if problems:
        raise TerritoryImportError(problems)
    with transaction.atomic():
        _stage(rows)
        report.repaired = _repair_staged_geometries()
        _merge_staged_duplicates()
        if level == Level.REGION:
            _ensure_nation()
        _upsert_staged(level, report)
        if level == Level.REGION:
            _refresh_nation_geometry()
        _refresh_paths()
    return report


def _rows_with_parents(level, features, cog, report, problems) -> list[tuple]:
    rows = []
    for feature in features:
        code, name, population = feature.code, feature.name, None
        if level == Level.COMMUNE:
            current = cog.current_code(code)
            if current is None:
                problems.append(
                    f"feature {feature.number}: commune {code} is not in the COG and has no successor"
                )
                continue
            if current != code:
                report.mapped[code] = current
            record = cog.communes[current]
            code, name, population = current, record["nom"], record.get("population")
            parent = record["departement"]
        elif level == Level.DEPARTEMENT:
            parent = cog.departements.get(code, {}).get("region")
        else:
            parent = "FR"
        if not parent:
            problems.append(
                f"feature {feature.number}: {level} {code} has no parent in the COG"
            )
            continue
        rows.append((code, name, parent, population, feature.wkb))
    return rows


def _stage(rows: list[tuple]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS territory_staging "
            "(code text, name text, parent_code text, population integer, wkb bytea, geom geometry) "
            "ON COMMIT DROP"
        )
        cursor.execute("TRUNCATE territory_staging")
        with cursor.copy(
            "COPY territory_staging (code, name, parent_code, population, wkb) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            "UPDATE territory_staging SET geom = ST_Multi(ST_GeomFromWKB(wkb, %s)), wkb = NULL",
            [Territory._meta.get_field("geom").srid],
        )


def _repair_staged_geometries() -> list[str]:
    """Repair invalid polygons (self-intersections...) and say which; refuse what cannot be."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE territory_staging "
            "SET geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3)) "
            "WHERE NOT ST_IsValid(geom) RETURNING code"
        )
        repaired = [code for (code,) in cursor.fetchall()]
        cursor.execute(
            "SELECT code FROM territory_staging WHERE ST_IsEmpty(geom) OR NOT ST_IsValid(geom)"
        )
        broken = [code for (code,) in cursor.fetchall()]
    if broken:
        raise TerritoryImportError(
            [
                f"code {code}: geometry cannot be repaired into a polygon"
                for code in broken
            ]
        )
    return repaired


def _merge_staged_duplicates() -> None:
    """Former communes mapped to one current code become one outline."""
    with connection.cursor() as cursor:
        cursor.execute(
            """WITH merged AS (
                DELETE FROM territory_staging WHERE code IN
                    (SELECT code FROM territory_staging GROUP BY code HAVING count(*) > 1)
                RETURNING *)
            INSERT INTO territory_staging (code, name, parent_code, population, geom)
            SELECT code, min(name), min(parent_code), max(population), ST_Multi(ST_Union(geom))
            FROM merged GROUP BY code"""
        )


UPSERT = f"""
INSERT INTO {TABLE} (level, code, name, parent_id, path, geom, display_geom, population, updated_at)
SELECT %(level)s, g.code, g.name, p.id, p.path || %(prefix)s || g.code || '/', g.geom,
       ST_Multi(ST_SimplifyPreserveTopology(g.geom, %(tolerance)s)), g.population, now()
FROM territory_staging g JOIN {TABLE} p ON p.level = %(parent_level)s AND p.code = g.parent_code
ON CONFLICT (level, code) DO UPDATE SET
    name = EXCLUDED.name, parent_id = EXCLUDED.parent_id, path = EXCLUDED.path,
    geom = EXCLUDED.geom, display_geom = EXCLUDED.display_geom,
    population = EXCLUDED.population, updated_at = now()
WHERE ({TABLE}.name, {TABLE}.parent_id, {TABLE}.path, {TABLE}.population, {TABLE}.geom::bytea)
      IS DISTINCT FROM
      (EXCLUDED.name, EXCLUDED.parent_id, EXCLUDED.path, EXCLUDED.population, EXCLUDED.geom::bytea)
RETURNING (xmax = 0)
"""


def _upsert_staged(level: str, report: ImportReport) -> None:
    level = Level(level)  # the tables are keyed by Level; callers may pass its value
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT s.parent_code FROM territory_staging s LEFT JOIN {TABLE} p "
            "ON p.level = %s AND p.code = s.parent_code WHERE p.id IS NULL",
            [PARENT_LEVEL[level]],
        )
        orphans = [code for (code,) in cursor.fetchall()]
        if orphans:
            raise TerritoryImportError(
                [
                    f"{level}: parent {PARENT_LEVEL[level]} {code} is not imported yet"
                    for code in orphans
                ]
            )
        cursor.execute("SELECT count(*) FROM territory_staging")
        (total,) = cursor.fetchone()
        cursor.execute(
            UPSERT,
            {
                "level": level,
                "prefix": PATH_PREFIX[level],
                "tolerance": DISPLAY_TOLERANCE[level],
                "parent_level": PARENT_LEVEL[level],
            },
        )
        written = [inserted for (inserted,) in cursor.fetchall()]
    report.created = sum(written)
    report.updated = len(written) - report.created
    report.unchanged = total - len(written)


def _ensure_nation() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (level, code, name, path, geom, display_geom, updated_at) "
            "SELECT %s, 'FR', 'France', %s, ST_Multi(ST_Union(geom)), NULL, now() FROM territory_staging "
            "ON CONFLICT (level, code) DO NOTHING",
            [Level.NATION, f"/{PATH_PREFIX[Level.NATION]}FR/"],
        )


def _refresh_nation_geometry() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {TABLE} n SET geom = u.geom,
                display_geom = ST_Multi(ST_SimplifyPreserveTopology(u.geom, %s)), updated_at = now()
            FROM (SELECT ST_Multi(ST_Union(geom)) AS geom FROM {TABLE} WHERE level = %s) u
            WHERE n.level = %s AND NOT ST_Equals(n.geom, u.geom)""",
            [DISPLAY_TOLERANCE[Level.NATION], Level.REGION, Level.NATION],
        )


def _refresh_paths() -> None:
    """Keep descendants' paths right when an import moved a parent (rare, cheap)."""
    with connection.cursor() as cursor:
        for level in (Level.REGION, Level.DEPARTEMENT, Level.EPCI, Level.COMMUNE):
            cursor.execute(
                f"""UPDATE {TABLE} c SET path = p.path || %s || c.code || '/'
                FROM {TABLE} p WHERE c.parent_id = p.id AND c.level = %s
                AND c.path <> p.path || %s || c.code || '/'""",
                [PATH_PREFIX[level], level, PATH_PREFIX[level]],
            )


def import_epcis(cog: Cog) -> ImportReport:
    """EPCI outlines are the union of their member communes already imported."""
    report = ImportReport(level=Level.EPCI)
    members = [
        (epci["code"], epci["nom"], cog.current_code(m["code"]) or m["code"])
        for epci in cog.epcis
        for m in epci.get("membres", [])
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE epci_members (code text, name text, member text) ON COMMIT DROP"
        )
        with cursor.copy("COPY epci_members FROM STDIN") as copy:
            for row in members:
                copy.write_row(row)
        _stage_epcis_from_members(cursor)
        _upsert_staged(Level.EPCI, report)
        cursor.execute(
            f"""UPDATE {TABLE} c SET epci_id = e.id FROM epci_members m
            JOIN {TABLE} e ON e.level = %s AND e.code = m.code
            WHERE c.level = %s AND c.code = m.member AND c.epci_id IS DISTINCT FROM e.id""",
            [Level.EPCI, Level.COMMUNE],
        )
        cursor.execute("DROP TABLE epci_members")
    return report


def _stage_epcis_from_members(cursor) -> None:
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS territory_staging "
        "(code text, name text, parent_code text, population integer, wkb bytea, geom geometry) "
        "ON COMMIT DROP"
    )
    cursor.execute("TRUNCATE territory_staging")
    # Parent: the département holding most of the EPCI's communes.
    cursor.execute(
        f"""INSERT INTO territory_staging (code, name, parent_code, population, geom)
        SELECT m.code, min(m.name), mode() WITHIN GROUP (ORDER BY d.code),
               sum(c.population), ST_Multi(ST_Union(c.geom))
        FROM epci_members m
        JOIN {TABLE} c ON c.level = %s AND c.code = m.member
        JOIN {TABLE} d ON d.id = c.parent_id
        GROUP BY m.code""",
        [Level.COMMUNE],
    )
