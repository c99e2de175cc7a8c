"""Communes of an import's rows: by INSEE code, by id and by location, batch by batch.

Split from sites.services.accessibility, whose point imports use it.
"""

import math
from collections import defaultdict
from typing import TYPE_CHECKING

import numpy
import shapely
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from territory.models import Territory

if TYPE_CHECKING:
    from sites.services.accessibility import ImportRow


class Communes:
    """Communes by code, by id and by location, each looked up once per import.

    Locating a batch asks the database only which communes' boxes touch the grid
    cells the points fall in (an index-only question, remembered per cell), then
    tests the points against those few outlines in Python (shapely, vectorised):
    a GiST probe and a point-in-polygon test per point in SQL cost about 1 ms a
    point, most of it spent on the département, région and nation rows that the
    same index returns. Both caches are bounded: the memory stays flat.
    """

    CELL = 0.02  # degrees: about 2 km, a few communes per cell
    MAX_CELLS = 50_000
    MAX_SHAPES = 5_000

    def __init__(self):
        self._by_code: dict[str, Territory | None] = {}
        self._by_id: dict[int, Territory] = {}
        self._at: dict[tuple[float, float], int | None] = {}
        self._cells: dict[tuple[int, int], list[int]] = {}
        self._shapes: dict[int, shapely.Geometry] = {}

    def for_row(self, row: "ImportRow") -> Territory:
        """The file's INSEE code when the point lies in that commune; else the spatial join."""
        if not row.commune_code:
            commune_id = self._at.get(row.xy)
            if commune_id is None:
                raise ValidationError(
                    {"point": _("This point is not in a commune of France.")}
                )
            return self.by_id(commune_id)
        commune = self._code(row.commune_code)
        if commune is None:
            raise ValidationError(
                {"commune_code": _("the commune code %(c)s does not exist") % {"c": row.commune_code}}
            )  # fmt: skip
        if not commune.tolerant_geom.intersects(row.point):
            raise ValidationError(
                {"commune_code": _("the point is not in commune %(c)s") % {"c": commune.code}}
            )  # fmt: skip
        return commune

    def _code(self, code: str) -> Territory | None:
        if code not in self._by_code:
            commune = (
                Territory.objects.communes()
                .filter(code=code)
                .only("id", "code", "path", "geom")
                .first()
            )
            if commune is not None:
                # About 100 m of slack: boundaries are simplified, sources place points on kerbs.
                commune.tolerant_geom = commune.geom.buffer(0.001).prepared
                self._by_id.setdefault(commune.pk, commune)
            self._by_code[code] = commune
        return self._by_code[code]

    def by_id(self, pk: int) -> Territory:
        if pk not in self._by_id:
            self.preload({pk})
        return self._by_id[pk]

    def preload(self, ids: set) -> None:
        """Read the communes of a batch in one query, not one per commune."""
        missing = ids - self._by_id.keys() - {None}
        if missing:
            communes = Territory.objects.filter(pk__in=missing).only(
                "id", "code", "path"
            )
            self._by_id.update((c.pk, c) for c in communes)

    def locate(self, points: list[tuple[float, float]]) -> None:
        """The commune of each (x, y) of a batch (None: in no commune), for `for_row`."""
        self._at = {}  # one batch's worth
        by_cell: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
        for xy in set(points):
            by_cell[self._cell(*xy)].append(xy)
        missing = [cell for cell in by_cell if cell not in self._cells]
        if len(self._cells) + len(missing) > self.MAX_CELLS:
            self._cells.clear()
            missing = list(by_cell)
        self._load_cells(missing)
        self._load_shapes({pk for cell in by_cell for pk in self._cells[cell]})
        for cell, xys in by_cell.items():
            xs, ys = numpy.array(xys).T
            found = numpy.zeros(len(xys), dtype=numpy.int64)  # 0: no commune yet
            for pk in self._cells[cell]:  # by id: a point on a border, the lower id
                todo = found == 0
                if not todo.any():
                    break
                found[todo & shapely.intersects_xy(self._shapes[pk], xs, ys)] = pk
            self._at.update(
                zip(xys, (pk or None for pk in found.tolist()), strict=True)
            )
        self.preload(set(self._at.values()))

    def _cell(self, x: float, y: float) -> tuple[int, int]:
        return math.floor(x / self.CELL), math.floor(y / self.CELL)

    def _load_cells(self, cells: list[tuple[int, int]]) -> None:
        """The communes whose box touches each cell (GiST only, no outline read).

        `level || ''` keeps the planner off the (level, code) index: ANDed with the
        GiST bitmap it cost 20 ms a point, the GiST scan alone about 1 ms.
        """
        if not cells:
            return
        self._cells.update({cell: [] for cell in cells})
        size, pad = self.CELL, 1e-9  # the pad: a point on a cell's edge, after rounding
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT c.i, c.j, t.id FROM unnest(%s::int[], %s::int[]) AS c(i, j)
                JOIN {Territory._meta.db_table} t ON t.level || '' = 'commune'
                AND t.geom && ST_MakeEnvelope(c.i * %s - %s, c.j * %s - %s,
                    (c.i + 1) * %s + %s, (c.j + 1) * %s + %s, %s)
                ORDER BY t.id""",  # noqa: S608 - the model's table; values are parameters
                [[i for i, _j in cells], [j for _i, j in cells],
                 size, pad, size, pad, size, pad, size, pad, settings.GEO_SRID],
            )  # fmt: skip
            for i, j, commune_id in cursor.fetchall():
                self._cells[(i, j)].append(commune_id)

    def _load_shapes(self, ids: set[int]) -> None:
        """Outlines of these communes, read once and prepared for point tests."""
        missing = ids - self._shapes.keys()
        if not missing:
            return
        if len(self._shapes) + len(missing) > self.MAX_SHAPES:
            self._shapes.clear()
            missing = ids
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, ST_AsBinary(geom) FROM {Territory._meta.db_table} "  # noqa: S608
                "WHERE id = ANY(%s)",
                [list(missing)],
            )
            for commune_id, wkb in cursor.fetchall():
                shape = shapely.from_wkb(bytes(wkb))
                shapely.prepare(shape)
                self._shapes[commune_id] = shape
