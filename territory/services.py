"""Writes to the territory tree: imports from the COG and from any GDAL file.

Each import runs in one transaction: a file with one unusable feature changes
nothing, and the error names the file, the feature and the reason.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.gis.gdal import OGRGeometry
from django.db import connection, transaction

from territory.cog import Cog, load_cog
from territory.extent import implausible_extent
from territory.models import (
    PARENT_LEVEL,
    PATH_PREFIX,
    Level,
    OutlineQuality,
    Territory,
)
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
    # Current code -> the former codes the file held: too little to replace its outline.
    kept_partial: dict[str, list[str]] = field(default_factory=dict)
    approximated: dict[str, str] = field(
        default_factory=dict
    )  # code -> its outline's source
    refused: list[str] = field(default_factory=list)  # dry run: what a real run refuses
    changed: list[str] = field(default_factory=list)  # codes created or updated
    epcis_refreshed: list[str] = field(default_factory=list)
    dry_run: bool = False

    def summary(self) -> str:
        verb = ("would be " if self.dry_run else "") + "{}"
        text = (
            f"{self.level}: {self.created} {verb.format('created')}, "
            f"{self.updated} {verb.format('updated')}, {self.unchanged} unchanged"
        )
        if self.mapped:
            pairs = [f"{old}->{new}" for old, new in sorted(self.mapped.items())]
            shown = ", ".join(pairs[:10]) + (", ..." if len(pairs) > 10 else "")
            text += f"; {len(pairs)} former codes mapped to their successor ({shown})"
        if self.repaired:
            text += f"; {len(self.repaired)} invalid geometries repaired ({', '.join(sorted(self.repaired))})"
        for code, parts in sorted(self.kept_partial.items()):
            text += (
                f"; commune {code}: current outline kept, the file holds only part of it "
                f"(former code {', '.join(parts)}, not {code})"
            )
        if self.approximated:
            pairs = [
                f"{code} ({source})"
                for code, source in sorted(self.approximated.items())
            ]
            text += (
                f"; {len(pairs)} outlines approximate or unknown: {', '.join(pairs)}"
            )
        if self.epcis_refreshed:
            text += f"; {len(self.epcis_refreshed)} EPCI outlines recomputed from their communes"
        if self.refused:
            text += f"; {len(self.refused)} refused:\n  " + "\n  ".join(self.refused)
        return text


Progress = Callable[[Iterable], Iterable]


def import_reference(
    *,
    departements: list[str] | None = None,
    source: Path = REFERENCE_DIR,
    progress: Progress = iter,
    tolerance: float = 1000,
    dry_run: bool = False,
) -> list[ImportReport]:
    """Load the shipped (or a same-shaped) set: régions, départements, communes, EPCI."""
    cog = load_cog(source / "cog")
    commune_files = sorted((source / "communes").glob("*.geojson*"))
    wanted: set[str] = set()
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
    # A dry run rolls back once, at the end: each level is checked against the
    # levels above as they would be.
    checks: dict[str, Any] = {
        "tolerance": tolerance,
        "dry_run": dry_run,
        "roll_back_dry_run": False,
    }
    with transaction.atomic():
        reports = [
            import_file(Level.REGION, _one(source, "regions"), cog=cog, **checks),
            import_file(
                Level.DEPARTEMENT, _one(source, "departements"), cog=cog, **checks
            ),
            import_files(
                Level.COMMUNE, commune_files, cog=cog, progress=progress, **checks
            ),
        ]
        reports[-1].approximated = add_missing_communes(
            cog, departements=wanted if departements else None
        )
        reports.append(import_epcis(cog))
        if dry_run:
            transaction.set_rollback(True)
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
    **options,
) -> ImportReport:
    return import_files(
        level, [path], cog=cog, code_field=code_field, name_field=name_field, **options
    )


def import_files(
    level: str,
    paths: list[Path],
    *,
    cog: Cog,
    code_field: str = "code",
    name_field: str = "nom",
    progress: Progress = iter,
    tolerance: float = 1000,
    dry_run: bool = False,
    roll_back_dry_run: bool = True,
) -> ImportReport:
    """Import one level from GDAL-readable files (any format or CRS), atomically.

    Nothing is written unless every feature is plausible: inside its CRS's valid
    area and France's extent, a code of the COG for this level, and within
    `tolerance` metres of its parent's outline. A dry run reports the same counts
    and refusals, then rolls everything back (unless the caller rolls back a larger
    whole: `roll_back_dry_run=False`, so the next level sees this one's changes).
    """
    report = ImportReport(level=level, dry_run=dry_run)
    problems: list[str] = []
    features = _read_all(paths, code_field, name_field, progress, problems)
    rows = _rows_with_parents(level, features, cog, report, problems)
    _refuse_unless_dry_run(problems, report)
    with transaction.atomic():
        _stage(rows)
        report.repaired = _repair_staged_geometries()
        problems += _outside_parent(level, tolerance)
        _refuse_unless_dry_run(problems, report)
        _keep_current_outlines(report)
        _merge_staged_duplicates()
        if level == Level.REGION:
            _ensure_nation()
        _upsert_staged(level, report)
        if level == Level.REGION:
            _refresh_nation_geometry()
        if level == Level.COMMUNE:
            report.epcis_refreshed = refresh_epci_outlines(report.changed)
        _refresh_paths()
        if dry_run and roll_back_dry_run:
            transaction.set_rollback(True)
    return report


def _read_all(
    paths, code_field, name_field, progress, problems
) -> list[tuple[str, Feature]]:
    """Each plausible feature with where it comes from ("file: feature N")."""
    features: list[tuple[str, Feature]] = []
    for path in progress(paths):
        try:
            found, errors = read_features(path, code_field, name_field)
        except SourceError as exc:
            problems.append(str(exc))
            continue
        prefix = f"{path.parent.name}/" if path.parent.name else ""
        for feature in found:
            error = implausible_extent(OGRGeometry(memoryview(feature.wkb)).extent)
            if error:
                errors.append(
                    f"{path.name}: feature {feature.number}: code {feature.code}: {error}"
                )
            else:
                features.append((f"{path.name}: feature {feature.number}", feature))
        problems += [prefix + e for e in errors]
    return features


def _refuse_unless_dry_run(problems: list[str], report: ImportReport) -> None:
    """Refuse the whole import; a dry run lists the problems and goes on without them."""
    if not problems:
        return
    if not report.dry_run:
        raise TerritoryImportError(problems)
    report.refused += problems
    problems.clear()


def _rows_with_parents(level, features, cog, report, problems) -> list[tuple]:
    rows = []
    for origin, feature in features:
        code, name, population = feature.code, feature.name, None
        if level == Level.COMMUNE:
            current = cog.current_code(code)
            if current is None:
                problems.append(
                    f"{origin}: commune {code} is not in the COG and has no successor"
                )
                continue
            if current != code:
                report.mapped[code] = current
            record = cog.communes[current]
            code, name, population = current, record["nom"], record.get("population")
            parent = record["departement"]
        elif level == Level.DEPARTEMENT:
            if code not in cog.departements:
                problems.append(
                    f"{origin}: {code} is not a département code of the COG"
                )
                continue
            parent = cog.departements[code].get("region")
        else:
            if code not in cog.regions:
                problems.append(f"{origin}: {code} is not a région code of the COG")
                continue
            parent = "FR"
        if not parent:
            problems.append(f"{origin}: {level} {code} has no parent in the COG")
            continue
        rows.append((code, feature.code, name, parent, population, feature.wkb))
    return rows


# One row per feature; file_code is the code the file gave (a former code, maybe).
STAGING_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS territory_staging "
    "(code text, file_code text, name text, parent_code text, population integer, "
    "wkb bytea, geom geometry, outline_quality text DEFAULT 'exact') ON COMMIT DROP"
)


def _stage(rows: list[tuple]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(STAGING_TABLE)
        cursor.execute("TRUNCATE territory_staging")
        with cursor.copy(
            "COPY territory_staging (code, file_code, name, parent_code, population, wkb) FROM STDIN"
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
            INSERT INTO territory_staging (code, name, parent_code, population, geom, outline_quality)
            SELECT code, min(name), min(parent_code), max(population), ST_Multi(ST_Union(geom)),
                   min(outline_quality)
            FROM merged GROUP BY code"""
        )


def _outside_parent(level: str, tolerance: float) -> list[str]:
    """Features whose point on surface lies farther than `tolerance` metres from their
    parent's outline (a commune from its département, a département from its région).

    Staging rows of such features are dropped, so a dry run goes on without them.
    """
    if level not in (Level.COMMUNE, Level.DEPARTEMENT):
        return []  # régions: the nation is their union
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH far AS (
                SELECT s.ctid AS row, s.code, s.file_code, p.code AS parent,
                       ST_Distance(ST_PointOnSurface(s.geom)::geography, p.geom::geography) AS metres
                FROM territory_staging s
                JOIN {TABLE} p ON p.level = %(parent_level)s AND p.code = s.parent_code
                WHERE NOT ST_Intersects(p.geom, ST_PointOnSurface(s.geom))),
            outliers AS (DELETE FROM territory_staging s USING far
                WHERE s.ctid = far.row AND far.metres > %(tolerance)s
                RETURNING far.code, far.file_code, far.parent, far.metres)
            SELECT * FROM outliers ORDER BY code""",
            {"parent_level": PARENT_LEVEL[Level(level)], "tolerance": tolerance},
        )
        outliers = cursor.fetchall()
    parent_name = PARENT_LEVEL[Level(level)]
    return [
        f"{level} {code}{'' if file_code == code else f' (file code {file_code})'}: "
        f"its point on surface is {metres:,.0f} m outside {parent_name} {parent} "
        f"(tolerance {tolerance:,.0f} m)"
        for code, file_code, parent, metres in outliers
    ]


def _keep_current_outlines(report: ImportReport) -> None:
    """A current commune the file holds only through former codes keeps its outline.

    Such a file (Pierrefitte's 93059 without Saint-Denis' 93066) draws a part of the
    commune: written, it would shrink Saint-Denis to Pierrefitte.
    """
    if report.level != Level.COMMUNE:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH former_only AS (
                SELECT code, array_agg(DISTINCT file_code ORDER BY file_code) AS parts,
                       ST_Multi(ST_Union(geom)) AS geom
                FROM territory_staging WHERE code IN (
                    SELECT code FROM territory_staging GROUP BY code
                    HAVING bool_and(file_code <> code))
                GROUP BY code),
            partial AS (
                SELECT f.code, f.parts FROM former_only f
                JOIN {TABLE} t ON t.level = %s AND t.code = f.code
                WHERE NOT ST_Equals(f.geom, t.geom)),
            dropped AS (DELETE FROM territory_staging s USING partial p WHERE s.code = p.code)
            SELECT code, parts FROM partial""",
            [Level.COMMUNE],
        )
        report.kept_partial = dict(cursor.fetchall())


UPSERT = f"""
INSERT INTO {TABLE} (level, code, name, parent_id, path, geom, display_geom, population,
                     outline_quality, updated_at)
SELECT %(level)s, g.code, g.name, p.id, p.path || %(prefix)s || g.code || '/', g.geom,
       ST_Multi(ST_SimplifyPreserveTopology(g.geom, %(tolerance)s)), g.population,
       g.outline_quality, now()
FROM territory_staging g JOIN {TABLE} p ON p.level = %(parent_level)s AND p.code = g.parent_code
ON CONFLICT (level, code) DO UPDATE SET
    name = EXCLUDED.name, parent_id = EXCLUDED.parent_id, path = EXCLUDED.path,
    geom = EXCLUDED.geom, display_geom = EXCLUDED.display_geom,
    population = EXCLUDED.population, outline_quality = EXCLUDED.outline_quality,
    updated_at = now()
WHERE ({TABLE}.name, {TABLE}.parent_id, {TABLE}.path, {TABLE}.population,
       {TABLE}.outline_quality, {TABLE}.geom::bytea)
      IS DISTINCT FROM
      (EXCLUDED.name, EXCLUDED.parent_id, EXCLUDED.path, EXCLUDED.population,
       EXCLUDED.outline_quality, EXCLUDED.geom::bytea)
RETURNING (xmax = 0), code
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
        returned = cursor.fetchall()
        written = [inserted for (inserted, _code) in returned]
    report.changed = [code for (_inserted, code) in returned]
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


def refresh_epci_outlines(communes: list[str]) -> list[str]:
    """Recompute the outline of every EPCI holding one of these communes: the union
    of its member communes. Returns the EPCI codes whose outline changed."""
    if not communes:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {TABLE} e SET geom = u.geom,
                display_geom = ST_Multi(ST_SimplifyPreserveTopology(u.geom, %(tolerance)s)),
                updated_at = now()
            FROM (SELECT c.epci_id, ST_Multi(ST_Union(c.geom)) AS geom FROM {TABLE} c
                  WHERE c.level = %(commune)s AND c.epci_id IN (
                      SELECT epci_id FROM {TABLE} WHERE level = %(commune)s AND code = ANY(%(codes)s))
                  GROUP BY c.epci_id) u
            WHERE e.id = u.epci_id AND NOT ST_Equals(e.geom, u.geom)
            RETURNING e.code""",
            {
                "tolerance": DISPLAY_TOLERANCE[Level.EPCI],
                "commune": Level.COMMUNE,
                "codes": communes,
            },
        )
        return sorted(code for (code,) in cursor.fetchall())


def add_missing_communes(
    cog: Cog, departements: set[str] | None = None
) -> dict[str, str]:
    """Every current commune of the COG in the tree, even without an outline of its own.

    A commune re-created after the outlines were drawn takes the outline of the
    commune it left (approximate); one that nobody can place takes its
    département's (unknown). Neither answers "which commune is here?" (see
    `containing`). An exact outline imported later replaces them. Returns each such
    code with where its outline comes from.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT code FROM {TABLE} WHERE level = %s AND outline_quality = %s",
            [Level.COMMUNE, OutlineQuality.EXACT],
        )
        exact = {code for (code,) in cursor.fetchall()}
        cursor.execute(
            f"SELECT code FROM {TABLE} WHERE level = %s", [Level.DEPARTEMENT]
        )
        in_tree = {code for (code,) in cursor.fetchall()} & (
            departements or set(cog.departements)
        )
        missing = [
            (code, record["nom"], record["departement"], record.get("population"),
             cog.recreated_from.get(code))
            for code, record in cog.communes.items()
            if record["departement"] in in_tree and code not in exact
        ]  # fmt: skip
        if not missing:
            return {}
        cursor.execute(
            "CREATE TEMP TABLE missing_communes (code text, name text, departement text, "
            "population integer, source text) ON COMMIT DROP"
        )
        with cursor.copy("COPY missing_communes FROM STDIN") as copy:
            for row in missing:
                copy.write_row(row)
        cursor.execute(
            MISSING_UPSERT, {"commune": Level.COMMUNE, "departement": Level.DEPARTEMENT}
        )
        cursor.execute(
            f"""SELECT m.code, t.outline_quality, m.source FROM missing_communes m
            JOIN {TABLE} t ON t.level = %s AND t.code = m.code""",
            [Level.COMMUNE],
        )
        placed = cursor.fetchall()
        cursor.execute("DROP TABLE missing_communes")
    return {
        code: f"outline of {source}"
        if quality == OutlineQuality.APPROXIMATE
        else "outline unknown"
        for code, quality, source in placed
    }


# A borrowed outline: the source commune's when it is in the tree, else the
# département's. Re-run, it follows a source commune whose outline changed.
MISSING_UPSERT = f"""
INSERT INTO {TABLE} (level, code, name, parent_id, path, geom, display_geom, population,
                     outline_quality, updated_at)
SELECT %(commune)s, m.code, m.name, d.id, d.path || 'C' || m.code || '/',
       coalesce(s.geom, d.geom), coalesce(s.display_geom, d.display_geom), m.population,
       CASE WHEN s.id IS NULL THEN 'unknown' ELSE 'approximate' END, now()
FROM missing_communes m
JOIN {TABLE} d ON d.level = %(departement)s AND d.code = m.departement
LEFT JOIN {TABLE} s ON s.level = %(commune)s AND s.code = m.source AND s.outline_quality = 'exact'
ON CONFLICT (level, code) DO UPDATE SET
    name = EXCLUDED.name, parent_id = EXCLUDED.parent_id, path = EXCLUDED.path,
    geom = EXCLUDED.geom, display_geom = EXCLUDED.display_geom,
    population = EXCLUDED.population, outline_quality = EXCLUDED.outline_quality,
    updated_at = now()
WHERE ({TABLE}.name, {TABLE}.parent_id, {TABLE}.path, {TABLE}.population,
       {TABLE}.outline_quality, {TABLE}.geom::bytea)
      IS DISTINCT FROM
      (EXCLUDED.name, EXCLUDED.parent_id, EXCLUDED.path, EXCLUDED.population,
       EXCLUDED.outline_quality, EXCLUDED.geom::bytea)
"""


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
    cursor.execute(STAGING_TABLE)
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
