from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import PointOnSurface
from django.contrib.postgres.indexes import GistIndex
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from territory.managers import TerritoryQuerySet


def without_boundaries(relation: str) -> list[str]:
    """The fields to `defer()` when rows name their territory (`relation`) but never
    draw it: a commune's boundaries weigh up to 1 MB, read for nothing otherwise, and
    each geometry read becomes a GEOS object."""
    return [f"{relation}__{name}" for name in ("geom", "display_geom", "label_point")]


class Level(models.TextChoices):
    NATION = "nation", _("nation")
    REGION = "region", _("region")
    DEPARTEMENT = "departement", _("département")
    EPCI = "epci", _("EPCI (group of communes)")
    COMMUNE = "commune", _("commune")


class OutlineQuality(models.TextChoices):
    EXACT = "exact", _("exact")
    # Borrowed from another territory (a re-created commune drawn as the commune it
    # was separated from) or unknown: never used to say which commune holds a point.
    APPROXIMATE = "approximate", _("approximate")
    UNKNOWN = "unknown", _("unknown")


# One letter per level in the ancestry path, so codes shared by two levels
# (région 11 and département 11) never collide.
PATH_PREFIX = {
    Level.NATION: "N",
    Level.REGION: "R",
    Level.DEPARTEMENT: "D",
    Level.EPCI: "E",
    Level.COMMUNE: "C",
}
# The main tree; an EPCI groups communes beside it, under a département.
PARENT_LEVEL = {
    Level.REGION: Level.NATION,
    Level.DEPARTEMENT: Level.REGION,
    Level.EPCI: Level.DEPARTEMENT,
    Level.COMMUNE: Level.DEPARTEMENT,
}


class Territory(models.Model):
    """A node of France's administrative tree, identified by its INSEE code."""

    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    code = models.CharField(_("INSEE code"), max_length=12)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # "/NFR/R11/D75/C75056/": a subtree is every path starting with its root's path.
    path = models.CharField(_("ancestry path"), max_length=80, unique=True)
    epci = models.ForeignKey(
        "self",
        verbose_name=_("EPCI"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member_communes",
        limit_choices_to={"level": Level.EPCI},
    )
    geom = models.MultiPolygonField(_("boundary"), srid=settings.GEO_SRID)
    display_geom = models.MultiPolygonField(
        _("simplified boundary"), srid=settings.GEO_SRID, null=True, blank=True
    )
    # Where a territory's figures are drawn on maps (aggregate circles): computed by
    # PostgreSQL whenever an outline is written (import, repair, migration), so tiles
    # never compute it per request.
    label_point = models.GeneratedField(
        expression=PointOnSurface(Coalesce("display_geom", "geom")),
        output_field=models.PointField(srid=settings.GEO_SRID),
        db_persist=True,
        verbose_name=_("label point"),
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    outline_quality = models.CharField(
        _("outline quality"),
        max_length=12,
        choices=OutlineQuality.choices,
        default=OutlineQuality.EXACT,
        db_default=OutlineQuality.EXACT,
    )
    # Indexed: the reference data's ETag is its latest change, read on every call.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    objects = TerritoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "code"], name="territory_level_code"
            ),
            models.CheckConstraint(
                condition=Q(geom__isvalid=True), name="territory_geom_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["path"],
                name="territory_path_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(fields=["level", "name"], name="territory_level_name"),
            GistIndex(fields=["label_point"], name="territory_label_point"),
            # Communes by département without reading the wide rows (outlines): an
            # index-only scan for the département circles of tiles at z <= 7 (a z5
            # tile of 200,000 sites: ~500 -> ~265 ms in PostGIS, uncached).
            models.Index(fields=["parent", "id"], name="territory_parent_id"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def scope_path(self) -> str:
        """A territory is in scope by its own path: capabilities checked on a commune."""
        return self.path

    def ancestors(self) -> TerritoryQuerySet:
        """Every enclosing territory, nation first."""
        return Territory.objects.ancestors_of(self)

    def descendants(self) -> TerritoryQuerySet:
        """Every territory strictly inside this one."""
        return Territory.objects.within(self).exclude(pk=self.pk)

    def departement(self) -> "Territory | None":
        """The enclosing département (itself for a département), or None above it."""
        if self.level == Level.DEPARTEMENT:
            return self
        return self.ancestors().filter(level=Level.DEPARTEMENT).first()


class ImportRun(models.Model):
    """The latest territory import that wrote (see territory.import_runs)."""

    # sha256 of the files read, the options and the importer's code
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    # the table's rows and latest change once it was done
    table_state = models.CharField(_("table state"), max_length=80)
    summary = models.TextField(_("summary"))
    finished_at = models.DateTimeField(_("finished at"), auto_now_add=True)

    class Meta:
        verbose_name = _("territory import")
        verbose_name_plural = _("territory imports")

    def __str__(self) -> str:
        return f"{localtime(self.finished_at):%Y-%m-%d %H:%M}"
