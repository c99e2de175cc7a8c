from django.contrib.gis.db.models import QuerySet
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class TerritoryQuerySet(QuerySet):
    def of_level(self, level: str) -> "TerritoryQuerySet":
        return self.filter(level=level)

    def communes(self) -> "TerritoryQuerySet":
        return self.filter(level="commune")

    def containing(self, point: Point) -> "TerritoryQuerySet":
        """Territories whose boundary holds the point (GiST-indexed)."""
        return self.filter(geom__intersects=point)

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
