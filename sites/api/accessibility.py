from django_filters import rest_framework as filters
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
from rest_framework_gis.filters import InBBoxFilter
from rest_framework_gis.pagination import GeoJsonPagination
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from actors.api.permissions import Can
from actors.capabilities import VERIFY_POINT
from config.api import FeatureInput
from sites.models import AccessibilityPoint, ParkingRules, PointStatus, RestrictedZone
from sites.services.accessibility import report_point, set_point_status
from territory.models import Territory


class AccessibilityPointSerializer(FeatureInput, GeoFeatureModelSerializer):
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


class PointPagination(GeoJsonPagination):
    page_size = 200
    page_size_query_param = "page_size"
    max_page_size = 2000


VERIFIERS = [IsAuthenticated, Can(VERIFY_POINT)]


class AccessibilityPointViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Public information: anyone reads points not removed; contributors report, local admins verify."""

    serializer_class = AccessibilityPointSerializer
    permission_classes = [IsAuthenticatedOrReadOnly]
    pagination_class = PointPagination
    filter_backends = [filters.DjangoFilterBackend, InBBoxFilter]
    filterset_class = AccessibilityPointFilter
    bbox_filter_field = "point"

    def get_queryset(self):
        return (
            AccessibilityPoint.objects.readable_by(self.request.user)
            .select_related("commune")
            .order_by("pk")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = report_point(
            data, acting_user=self.request.user, request=self.request
        )

    @action(detail=True, methods=["post"], permission_classes=VERIFIERS)
    def verify(self, request, pk=None):
        return self._set_status(PointStatus.VERIFIED)

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
    filter_backends = [InBBoxFilter]
    bbox_filter_field = "geom"
    bbox_filter_include_overlapping = True

    def get_queryset(self):
        return RestrictedZone.objects.select_related("commune").order_by("pk")
