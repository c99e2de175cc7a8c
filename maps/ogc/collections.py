"""The OGC API Features collections: one entry per layer, each scoped by its door.

A collection names the rows a user may read (`visible_to`, `readable_by`, or public),
the filter set the API uses for them, their geometry and their properties. Pages of
features are built in PostGIS (`json_build_object`, `ST_AsGeoJSON`) around the scoped
queryset's own SQL, as maps/tiles.py does for tiles: scoping is never written twice,
and a page of 10,000 features is one query (DRF-GIS serializers are 10-40x slower).
"""

from collections.abc import Callable
from dataclasses import dataclass

import django_filters
from django.contrib.gis.db.models import Collect
from django.contrib.gis.db.models.functions import Centroid, PointOnSurface
from django.contrib.gis.geos import Polygon
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from interventions.filters import InterventionFilter
from interventions.models import Intervention
from maps.ogc.crs import STORAGE, Crs
from sites.api.accessibility import AccessibilityPointFilter
from sites.api.filters import SiteFilter
from sites.models import AccessibilityPoint, RestrictedZone, Site
from territory.models import Level, Territory

Rows = Callable[[object], QuerySet | None]
Bbox = tuple[tuple[float, float, float, float], int]  # (minx, miny, maxx, maxy), SRID


class InvalidFilter(Exception):
    def __init__(self, errors: dict):
        super().__init__(str(errors))
        self.errors = errors


@dataclass(frozen=True)
class Collection:
    id: str
    title: object
    description: object
    rows: Rows  # None: the user may not read this collection at all
    geometry: object  # an ORM expression (or a field name) for the feature geometry
    properties: dict[str, str]  # property name -> ORM lookup
    filterset: type[django_filters.FilterSet] | None = None
    bbox_field: str = "point"
    geometry_type: str = "point"
    as_of: bool = False  # `datetime` gives the state at that date (sites)

    def filter_names(self) -> list[str]:
        return list(self.filterset.base_filters) if self.filterset else []

    def filter(self, rows: QuerySet, params, bbox: Bbox | None) -> QuerySet:
        """The API's filters under the API's names, then the bounding box (its
        numbers in x/y order and their SRID: PostGIS transforms it)."""
        if self.filterset is not None:
            names = set(self.filter_names())
            data = params.copy()
            for key in list(data):
                if key not in names:
                    del data[key]
            filterset = self.filterset(data=data, queryset=rows)
            if not filterset.is_valid():
                raise InvalidFilter(filterset.errors)
            rows = filterset.qs
        if bbox is not None:
            numbers, srid = bbox
            box = Polygon.from_bbox(numbers)
            box.srid = srid
            rows = rows.filter(**{f"{self.bbox_field}__intersects": box})
        return rows

    def features_sql(self, rows: QuerySet, crs: Crs = STORAGE) -> tuple[str, list]:
        """One query giving a JSON array of GeoJSON features, in `rows`' order, their
        coordinates in `crs` (transformed, and swapped for EPSG:4326) by PostGIS."""
        columns = {f"p_{name}": F(lookup) for name, lookup in self.properties.items()}
        geometry = F(self.geometry) if isinstance(self.geometry, str) else self.geometry
        inner = rows.values(fid=F("pk"), geometry_=geometry, **columns)
        sql, params = inner.query.sql_with_params()
        properties = ", ".join(f"'{name}', s.p_{name}" for name in self.properties)
        shape = "s.geometry_"
        if crs.srid != STORAGE.srid:
            shape = f"ST_Transform({shape}, {int(crs.srid)})"
        if crs.lat_first:
            shape = f"ST_FlipCoordinates({shape})"
        return (
            f"""SELECT COALESCE(json_agg(json_build_object(
    'type', 'Feature', 'id', s.fid,
    'geometry', ST_AsGeoJSON({shape}, {int(crs.precision)})::json,
    'properties', json_build_object({properties})) ORDER BY s.fid), '[]'::json)::text
FROM ({sql}) AS s""",  # noqa: S608 (only our own names and integers are interpolated)
            list(params),
        )

    def features(self, rows: QuerySet, crs: Crs = STORAGE) -> str:
        try:
            sql, params = self.features_sql(rows, crs)
        except EmptyResultSet:  # `.none()`: a user without any grant
            return "[]"
        with connections[rows.db].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]


def _sites(user) -> QuerySet | None:
    return Site.objects.visible_to(user) if user.is_authenticated else None


def _points(user) -> QuerySet:
    return AccessibilityPoint.objects.readable_by(user)


def _zones(user) -> QuerySet:
    return RestrictedZone.objects.all()


def _territories(level: str) -> Rows:
    def rows(user) -> QuerySet:
        return Territory.objects.of_level(level)

    return rows


def _interventions(user) -> QuerySet | None:
    if not user.is_authenticated:
        return None
    # Placed at the centre of its linked sites the user may see, else on its territory.
    centre = (
        Site.objects.visible_to(user)
        .filter(interventions=OuterRef("pk"))
        .order_by()
        .values("interventions")
        .annotate(centre=Centroid(Collect("point")))
        .values("centre")
    )
    return Intervention.objects.visible_to(user).annotate(sites_centre=Subquery(centre))


SITE_PROPERTIES = {
    name: name
    for name in (
        "name", "kind", "status", "people", "households", "minors", "water_status",
        "toilets_status", "electricity_status", "waste_status", "declared_on",
        "version", "updated_at",
    )
} | {"commune_code": "commune__code", "commune_name": "commune__name"}  # fmt: skip

TERRITORY_PROPERTIES = {
    "code": "code",
    "name": "name",
    "level": "level",
    "population": "population",
}


def _territory_collection(level: str, title) -> Collection:
    return Collection(
        id=f"territories-{level}",
        title=title,
        description=_("Administrative outlines (simplified for display)."),
        rows=_territories(level),
        geometry=Coalesce("display_geom", "geom"),
        properties=TERRITORY_PROPERTIES,
        bbox_field="geom",
        geometry_type="multipolygon",
    )


COLLECTIONS = [
    Collection(
        id="sites",
        title=_("Sites"),
        description=_("Sites in your territories (sign-in required)."),
        rows=_sites,
        geometry="point",
        properties=SITE_PROPERTIES,
        filterset=SiteFilter,
        as_of=True,
    ),
    Collection(
        id="accessibility-points",
        title=_("Reserved parking spaces"),
        description=_("Parking spaces reserved for people with reduced mobility."),
        rows=_points,
        geometry="point",
        properties={
            "kind": "kind",
            "spaces": "spaces",
            "status": "status",
            "address": "address",
            "source": "source",
            "commune_code": "commune__code",
            "verified_at": "verified_at",
        },  # fmt: skip
        filterset=AccessibilityPointFilter,
    ),
    Collection(
        id="restricted-zones",
        title=_("Restricted traffic zones"),
        description=_("Restricted traffic zones and their rules for disabled drivers."),
        rows=_zones,
        geometry="geom",
        properties={
            "name": "name",
            "commune_code": "commune__code",
            "disabled_access": "disabled_access",
            "rules": "rules",
        },  # fmt: skip
        bbox_field="geom",
        geometry_type="multipolygon",
    ),
    _territory_collection(Level.REGION, _("Regions")),
    _territory_collection(Level.DEPARTEMENT, _("Départements")),
    _territory_collection(Level.COMMUNE, _("Communes")),
    Collection(
        id="interventions",
        title=_("Interventions"),
        description=_(
            "Interventions in your territories, at the centre of their sites "
            "(or on their territory)."
        ),
        rows=_interventions,
        geometry=Coalesce(
            "sites_centre",
            PointOnSurface(Coalesce("territory__display_geom", "territory__geom")),
        ),
        properties={
            "title": "title",
            "status": "status",
            "location_kind": "location_kind",
            "started_on": "started_on",
            "ended_on": "ended_on",
            "territory_code": "territory__code",
        },  # fmt: skip
        filterset=InterventionFilter,
        bbox_field="territory__geom",
    ),
]
BY_ID = {collection.id: collection for collection in COLLECTIONS}
