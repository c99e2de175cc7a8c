import hashlib
from dataclasses import replace

from django.contrib.gis.geos import Point
from django.db import connections, router
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from config.api import GeoPageNumbers, StrictFilterBackend, StrictInBBoxFilter
from config.geojson import FeatureSpec, feature_page_response, feature_texts, page_of
from territory.api.filters import TerritoryFilter
from territory.api.serializers import TerritorySerializer, TerritorySummarySerializer
from territory.managers import outline_precision
from territory.models import Territory

MAX_ZOOM = 22
# TerritorySerializer's document, built by PostGIS (config/geojson.py).
TERRITORY_FEATURE = FeatureSpec(
    geometry="outline",
    properties={
        "code": "code",
        "name": "name",
        "level": "level",
        "parent_code": "parent__code",
        "population": "population",
        "outline_quality": "outline_quality",
    },
    bbox=True,
    snap=True,
    id_field=None,
)


def reference_etag(request, *args, **kwargs) -> str:
    """Boundaries change only on import: the same URL and data give the same ETag.

    Every import writes `updated_at` on each row it creates or changes, and no
    territory is ever deleted, so the latest `updated_at` (an index read) is the
    reference data's version: no count over the 35,000-row table per request.
    """
    key = f"{request.get_full_path()}|{_reference_version()}|v3"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _reference_version():
    """The latest `updated_at` of the territories, by a plain statement: the ORM's
    aggregate took longer to build than to run, on every reference request."""
    database = connections[router.db_for_read(Territory)]
    table = database.ops.quote_name(Territory._meta.db_table)
    with database.cursor() as cursor:
        cursor.execute(f"SELECT max(updated_at) FROM {table}")  # noqa: S608 (a name)
        return cursor.fetchone()[0]


# Reference data: a day in any cache, then a cheap 304 while nothing was imported.
reference_cache = [
    condition(etag_func=reference_etag),
    cache_control(public=True, max_age=86400),
]


class TerritoryPagination(GeoPageNumbers):
    max_page_size = 500


@method_decorator(reference_cache, name="list")
@method_decorator(reference_cache, name="at")
@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "zoom",
                OpenApiTypes.INT,
                description="Map zoom (0-22): outlines simplified to half a pixel there",
            )
        ]
    )
)
class TerritoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """France's administrative boundaries (public reference data)."""

    permission_classes = [AllowAny]
    serializer_class = TerritorySerializer
    pagination_class = TerritoryPagination
    filterset_class = TerritoryFilter
    filter_backends = [StrictFilterBackend, StrictInBBoxFilter]
    bbox_filter_field = "geom"
    bbox_filter_include_overlapping = True

    def get_queryset(self):
        return (
            Territory.objects.select_related("parent")
            .only(
                "code",
                "name",
                "level",
                "population",
                "path",
                "outline_quality",
                "parent__code",
            )
            .outlines(self.zoom())
        )

    def list(self, request, *args, **kwargs):
        territories = self.filter_queryset(self.get_queryset())
        page = page_of(self.paginator, territories, request)
        spec = replace(TERRITORY_FEATURE, precision=outline_precision(self.zoom()))
        return feature_page_response(self.paginator, feature_texts(page, spec))

    def get_serializer_context(self):
        return {
            **super().get_serializer_context(),
            "precision": outline_precision(self.zoom()),
        }

    def zoom(self) -> int | None:
        """The optional `zoom` parameter; without it, outlines as stored."""
        value = self.request.query_params.get("zoom")
        if value is None:
            return None
        if not value.isdigit() or int(value) > MAX_ZOOM:
            raise ValidationError({"zoom": _("A whole number from 0 to 22.")})
        return int(value)

    @extend_schema(
        parameters=[
            OpenApiParameter("lon", OpenApiTypes.DOUBLE, required=True),
            OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True),
        ],
        responses=TerritorySummarySerializer(many=True),
    )
    @action(detail=False, url_path="at", pagination_class=None, filter_backends=[])
    def at(self, request: Request) -> Response:
        """The commune at a WGS84 point, then its ancestors up to the nation."""
        chain = Territory.objects.chain_at(_point_from(request.query_params))
        if not chain:
            raise NotFound(_("No commune of France at this point."))
        # TerritorySummarySerializer's document (plain text fields), built without
        # it: the serializer made its fields again on each call, a third of the view.
        fields = TerritorySummarySerializer.Meta.fields
        return Response([{f: getattr(t, f) for f in fields} for t in chain])


def _point_from(params) -> Point:
    errors = {}
    values = {}
    for name, low, high in (("lon", -180, 180), ("lat", -90, 90)):
        try:
            values[name] = float(params[name])
        except (KeyError, ValueError):
            errors[name] = _("A number is required.")
            continue
        if not low <= values[name] <= high:
            errors[name] = _("Must be between %(low)s and %(high)s.") % {
                "low": low,
                "high": high,
            }
    if errors:
        raise ValidationError(errors)
    return Point(values["lon"], values["lat"], srid=4326)
