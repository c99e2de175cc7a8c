import math

from django.conf import settings
from django.contrib.gis.db.models import MultiPolygonField, QuerySet
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db.models import F, Func
from django.utils.translation import gettext as _


class TerritoryQuerySet(QuerySet):
    def of_level(self, level: str) -> "TerritoryQuerySet":
        return self.filter(level=level)

    def communes(self) -> "TerritoryQuerySet":
        return self.filter(level="commune")

    def containing(self, point: Point) -> "TerritoryQuerySet":
        """Territories whose boundary holds the point (GiST-indexed).

        Only exact outlines: an approximate one overlaps the commune it was drawn
        from, and must not take its points (nor its sites' scope).
        """
        return self.filter(geom__intersects=point, outline_quality="exact")

    def commune_at(self, point: Point | None):
        """The commune holding the point, or a ValidationError naming the point."""
        if point is None:
            raise ValidationError({"point": _("A location is required.")})
        commune = self.communes().containing(point).only("id", "path", "code").first()
        if commune is None:
            raise ValidationError(
                {"point": _("This point is not in a commune of France.")}
            )
        return commune

    def chain_at(self, point: Point) -> list:
        """The commune holding the point, then its parents up to the nation (no
        boundary loaded), in one statement: `territories/at` answers on every site
        declaration, and each query is a round trip."""
        table = self.model._meta.db_table
        light = "id, parent_id, code, name, level, outline_quality, path"
        sql = f"""
            WITH RECURSIVE chain AS (
                (SELECT {light}, 0 AS depth FROM {table}
                 WHERE level = 'commune' AND outline_quality = 'exact'
                   AND ST_Intersects(geom, ST_GeomFromEWKB(%s)) LIMIT 1)
                UNION ALL
                SELECT t.id, t.parent_id, t.code, t.name, t.level, t.outline_quality,
                       t.path, chain.depth + 1
                FROM {table} t JOIN chain ON t.id = chain.parent_id
            )
            SELECT {light} FROM chain ORDER BY depth"""  # noqa: S608 (our own table)
        return list(self.raw(sql, [bytes(point.ewkb)]))

    def outlines(self, zoom: int | None = None) -> "TerritoryQuerySet":
        """`outline`: the display boundary, simplified for a map at `zoom` if given.

        Half a screen pixel of tolerance: invisible at that zoom, and the national
        view of départements shrinks to a few hundred kilobytes.
        """
        if zoom is None:
            return self.annotate(outline=F("display_geom"))
        return self.annotate(
            outline=Func(
                "display_geom",
                pixel_degrees(zoom) / 2,
                function="ST_SimplifyPreserveTopology",
                output_field=MultiPolygonField(srid=settings.GEO_SRID),
            )
        )

    def within(self, territory) -> "TerritoryQuerySet":
        """The territory and its whole subtree, by ancestry path (indexed prefix)."""
        return self.filter(path__startswith=territory.path)

    def ancestors_of(self, territory) -> "TerritoryQuerySet":
        prefixes = ancestor_paths(territory.path)
        return self.filter(path__in=prefixes).order_by("path")

    def search(self, text: str) -> "TerritoryQuerySet":
        """By exact INSEE code, or by name (accent- and case-insensitive prefix)."""
        text = text.strip()
        if not text:
            return self.none()
        by_code = self.filter(code__iexact=text)
        if by_code.exists():
            return by_code
        return self.filter(name__unaccent__istartswith=text).order_by("name")


def ancestor_paths(path: str) -> list[str]:
    """'/NFR/R11/D75/C75056/' -> ['/NFR/', '/NFR/R11/', '/NFR/R11/D75/']."""
    parts = path.strip("/").split("/")[:-1]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def pixel_degrees(zoom: int) -> float:
    """Width of one screen pixel in degrees of longitude, 256-pixel tiles."""
    return 360 / (256 * 2**zoom)


def outline_precision(zoom: int | None) -> int:
    """Decimals that keep half a pixel at `zoom`; 6 (about 10 cm) without a zoom."""
    if zoom is None:
        return 6
    return max(1, min(6, math.ceil(-math.log10(pixel_degrees(zoom) / 2))))
