from django.conf import settings
from django.db.models import CharField
from django.db.models.functions import Cast
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import (
    AllowAny,
    IsAuthenticated,
    IsAuthenticatedOrReadOnly,
)
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from actors.api.permissions import Can
from actors.audit import record
from actors.capabilities import VERIFY_POINT
from config.api import (
    FeatureInput,
    GeoPageNumbers,
    JsonTypes,
    StrictFilterBackend,
    StrictInBBoxFilter,
)
from config.geojson import FeatureSpec, feature_page_response, feature_texts, page_of
from sites.export import (
    CONTENT_TYPES,
    POINT_FIELDS,
    csv_lines,
    export_points,
    geojson_chunks,
    point_labels,
    point_row,
    points_gpkg,
)
from sites.models import AccessibilityPoint, ParkingRules, PointStatus, RestrictedZone
from sites.services.accessibility import report_point, set_point_status
from territory.models import Territory


class AccessibilityPointSerializer(FeatureInput, JsonTypes, GeoFeatureModelSerializer):
    commune_code = serializers.CharField(source="commune.code", read_only=True)

    class Meta:
        model = AccessibilityPoint
        geo_field = "point"
        fields = (
            "id", "kind", "commune_code", "spaces", "length_m", "width_m", "surface", "open_air",
            "address", "details", "domain", "created_year", "status", "source", "source_id", "verified_at",
        )  # fmt: skip
        read_only_fields = ("status", "source", "source_id", "verified_at")


class AccessibilityPointFilter(filters.FilterSet):
    commune = filters.CharFilter(field_name="commune__code")
    status = filters.ChoiceFilter(choices=PointStatus.choices)

    class Meta:
        model = AccessibilityPoint
        fields = ("commune", "status", "source", "kind")


class PointPagination(GeoPageNumbers):
    page_size = 200
    max_page_size = 2000


# AccessibilityPointSerializer's document, built by PostGIS (config/geojson.py);
# decimals as strings, as DRF writes them.
POINT_FEATURE = FeatureSpec(
    geometry="point",
    properties={
        "kind": "kind",
        "commune_code": "commune__code",
        "spaces": "spaces",
        "length_m": Cast("length_m", CharField()),
        "width_m": Cast("width_m", CharField()),
        "surface": "surface",
        "open_air": "open_air",
        "address": "address",
        "details": "details",
        "domain": "domain",
        "created_year": "created_year",
        "status": "status",
        "source": "source",
        "source_id": "source_id",
        "verified_at": "verified_at",
    },
)


VERIFIERS = [IsAuthenticated, Can(VERIFY_POINT)]


class AccessibilityPointViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Public information: anyone reads points not removed; contributors report, local admins verify."""

    serializer_class = AccessibilityPointSerializer
    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = PointPagination
    filter_backends = [StrictFilterBackend, StrictInBBoxFilter]
    filterset_class = AccessibilityPointFilter
    bbox_filter_field = "point"

    def get_queryset(self):
        return (
            AccessibilityPoint.objects.readable_by(self.request.user)
            .select_related("commune")
            .order_by("pk")
        )

    def list(self, request, *args, **kwargs):
        points = self.filter_queryset(self.get_queryset())
        page = page_of(self.paginator, points, request)
        return feature_page_response(self.paginator, feature_texts(page, POINT_FEATURE))

    @extend_schema(
        filters=True,
        parameters=[
            OpenApiParameter("format_type", str, enum=["csv", "geojson", "gpkg"]),
            OpenApiParameter("in_bbox", str, description="minLon,minLat,maxLon,maxLat"),
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/geo+json"): OpenApiTypes.OBJECT,
            (200, CONTENT_TYPES["gpkg"]): OpenApiTypes.BINARY,
            400: OpenApiTypes.OBJECT,
        },
    )
    @action(detail=False, url_path="export", pagination_class=None)
    def export(self, request):
        """The readable points with the list's filters; CSV and GeoJSON stream, a
        GeoPackage holds at most EXPORT_SYNC_LIMIT points and says so; audited."""
        kind = request.query_params.get("format_type", "csv")
        if kind not in ("csv", "geojson", "gpkg"):
            raise serializers.ValidationError(
                {"format_type": _("Use csv, geojson or gpkg.")}
            )
        points = export_points(self.filter_queryset(self.get_queryset()))
        matched = points.count()
        shown, note = matched, ""
        if kind == "gpkg" and matched > settings.EXPORT_SYNC_LIMIT:
            shown = settings.EXPORT_SYNC_LIMIT
            note = _(
                "Only the first %(shown)s of %(matched)s points are in this file: "
                "narrow the filters, or export as CSV or GeoJSON."
            ) % {"shown": shown, "matched": matched}
            points = points[:shown]
        record("accessibility.exported", actor=request.user, request=request,
               rows=shown, matched=matched, format=kind)  # fmt: skip
        rows = (point_row(p, kind == "csv") for p in points.iterator(chunk_size=1000))
        if kind == "gpkg":
            body = points_gpkg(rows, note)
            response = HttpResponse(body, content_type=CONTENT_TYPES[kind])
        else:
            chunks = (
                csv_lines(rows, POINT_FIELDS, names=point_labels())
                if kind == "csv"
                else geojson_chunks(rows, POINT_FIELDS)
            )
            response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[kind])
        response["Content-Disposition"] = (
            f'attachment; filename="accessibility-points.{kind}"'
        )
        response["X-Export-Matched"] = str(matched)
        if note:
            response["X-Export-Capped"] = note
        return response

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = report_point(
            data, acting_user=self.request.user, request=self.request
        )

    @extend_schema(request=None)  # no body is read
    @action(detail=True, methods=["post"], permission_classes=VERIFIERS)
    def verify(self, request, pk=None):
        return self._set_status(PointStatus.VERIFIED)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"], permission_classes=VERIFIERS)
    def remove(self, request, pk=None):
        return self._set_status(PointStatus.REMOVED)

    def _set_status(self, new_status: str) -> Response:
        point = get_object_or_404(
            AccessibilityPoint.objects.visible_to(self.request.user),
            pk=self.kwargs["pk"],
        )
        self.check_object_permissions(self.request, point)
        point = set_point_status(
            point, new_status, acting_user=self.request.user, request=self.request
        )
        return Response(
            AccessibilityPointSerializer(point).data, status=status.HTTP_200_OK
        )


class ParkingRulesSerializer(serializers.ModelSerializer):
    commune_code = serializers.CharField(source="commune.code", read_only=True)
    commune_name = serializers.CharField(source="commune.name", read_only=True)

    class Meta:
        model = ParkingRules
        fields = (
            "commune_code",
            "commune_name",
            "free_of_charge",
            "max_duration_minutes",
            "card_required",
            "notes",
            "updated_at",
        )


class ParkingRulesView(APIView):
    """A commune's disabled-parking rules (public); 404 when none are recorded."""

    permission_classes = [AllowAny]
    serializer_class = ParkingRulesSerializer

    def get(self, request, code: str):
        commune = get_object_or_404(Territory.objects.communes(), code=code)
        rules = get_object_or_404(
            ParkingRules.objects.select_related("commune"), commune=commune
        )
        return Response(ParkingRulesSerializer(rules).data)


class RestrictedZoneSerializer(GeoFeatureModelSerializer):
    commune_code = serializers.CharField(source="commune.code", read_only=True)

    class Meta:
        model = RestrictedZone
        geo_field = "geom"
        fields = ("id", "name", "commune_code", "disabled_access", "rules")


class RestrictedZoneViewSet(viewsets.ReadOnlyModelViewSet):
    """Restricted traffic zones and their rules for disabled drivers (public)."""

    permission_classes = [AllowAny]
    serializer_class = RestrictedZoneSerializer
    pagination_class = PointPagination
    filter_backends = [StrictInBBoxFilter]
    bbox_filter_field = "geom"
    bbox_filter_include_overlapping = True

    def get_queryset(self):
        return RestrictedZone.objects.select_related("commune").order_by("pk")
