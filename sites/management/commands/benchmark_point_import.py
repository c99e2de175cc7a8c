"""Benchmark of the point import (not a test): N generated points, imported twice.

Writes a temporary GeoJSON or CSV of N points scattered over Paris and its inner
suburbs (every one in a commune, found by the spatial join), imports it into a
throw-away dataset (all created), imports it again (all unchanged), prints rows
per second and the peak resident memory, then deletes the dataset and its points.
"""

import json
import os
import random
import resource
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction

from sites.importers import open_rows
from sites.models import AccessibilityPoint, Dataset
from sites.services.accessibility import dataset_for, import_points

BBOX = (2.25, 48.82, 2.42, 48.90)  # Paris intra-muros, within France's communes
# Distinct street names, as a real file has: the name guard reads each one once.
KINDS = ("rue", "avenue", "allée", "impasse", "boulevard")
NAMES = ("du Moulin", "des Lilas", "de la Gare", "du Marché", "des Écoles", "du Port",
         "de la Fontaine", "des Vignes", "du Château", "de l'Église", "des Jardins",
         "du Pont", "de la Forge", "des Prés", "du Stade", "de la Poste", "des Tilleuls",
         "du Lavoir", "de la Mairie", "des Peupliers")  # fmt: skip
SIDES = ("", " Haut", " Bas", " Neuf", " Vieux", " Nord", " Sud", " Est", " Ouest",
         " Prolongé", " Central", " Petit", " Grand", " Fleuri", " Ancien", " Royal",
         " Joli", " Étroit", " Large", " Clos")  # fmt: skip


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--format", choices=["geojson", "csv"], default="geojson")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--streets",
            type=int,
            default=2000,
            help="distinct street names in the addresses (at most 2000)",
        )

    def handle(self, *args, **options) -> None:
        measure_point_import(
            options["rows"],
            options["format"],
            seed=options["seed"],
            streets=options["streets"],
            log=self.stdout.write,
        )


def measure_point_import(  # noqa: PLR0913
    rows: int, fmt: str = "geojson", *, seed: int = 2026, streets: int = 2000, log=print
) -> dict[str, float]:
    """Seconds of the first import and of the re-import of `rows` generated points."""
    with tempfile.TemporaryDirectory(prefix="terrain-bench-") as tmp:
        path = Path(tmp) / f"bench.{fmt}"
        started = time.perf_counter()
        _write(path, rows, random.Random(seed), _streets(streets))  # noqa: S311 - test data
        log(
            f"generated {rows} points in {path.stat().st_size / 1e6:.1f} MB "
            f"({time.perf_counter() - started:.1f} s)"
        )
        try:
            return {
                label: _timed(label, path, log)
                for label in ("first import", "re-import")
            }
        finally:
            _delete_benchmark_data()


def _timed(label: str, path: Path, log) -> float:
    started = time.perf_counter()
    with open_rows(path, {"source_id": ["ref"], "address": ["rue"]}) as reading:
        result = import_points(
            reading.rows(), dataset=dataset_for(f"benchmark/run-{os.getpid()}")
        )
    seconds = time.perf_counter() - started
    rows = result.created + result.updated + result.unchanged + result.rejected_count
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    log(
        f"{label}: {result.summary()} in {seconds:.1f} s = {rows / seconds:,.0f} rows/s; "
        f"peak RSS {peak_mb:.0f} MB"
    )
    return seconds


def _delete_benchmark_data() -> None:
    # In SQL: QuerySet.delete() would first load every point (for the signals and
    # the public reports' SET NULL), and the peak memory measured would be its own.
    points, datasets = AccessibilityPoint._meta.db_table, Dataset._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {points} WHERE dataset_id IN "  # noqa: S608 - model tables
            f"(SELECT id FROM {datasets} WHERE publisher = 'benchmark')"
        )
        Dataset.objects.filter(publisher="benchmark").delete()


def _streets(count: int) -> list[str]:
    every = [f"{k} {n}{s}" for s in SIDES for n in NAMES for k in KINDS]
    return every[: max(1, count)]


def _write(path: Path, count: int, rng: random.Random, streets: list[str]) -> None:
    west, south, east, north = BBOX
    with path.open("w", encoding="utf-8") as out:
        if path.suffix == ".csv":
            out.write("ref;lon;lat;rue\n")
        else:
            out.write('{"type": "FeatureCollection", "features": [\n')
        for n in range(count):
            lon, lat = rng.uniform(west, east), rng.uniform(south, north)
            if path.suffix == ".csv":
                out.write(f"B{n};{lon:.7f};{lat:.7f};{_address(n, streets)}\n")
            else:
                feature = {
                    "type": "Feature",
                    "properties": {"ref": f"B{n}", "rue": _address(n, streets)},
                    "geometry": {
                        "type": "Point",
                        "coordinates": [round(lon, 7), round(lat, 7)],
                    },
                }
                out.write(("," if n else "") + json.dumps(feature) + "\n")
        if path.suffix != ".csv":
            out.write("]}\n")


def _address(n: int, streets: list[str]) -> str:
    return f"{n // len(streets) + 1} {streets[n % len(streets)]}"
