"""`/api/v1/interventions/`: scoped lists and details; writes through the services.

Services raise Django's ValidationError and PermissionDenied; config/api.py turns
them into responses. A stale edit answers 409 with what changed.
"""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from actors.api.permissions import Can
from actors.capabilities import CHANGE_INTERVENTION, SEE_FUNDING, can
from config.api import PageNumbers, StrictFilterBackend
from interventions import services
from interventions.api.serializers import (
    FundingSerializer,
    InterventionSerializer,
    ReportSerializer,
)
from interventions.filters import InterventionFilter
from interventions.models import Intervention
from sites.models import Site


class InterventionPagination(PageNumbers):
    max_page_size = 500


# An intervention's reports and funding lines: all of them, neither paged nor filtered
# by the list's parameters.
WHOLE_LIST: dict = {"pagination_class": None, "filter_backends": []}


class InterventionViewSet(viewsets.ModelViewSet):
    """Interventions in the user's territories (`visible_to`), filters as the page."""

    serializer_class = InterventionSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = InterventionPagination
    filter_backends = [StrictFilterBackend]
    filterset_class = InterventionFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        user = self.request.user
        visible_sites = Site.objects.visible_to(user).only("pk")
        return (
            Intervention.objects.visible_to(user)
            .select_related("territory", "lead_operator")
            .prefetch_related(
                "partners",
                "pilots",
                "funding",
                Prefetch("sites", queryset=visible_sites),
            )
            .with_latest_report()
            .order_by("-started_on", "pk")
        )

    def get_permissions(self):
        if self.action == "partial_update":
            return [IsAuthenticated(), Can(CHANGE_INTERVENTION)()]
        return super().get_permissions()

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("version", None)
        intervention = services.create_intervention(
            data, acting_user=request.user, request=request
        )
        return Response(self._shown(intervention), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        intervention = self.get_object()
        serializer = self.get_serializer(intervention, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        if version is None:
            raise ValidationError({"version": _("The version you edited is required.")})
        try:
            intervention = services.update_intervention(
                intervention, data, acting_user=request.user,
                expected_version=version, request=request,
            )  # fmt: skip
        except services.StaleEdit as stale:
            payload = {"detail": str(stale), "current_version": stale.current_version,
                       "changed_fields": stale.changed_fields}  # fmt: skip
            return Response(payload, status=status.HTTP_409_CONFLICT)
        return Response(self._shown(intervention))

    def _shown(self, intervention: Intervention) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=intervention.pk)).data

    @extend_schema(methods=["GET"], responses=ReportSerializer(many=True))
    @extend_schema(methods=["POST"], request=ReportSerializer,
                   responses={201: ReportSerializer})  # fmt: skip
    @action(detail=True, methods=["get", "post"], serializer_class=ReportSerializer,
            **WHOLE_LIST)  # fmt: skip
    def reports(self, request, pk=None):
        """Indicator reports, newest first; POST adds one (lead operator, local admins)."""
        intervention = self.get_object()
        if request.method == "POST":
            serializer = ReportSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            report = services.add_report(intervention, serializer.validated_data,
                                         acting_user=request.user, request=request)  # fmt: skip
            return Response(
                ReportSerializer(report).data, status=status.HTTP_201_CREATED
            )
        return Response(ReportSerializer(intervention.reports.all(), many=True).data)

    @extend_schema(methods=["GET"], responses=FundingSerializer(many=True))
    @extend_schema(methods=["POST"], request=FundingSerializer,
                   responses={201: FundingSerializer})  # fmt: skip
    @action(detail=True, methods=["get", "post"], serializer_class=FundingSerializer,
            **WHOLE_LIST)  # fmt: skip
    def funding(self, request, pk=None):
        """Yearly funding lines; POST creates or updates the line of a year and source."""
        intervention = self.get_object()
        if not can(request.user, SEE_FUNDING, intervention):
            raise PermissionDenied(_("You cannot see this intervention's funding."))
        if request.method == "POST":
            serializer = FundingSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            line = services.set_funding(intervention, serializer.validated_data,
                                        acting_user=request.user, request=request)  # fmt: skip
            return Response(
                FundingSerializer(line).data, status=status.HTTP_201_CREATED
            )
        lines = intervention.funding.order_by("-year", "source_kind")
        return Response(FundingSerializer(lines, many=True).data)
