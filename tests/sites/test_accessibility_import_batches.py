"""Point imports work by batches: their cost in queries does not grow with the rows."""

import random
from unittest.mock import patch

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from sites.models import AccessibilityPoint
from sites.services import accessibility
from sites.services.accessibility import (
    ImportResult,
    ImportRow,
    dataset_for,
    import_points,
)
from territory.models import Level, Territory
from tests.factories import territory

pytestmark = pytest.mark.django_db
COMMUNES = ("92012", "92040", "92026", "92044", "92075")
BATCH = 250


def rows_in_communes(count: int, prefix: str) -> list[ImportRow]:
    """`count` rows scattered inside a few communes of the Hauts-de-Seine."""
    rng = random.Random(count)  # noqa: S311 - test data
    shapes = [territory(code, Level.COMMUNE).geom for code in COMMUNES]
    rows: list[ImportRow] = []
    while len(rows) < count:
        shape = shapes[len(rows) % len(shapes)]
        west, south, east, north = shape.extent
        point = shape.point_on_surface.clone()
        point.x, point.y = rng.uniform(west, east), rng.uniform(south, north)
        if shape.contains(point):
            number = len(rows) + 1
            values = {"address": f"{number} rue de la Paix"}
            rows.append(ImportRow(number, values, point, f"{prefix}{number}"))
    return rows


def queries_to_import(rows: list[ImportRow], key: str) -> tuple[int, ImportResult]:
    with (
        patch.object(accessibility, "BATCH_SIZE", BATCH),
        CaptureQueriesContext(connection) as queries,
    ):
        result = import_points(rows, dataset=dataset_for(key))
    return len(queries), result


def test_three_times_the_rows_cost_a_few_queries_per_batch_not_per_row():
    small, _result = queries_to_import(rows_in_communes(1_000, "S"), "test/small")
    large, result = queries_to_import(rows_in_communes(3_000, "L"), "test/large")
    assert (result.created, result.rejected_count) == (3_000, 0)
    extra_batches = (3_000 - 1_000) // BATCH
    assert large - small <= 3 * extra_batches, (small, large)
    assert large < 3_000 / 20


def test_an_unchanged_reimport_writes_nothing_and_costs_one_query_per_batch():
    rows = rows_in_communes(1_000, "R")
    queries_to_import(rows, "test/again")
    stored = dict(AccessibilityPoint.objects.values_list("source_id", "point"))
    count, result = queries_to_import(rows, "test/again")
    assert (result.unchanged, result.created, result.updated) == (1_000, 0, 0)
    assert AccessibilityPoint.objects.count() == 1_000
    assert count <= 1_000 // BATCH + 8
    # Coordinates went through COPY and came back to the same doubles.
    assert all(stored[r.source_id].coords == r.point.coords for r in rows)
    commune_codes = set(
        AccessibilityPoint.objects.values_list("commune__code", flat=True)
    )
    assert commune_codes == set(COMMUNES)


def test_communes_found_by_batch_agree_with_postgis_on_borders_and_at_sea():
    """Vertices of a commune's outline lie on its border: PostGIS's answer is the rule."""
    outline = territory("92012", Level.COMMUNE).geom[0].exterior_ring
    places = [(x, y) for x, y in outline.coords[:60]] + [(-5.0, 45.0)]  # last: at sea
    rows = [
        ImportRow(n, {}, Point(x, y, srid=4326), f"V{n}")
        for n, (x, y) in enumerate(places, start=1)
    ]
    with translation.override("en"):
        result = import_points(rows, dataset=dataset_for("test/border"), partial=True)
    stored = dict(AccessibilityPoint.objects.values_list("source_id", "commune__code"))
    for row, (x, y) in zip(rows, places, strict=True):
        expected = set(
            Territory.objects.communes()
            .filter(geom__intersects=Point(x, y, srid=4326))
            .values_list("code", flat=True)
        )
        if expected:
            assert stored[row.source_id] in expected, (x, y)
        else:
            assert row.source_id not in stored
    assert result.rejected_count == 1
    assert result.rejected[0].startswith(f"row {len(places)}")
