import datetime

from django.conf import settings
from django.db.models.fields.json import KeyTransform
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from actors.api.permissions import Can
from actors.audit import record
from actors.capabilities import CHANGE_SITE, SEE_PROCEDURES, can
from config.api import GeoPageNumbers, StrictFilterBackend
from config.geojson import (
    CappedCountPaginator,
    FeatureSpec,
    feature_page_response,
    feature_texts,
    page_of,
)
from sites.api.filters import PLACE_FILTERS, SiteFilter
from sites.api.serializers import (
    SiteFeatureSerializer,
    SiteSerializer,
)
from sites.export import (
    AS_OF_LIMIT,
    CONTENT_TYPES,
    FORMATS,
    csv_lines,
    export_fields,
    export_rows,
    geojson_chunks,
    sites_gpkg,
    to_geojson,
    to_xlsx,
)
from sites.export_geojson_sql import geojson_chunks_sql
from sites.export_sql import csv_chunks
from sites.history import as_of, past_revisions, past_states
from sites.jobs import queue_export
from sites.models import Site
from sites.services import site as services
from territory.models import without_boundaries

EXPORT_FORMATS_HELP = (
    "csv (UTF-8 with BOM, labels in your language), xlsx, geojson, gpkg (GeoPackage)"
)


class SitePagination(GeoPageNumbers):
    max_page_size = 1000
    django_paginator_class = CappedCountPaginator


# SiteFeatureSerializer's document, built by PostGIS (config/geojson.py).
SITE_FEATURE = FeatureSpec(
    geometry="point",
    properties={
        "name": "name",
        "kind": "kind",
        "status": "status",
        "commune_code": "commune__code",
        "people": "people",
        "updated_at": "updated_at",
    },
)


# A list's feature at a past date: the same document as SITE_FEATURE, from the
# revision's snapshot (the commune is today's, as on the site's page).
PAST_SITE_FEATURE = FeatureSpec(
    geometry="past_point",
    properties={
        "name": KeyTransform("name", "snapshot"),
        "kind": KeyTransform("kind", "snapshot"),
        "status": KeyTransform("status", "snapshot"),
        "commune_code": "site__commune__code",
        "people": KeyTransform("people", "snapshot"),
        "updated_at": "at",
    },
    id_field="site_id",
)


class SiteViewSet(viewsets.ModelViewSet):
    """Sites in the user's territories. Lists and details go through `visible_to`."""

    permission_classes = [IsAuthenticated]
    pagination_class = SitePagination
    filter_backends = [StrictFilterBackend]
    filterset_class = SiteFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        sites = Site.objects.visible_to(self.request.user).select_related("commune")
        if self.action in ("retrieve", "export"):
            return sites.prefetch_related("procedures")
        return sites.only(
            "id",
            "name",
            "kind",
            "status",
            "point",
            "people",
            "updated_at",
            "created_at",  # read by as_of for each site: one query per site without it
            "commune__code",
        )

    def get_permissions(self):
        if self.action == "partial_update":
            return [IsAuthenticated(), Can(CHANGE_SITE)()]
        return super().get_permissions()

    def get_serializer_class(self):
        return SiteFeatureSerializer if self.action == "list" else SiteSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["show_procedures"] = (
            self.action == "retrieve" and self._is_local_admin_here()
        )
        return context

    def _is_local_admin_here(self) -> bool:
        obj = getattr(self, "_object", None)
        return obj is not None and can(self.request.user, SEE_PROCEDURES, obj)

    def get_object(self):
        self._object = super().get_object()
        return self._object

    def list(self, request, *args, **kwargs):
        day = _as_of_param(request)
        if day is None:
            sites = self.filter_queryset(self.get_queryset())
            page = page_of(self.paginator, sites, request)
            return feature_page_response(
                self.paginator, feature_texts(page, SITE_FEATURE)
            )
        # Paged as without `as_of` (page, page_size, next): page_size was ignored.
        past = past_revisions(self._place(request), day, request.query_params)
        page = page_of(self.paginator, past, request)
        return feature_page_response(
            self.paginator, feature_texts(page, PAST_SITE_FEATURE)
        )

    def _place(self, request):
        """Visible sites narrowed by place (territory, bbox) and search, for a past
        date; at most AS_OF_LIMIT of them."""
        # Every filter is checked as without `as_of` (a 400 naming it), though the
        # state filters apply to the past revisions: the queryset itself is not read.
        self.filter_queryset(self.get_queryset())
        place = {
            name: request.query_params[name]
            for name in PLACE_FILTERS
            if name in request.query_params
        }
        sites = SiteFilter(data=place, queryset=self.get_queryset(), request=request).qs
        if sites.order_by()[: AS_OF_LIMIT + 1].count() > AS_OF_LIMIT:
            raise ValidationError(
                {"as_of": _("Too many sites for a past date: narrow by territory or bbox.")}
            )  # fmt: skip
        return sites

    def _placed_sites(self, request) -> "list[Site]":  # quoted: `list` is a method here
        """The sites of `_place`, with their procedures, for past_states."""
        return list(self._place(request).prefetch_related("procedures").order_by("pk"))

    def retrieve(self, request, *args, **kwargs):
        site = self.get_object()
        day = _as_of_param(request)
        if day is not None:
            past = as_of([site], day)
            if not past:
                return Response(
                    {"detail": _("This site did not exist yet on that date.")},
                    status=status.HTTP_404_NOT_FOUND,
                )
            past[0].commune = site.commune
            site = past[0]
        return Response(self.get_serializer(site).data)

    def create(self, request, *args, **kwargs):
        serializer = SiteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {
            k: v
            for k, v in serializer.validated_data.items()
            if k not in ("version", "procedures")
        }
        confirm = str(request.query_params.get("confirm_nearby", "")).lower() in (
            "1",
            "true",
            "yes",
        )
        try:
            site = services.declare_site(
                data, acting_user=request.user, confirm_nearby=confirm, request=request
            )
        except services.NearbySites as nearby:
            payload = {
                "detail": str(nearby),
                "nearby": SiteFeatureSerializer(nearby.sites, many=True).data,
            }
            return Response(payload, status=status.HTTP_409_CONFLICT)
        return Response(SiteSerializer(site).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        filters=True,
        parameters=[
            OpenApiParameter(
                "format_type", str, enum=[*FORMATS], description=EXPORT_FORMATS_HELP
            ),
            OpenApiParameter(
                "as_of", str, description="YYYY-MM-DD: state at that date"
            ),
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, CONTENT_TYPES["xlsx"]): OpenApiTypes.BINARY,
            (200, "application/geo+json"): OpenApiTypes.OBJECT,
            (200, CONTENT_TYPES["gpkg"]): OpenApiTypes.BINARY,
            400: OpenApiTypes.OBJECT,
            401: OpenApiTypes.OBJECT,
        },
    )
    @action(detail=False, url_path="export")
    def export(self, request, *args, **kwargs):
        """The visible sites with the list's filters (and as_of), in one format; audited.

        Beyond `EXPORT_SYNC_LIMIT` rows CSV and GeoJSON stream; XLSX and GeoPackage
        are built by a background job (202 with `status_url`, or a redirect to the
        job's page for a browser). Every row is exported: nothing is capped. With
        `as_of`, more than AS_OF_LIMIT sites in the place asked is a 400 naming
        `as_of` (narrow by territory, bbox or q).
        """
        kind = request.query_params.get("format_type", "csv")
        if kind not in FORMATS:
            raise ValidationError({"format_type": _("Use csv, xlsx, geojson or gpkg.")})
        day = _as_of_param(request)
        fields = export_fields(request.user)
        limit = settings.EXPORT_SYNC_LIMIT
        if day is None:
            sites = (
                self.filter_queryset(self.get_queryset())
                .prefetch_related("procedures")
                .defer(*without_boundaries("commune"))
                .order_by("pk")
            )
            matched = sites.count()
        else:
            sites = past_states(self._placed_sites(request), day, request.query_params)
            matched = len(sites)
        if kind in ("xlsx", "gpkg") and matched > limit:
            return _queued(request, kind, matched)
        record(
            "sites.exported",
            actor=request.user,
            request=request,
            rows=matched,
            matched=matched,
            format=kind,
            as_of=day or "",
        )
        response = _export_body(request, kind, sites, fields, streamed=matched > limit)
        response["Content-Disposition"] = f'attachment; filename="sites.{kind}"'
        response["X-Export-Rows"] = str(matched)
        response["X-Export-Matched"] = str(matched)
        return response

    def partial_update(self, request, *args, **kwargs):
        site = get_object_or_404(
            self.get_queryset(), pk=kwargs["pk"]
        )  # DRF's: bad pk -> 404
        self.check_object_permissions(request, site)
        serializer = SiteSerializer(site, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)  # flat or inside a Feature's properties
        if version is None:
            raise ValidationError({"version": _("The version you edited is required.")})
        try:
            site = services.update_site(
                site,
                data,
                acting_user=request.user,
                expected_version=version,
                request=request,
            )
        except services.StaleEdit as stale:
            return Response(
                {
                    "detail": str(stale),
                    "current_version": stale.current_version,
                    "changed_fields": stale.changed_fields,
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(SiteSerializer(site).data)


def _export_body(request, kind: str, sites, fields: list[str], *, streamed: bool):
    """Today's sites in CSV and GeoJSON are written by PostgreSQL (sites.export_sql,
    sites.export_geojson_sql); past states (a list rebuilt from history), XLSX and
    GeoPackage by Python."""
    content_type = CONTENT_TYPES[kind]
    if kind in ("csv", "geojson") and not isinstance(sites, list):
        writer = csv_chunks if kind == "csv" else geojson_chunks_sql
        chunks = writer(sites, fields, request.user)
        if streamed:
            return StreamingHttpResponse(chunks, content_type=content_type)
        return HttpResponse(b"".join(chunks), content_type=content_type)
    spreadsheet = kind in ("csv", "xlsx")
    if streamed:  # CSV or GeoJSON: streamed, whatever the number
        rows = export_rows(_iterate(sites), fields, request.user, spreadsheet)
        lines = (
            csv_lines(rows, fields) if kind == "csv" else geojson_chunks(rows, fields)
        )
        return StreamingHttpResponse(lines, content_type=content_type)
    rows = list(export_rows(sites, fields, request.user, spreadsheet))
    body = {
        "csv": lambda: "".join(csv_lines(rows, fields)),
        "xlsx": lambda: to_xlsx(rows, fields),
        "geojson": lambda: to_geojson(rows, fields),
        "gpkg": lambda: sites_gpkg(rows, fields),
    }[kind]()
    return HttpResponse(body, content_type=content_type)


def _iterate(sites):
    """A queryset read in chunks; past states (a list) as they are."""
    return sites.iterator(chunk_size=1000) if hasattr(sites, "iterator") else sites


def _queued(request, kind: str, matched: int):
    """A background job writes the file; the user follows it on a page (202)."""
    export = queue_export(request.user, kind, request.query_params, matched)
    record(
        "sites.exported",
        actor=request.user,
        request=request,
        rows=matched,
        matched=matched,
        format=kind,
        queued=export.pk,
    )
    status_url = reverse("sites:export", args=[export.pk])
    if "text/html" in request.headers.get("Accept", ""):
        return redirect(status_url)
    response = Response(
        {
            "detail": _("The file is being prepared: follow status_url."),
            "status_url": request.build_absolute_uri(status_url),
        },
        status=status.HTTP_202_ACCEPTED,
    )
    response["Location"] = request.build_absolute_uri(status_url)
    return response


def _as_of_param(request) -> datetime.date | None:
    value = request.query_params.get("as_of")
    if value is None:  # `as_of=` is a 400, as its schema (a date) says
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError({"as_of": _("Use the format YYYY-MM-DD.")}) from exc
