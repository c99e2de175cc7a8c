"""OGC API - Features (Part 1 Core, GeoJSON, HTML) at /ogc/, for QGIS and the like.

Plain DRF views so the API's authentication (token, session) and its one error
handler apply; HTTP Basic is added here only, because it is what GIS clients send.
Every collection reads through its own door (maps/ogc/collections.py).
"""

import datetime
import json
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from actors.api.authentication import (
    CharterBasicAuthentication,
    CharterTokenAuthentication,
)
from config.api import OGC_BBOX
from maps.ogc import crs as crss
from maps.ogc.collections import BY_ID, COLLECTIONS, Bbox, Collection, InvalidFilter
from maps.ogc.crs import CRS84, Crs
from sites.api.filters import PLACE_FILTERS
from sites.export import AS_OF_LIMIT
from sites.history import past_states

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
_F_HELP = "json (GeoJSON for features) or html; else the Accept header decides"


class AnyAccept(BaseContentNegotiation):
    """Errors are JSON whatever the client accepts (QGIS asks for geo+json)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class OgcView(APIView):
    # Basic first: a 401 asks for Basic credentials, which GIS clients then send.
    authentication_classes = [
        CharterBasicAuthentication,
        CharterTokenAuthentication,
        SessionAuthentication,
    ]
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = AnyAccept

    def wants_html(self) -> bool:
        requested = self.request.query_params.get("f")
        if requested is not None:  # `f=` too: the schema's enum has no empty value
            if requested not in ("html", "json"):
                raise ValidationError({"f": _("Use f=json or f=html.")})
            return requested == "html"
        accept = self.request.headers.get("Accept", "")
        return HTML in accept and "json" not in accept.split(HTML)[0]

    def url(self, name: str, *args, **params) -> str:
        path = reverse(f"ogc:{name}", args=args)
        query = f"?{urlencode(params, doseq=True)}" if params else ""
        return self.request.build_absolute_uri(path) + query

    def links(self, name: str, *args, json_type: str = JSON, **params) -> list[dict]:
        html = self.wants_html()
        return [
            {"href": self.url(name, *args, **params, f="json"), "type": json_type,
             "rel": "alternate" if html else "self", "title": _("This document as JSON")},
            {"href": self.url(name, *args, **params, f="html"), "type": HTML,
             "rel": "self" if html else "alternate", "title": _("This document as HTML")},
        ]  # fmt: skip

    def respond(self, document: dict, page: str, media_type: str = JSON, **context):
        if self.wants_html():
            context = {"document": document, "page": page, **context}
            return render(self.request, "maps/ogc/page.html", context)
        body = json.dumps(document, ensure_ascii=False, default=str)
        return HttpResponse(body, content_type=media_type)

    def output_crs(self) -> Crs:
        return crss.parse(self.request.query_params.get("crs"), "crs")

    def with_crs(self, response: HttpResponse, crs: Crs) -> HttpResponse:
        """Part 2: the coordinates' CRS, on every response holding features."""
        response["Content-Crs"] = crss.header(crs)
        return response

    def collection(self, collection_id: str) -> tuple[Collection, QuerySet]:
        collection = BY_ID.get(collection_id)
        if collection is None:
            raise Http404
        rows = collection.rows(self.request.user)
        if rows is None:
            # Sign-in needed: a 401 with WWW-Authenticate makes QGIS ask for it.
            raise NotAuthenticated
        return collection, rows

    def describe(self, collection: Collection) -> dict:
        return {
            "id": collection.id,
            "title": str(collection.title),
            "description": str(collection.description),
            "itemType": "feature",
            "crs": crss.URIS,
            "storageCrs": CRS84,
            "extent": {"spatial": {"bbox": [[-180, -90, 180, 90]], "crs": CRS84}},
            "filters": collection.filter_names(),
            "links": [
                {"href": self.url("collection", collection.id), "rel": "self",
                 "type": JSON, "title": str(collection.title)},
                {"href": self.url("items", collection.id, f="json"), "rel": "items",
                 "type": GEOJSON, "title": _("Features as GeoJSON")},
                {"href": self.url("items", collection.id, f="html"), "rel": "items",
                 "type": HTML, "title": _("Features as HTML")},
            ],
        }  # fmt: skip


F_PARAM = OpenApiParameter("f", str, enum=["json", "html"], description=_F_HELP)
ERRORS = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="invalid parameter"),
    401: OpenApiResponse(OpenApiTypes.OBJECT, description="sign-in needed (sites, interventions)"),
    404: OpenApiResponse(OpenApiTypes.OBJECT, description="unknown collection or feature"),
}  # fmt: skip
CRS_PARAM = OpenApiParameter(
    "crs",
    str,
    enum=crss.URIS,
    description="the CRS of the coordinates returned (Part 2), said in Content-Crs; else 400",
)
ITEMS_PARAMS = [
    F_PARAM,
    OpenApiParameter("limit", int, description=f"1 to {MAX_LIMIT}, default {DEFAULT_LIMIT}"),
    OpenApiParameter("offset", int, description="features skipped (see the `next` link)"),
    OpenApiParameter("bbox", str, description="minx,miny,maxx,maxy in bbox-crs (CRS84 by default)"),
    OpenApiParameter("bbox-crs", str, enum=crss.URIS, description="the CRS of bbox (Part 2); else 400"),
    CRS_PARAM,
    OpenApiParameter(
        "datetime", str,
        description="sites: YYYY-MM-DD gives the sites as they were that day",
    ),
]  # fmt: skip
# Not a parameter of its own (a "<filter>" parameter invited clients to send one).
FILTERS_HELP = (
    "Also the REST API's filters under its names, per collection "
    "(see `filters` in /ogc/collections/{collection_id})."
)


def _doc(summary: str, params=(), ok=OpenApiTypes.OBJECT, description=None):
    return extend_schema(
        operation_id=f"ogc_{summary.lower().replace(' ', '_').replace(',', '')}",
        summary=summary,
        description=description,
        tags=["ogc"],
        parameters=[F_PARAM, *params] if F_PARAM not in params else list(params),
        responses={200: ok, **ERRORS},
    )


class LandingView(OgcView):
    @_doc("Landing page")
    def get(self, request):
        document = {
            "title": "Terrain Commun",
            "description": _(
                "Sites, accessibility, restricted zones, territories and "
                "interventions as OGC API Features."
            ),
            "links": [
                *self.links("landing"),
                {"href": self.url("conformance"), "rel": "conformance", "type": JSON,
                 "title": _("Conformance classes")},
                {"href": self.url("collections"), "rel": "data", "type": JSON,
                 "title": _("Collections")},
                # The OpenAPI 3.0 definition (conformance class oas30), describing
                # these paths with their parameters, in JSON and YAML.
                {"href": request.build_absolute_uri(reverse("api-schema")) + "?format=json",
                 "rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0",
                 "title": _("The API definition (OpenAPI 3.0, JSON)")},
                {"href": request.build_absolute_uri(reverse("api-schema")),
                 "rel": "service-desc", "type": "application/vnd.oai.openapi;version=3.0",
                 "title": _("The API definition (OpenAPI 3.0, YAML)")},
                {"href": request.build_absolute_uri(reverse("api-docs")), "rel": "service-doc",
                 "type": HTML, "title": _("The API documentation")},
            ],
        }  # fmt: skip
        return self.respond(document, "landing")


class ConformanceView(OgcView):
    @_doc("Conformance classes")
    def get(self, request):
        return self.respond({"conformsTo": CONFORMANCE}, "conformance")


class CollectionsView(OgcView):
    @_doc("Collections the user may read")
    def get(self, request):
        readable = [c for c in COLLECTIONS if c.rows(request.user) is not None]
        document = {
            "links": self.links("collections"),
            "collections": [self.describe(c) for c in readable],
        }
        return self.respond(document, "collections")


class CollectionView(OgcView):
    @_doc("One collection")
    def get(self, request, collection_id: str):
        collection, _rows = self.collection(collection_id)
        return self.respond(self.describe(collection), "collection")


class ItemsView(OgcView):
    @_doc("Features, one page", ITEMS_PARAMS, description=FILTERS_HELP)
    def get(self, request, collection_id: str):
        collection, rows = self.collection(collection_id)
        limit, offset = _paging(request.query_params)
        crs = self.output_crs()
        day = _day(request)  # checked everywhere, used where there are past states
        if not collection.as_of:
            day = None
        if day is not None:
            return self.with_crs(
                self.past(collection, rows, day, limit, offset, crs), crs
            )
        try:
            rows = collection.filter(rows, request.query_params, _bbox(request))
        except InvalidFilter as invalid:
            raise ValidationError(invalid.errors) from invalid
        matched = rows.count()
        page = rows.order_by("pk")[offset : offset + limit]
        features = collection.features(page, crs)
        returned = max(0, min(limit, matched - offset))
        head = {
            "type": "FeatureCollection",
            "numberMatched": matched,
            "numberReturned": returned,
            "links": self.page_links(collection, limit, offset, matched),
        }
        if self.wants_html():
            head["features"] = json.loads(features)
            return self.with_crs(
                self.respond(head, "items", collection=collection), crs
            )
        # The features are already JSON, made by PostGIS: spliced in, not re-encoded.
        body = json.dumps(head, ensure_ascii=False)[:-1] + f', "features": {features}}}'
        return self.with_crs(HttpResponse(body, content_type=GEOJSON), crs)

    def past(
        self, collection, rows, day, limit: int, offset: int, crs: Crs
    ) -> HttpResponse:
        """Sites as they were that day: placed today (scope, territory, bbox), then
        filtered on their state then, as the REST API's `as_of` does."""
        params = self.request.query_params
        place = {k: params[k] for k in PLACE_FILTERS if k in params}
        try:
            rows = collection.filter(
                rows, QueryDict(urlencode(place)), _bbox(self.request)
            )
        except InvalidFilter as invalid:
            raise ValidationError(invalid.errors) from invalid
        placed = list(rows.select_related("commune").order_by("pk")[: AS_OF_LIMIT + 1])
        if len(placed) > AS_OF_LIMIT:
            raise ValidationError(
                {
                    "datetime": _(
                        "Too many sites for a past date: narrow by territory or bbox."
                    )
                }
            )
        sites = past_states(placed, day, params)
        head = {
            "type": "FeatureCollection",
            "numberMatched": len(sites),
            "numberReturned": len(sites[offset : offset + limit]),
            "links": self.page_links(collection, limit, offset, len(sites)),
            "features": [
                past_feature(collection, s, crs) for s in sites[offset : offset + limit]
            ],
        }
        if self.wants_html():
            return self.respond(head, "items", collection=collection)
        body = json.dumps(head, ensure_ascii=False, default=_iso)
        return HttpResponse(body, content_type=GEOJSON)

    def page_links(self, collection, limit: int, offset: int, matched: int) -> list:
        params = {k: v for k, v in self.request.query_params.lists() if k != "f"}
        params.pop("offset", None)
        params["limit"] = [str(limit)]
        links = self.links("items", collection.id, json_type=GEOJSON, **params)
        pages = []
        if offset + limit < matched:
            pages.append(("next", offset + limit))
        if offset > 0:
            pages.append(("prev", max(0, offset - limit)))
        for rel, start in pages:
            url = self.url("items", collection.id, **params, offset=start, f="json")
            links.append({"href": url, "rel": rel, "type": GEOJSON, "title": rel})
        return links


class ItemView(OgcView):
    @_doc("One feature", [CRS_PARAM])
    def get(self, request, collection_id: str, fid: str):
        collection, rows = self.collection(collection_id)
        if not fid.isdigit():
            raise Http404
        crs = self.output_crs()
        features = json.loads(collection.features(rows.filter(pk=int(fid)), crs))
        if not features:
            raise Http404
        feature = features[0]
        feature["links"] = [
            *self.links("item", collection.id, fid, json_type=GEOJSON),
            {"href": self.url("collection", collection.id), "rel": "collection",
             "type": JSON, "title": str(collection.title)},
        ]  # fmt: skip
        response = self.respond(feature, "item", GEOJSON, collection=collection)
        return self.with_crs(response, crs)


def past_feature(collection: Collection, site, crs: Crs = crss.STORAGE) -> dict:
    properties = {}
    for name, lookup in collection.properties.items():
        value = site
        for part in lookup.split("__"):
            value = getattr(value, part, None)
        properties[name] = value
    point = site.point.transform(crs.srid, clone=True)
    x, y = round(point.x, crs.precision), round(point.y, crs.precision)
    return {
        "type": "Feature",
        "id": site.pk,
        "geometry": {
            "type": "Point",
            "coordinates": [y, x] if crs.lat_first else [x, y],
        },
        "properties": properties,
    }


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _day(request) -> datetime.date | None:
    """An instant (a date, or a date-time whose day is taken); intervals are refused."""
    value = request.query_params.get("datetime")
    if value is None:  # `datetime=` is a 400, as its schema (a date) says
        return None
    try:
        if "/" in value:
            raise ValueError(value)
        return datetime.date.fromisoformat(value[:10])
    except ValueError as exc:
        raise ValidationError(
            {
                "datetime": _(
                    "Use one date, YYYY-MM-DD: the sites as they were that day."
                )
            }
        ) from exc


MAX_OFFSET = 2**31 - 1


def _paging(params) -> tuple[int, int]:
    try:
        limit = int(params.get("limit", DEFAULT_LIMIT))
        offset = int(params.get("offset", 0))
    except ValueError as exc:
        raise ValidationError({"limit": _("limit and offset are integers.")}) from exc
    if limit < 1 or not 0 <= offset <= MAX_OFFSET:  # beyond: "bigint out of range"
        raise ValidationError({"limit": _("limit is at least 1, offset at least 0.")})
    # Beyond the maximum, the page holds the maximum; numberReturned and `next` say so.
    return min(limit, MAX_LIMIT), offset


def _bbox(request) -> Bbox | None:
    """The bbox numbers in x/y order and the SRID of `bbox-crs` (CRS84 by default)."""
    value = request.query_params.get("bbox")
    bbox_crs = crss.parse(request.query_params.get("bbox-crs"), "bbox-crs")
    if value is None:
        return None
    # Decimal numbers only (not 1e400, inf, nan), as the schema's pattern says.
    numbers = (
        [float(part) for part in value.split(",")] if OGC_BBOX.match(value) else []
    )
    if len(numbers) not in (4, 6):
        raise ValidationError(
            {"bbox": _("bbox is minx,miny,maxx,maxy, in the CRS of bbox-crs.")}
        )
    if len(numbers) == 6:  # minx,miny,minz,maxx,maxy,maxz: heights ignored
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    return crss.bbox_in_storage(numbers, bbox_crs)
