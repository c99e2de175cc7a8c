"""Vector tiles and their TileJSON, one entry per layer in LAYERS.

Lists are scoped by querysets (`visible_to`, `readable_by`), as in the API; the
SQL around them is in `maps/tiles.py`. DRF views, so API tokens (QGIS) and
sessions (the web map) both authenticate. Anonymous visitors get the sites layer
as published aggregates only (maps/api/public_sites.py), and a 401 on interventions.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db.models import Model
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_vary_headers
from rest_framework.exceptions import NotAuthenticated, ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from actors.scope import scope_of
from config.api import has_filter_params
from interventions.filters import InterventionFilter
from interventions.models import Intervention
from maps import tiles
from maps.api.public_sites import CACHE_SECONDS, published_aggregates
from maps.tiles import Query, Tile
from sites.api.filters import SiteFilter
from sites.models import AccessibilityPoint, RestrictedZone, Site, SiteCommuneCount

MVT = "application/vnd.mapbox-vector-tile"
PRIVATE = "private, max-age=60"
PUBLIC = "public, max-age=3600"
# Public aggregates follow the sites: as long as they are kept in the cache.
PUBLIC_AGGREGATES = f"public, max-age={CACHE_SECONDS}"
# France with its overseas départements: Guadeloupe (west) to La Réunion (south,
# east), Dunkirk (north).
FRANCE_BOUNDS = [-61.81, -21.39, 55.84, 51.09]
CENTER = [2.35, 46.6, 5]
ATTRIBUTION = "Terrain Commun; IGN ADMIN EXPRESS-COG, INSEE COG"
SERVED_MAX_ZOOM = 14  # beyond, clients overzoom the z14 tile


@dataclass(frozen=True)
class Layer:
    tile: Callable[[Request, Tile], Query | None]
    scoped: Callable[[Request], bool]  # whether the answer depends on the user
    fields: dict[str, str]
    minzoom: int = 0
    anonymous: bool = True
    description: str = ""
    public_cache: str = PUBLIC  # Cache-Control of the answers that are not scoped
    # Whether two users may get two answers (then shared caches must tell them apart).
    varies: bool = True
    # Up to this zoom the tiles are aggregates of this model, cached (maps.tiles.render).
    aggregates_to: int = -1
    aggregating: type[Model] | None = None


def _filtered(filterset_class, request: Request, queryset):
    # The API's own filters, with the API's own class: same names, same meaning.
    if not has_filter_params(filterset_class, request.query_params):
        return queryset
    filterset = filterset_class(
        request.query_params, queryset=queryset, request=request
    )
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs


def _sites(request: Request, tile: Tile) -> Query:
    if not request.user.is_authenticated:
        # Filters do not apply: the public sees open sites only, protected figures.
        return tiles.published_tile(published_aggregates(), tile)
    sites = Site.objects.visible_to(request.user)
    if has_filter_params(SiteFilter, request.query_params):
        return tiles.sites_tile(_filtered(SiteFilter, request, sites), tile)
    # Unfiltered, aggregates sum the per-commune counts of the same scope.
    counts = SiteCommuneCount.objects.visible_to(request.user)
    return tiles.sites_tile(sites, tile, counts)


def _interventions(request: Request, tile: Tile) -> Query:
    user = request.user
    interventions = Intervention.objects.visible_to(user)
    filtered = _filtered(InterventionFilter, request, interventions)
    return tiles.interventions_tile(filtered, Site.objects.visible_to(user), tile)


def _accessibility(request: Request, tile: Tile) -> Query:
    points = AccessibilityPoint.objects.readable_by(request.user)
    return tiles.accessibility_tile(points, tile)


def _restricted_zones(request: Request, tile: Tile) -> Query | None:
    # Public like /api/v1/restricted-zones/: every zone, for everyone.
    return tiles.restricted_zones_tile(RestrictedZone.objects.all(), tile)


def _territories(request: Request, tile: Tile) -> Query:
    return tiles.territories_tile(tile)


AGGREGATE = {
    "aggregate": "String: departement, commune or cell (absent on single features)",
    "code": "String: INSEE code of the aggregate's territory",
    "name": "String",
    "count": "Number",
}
LAYERS = {
    "sites": Layer(
        tile=_sites,
        scoped=lambda request: request.user.is_authenticated,
        public_cache=PUBLIC_AGGREGATES,
        aggregates_to=tiles.SITE_AGGREGATES_TO,
        aggregating=Site,
        description=(
            "Sites: départements to z7, communes to z10, cells to z12, then sites. "
            "Anonymous visitors: open sites per département to z7, then per commune, "
            "only where disclosure control allows (people rounded), at every zoom"
        ),
        fields={
            **AGGREGATE,
            "people": "Number (absent when unknown)",
            "id": "Number",
            "status": "String",
            "kind": "String",
            "water_status": "String",
            "toilets_status": "String",
            "electricity_status": "String",
            "commune_code": "String",
        },
    ),
    "accessibility-points": Layer(
        tile=_accessibility,
        scoped=lambda request: request.user.is_authenticated,
        aggregates_to=tiles.POINT_AGGREGATES_TO,
        aggregating=AccessibilityPoint,
        description="Reserved parking spaces: per commune below z12, then each point",
        fields={
            "aggregate": AGGREGATE["aggregate"],
            "code": AGGREGATE["code"],
            "count": "Number",
            "spaces": "Number",
            "id": "Number",
            "status": "String",
            "commune_code": "String",
        },
    ),
    "interventions": Layer(
        tile=_interventions,
        scoped=lambda request: True,
        anonymous=False,
        description=(
            "Interventions: one point per linked site the user may see, "
            "else on the territory's label point"
        ),
        fields={
            "id": "Number",
            "themes": "String: comma-separated theme codes",
            "status": "String",
            "year": "Number: year the intervention started",
            "people": "Number: people reached in its latest report (absent without one)",
            "site_id": "Number (absent when drawn on its territory)",
        },
    ),
    "restricted-zones": Layer(
        tile=_restricted_zones,
        scoped=lambda request: False,
        varies=False,
        minzoom=tiles.RESTRICTED_ZONES_MINZOOM,
        description="Restricted traffic zones",
        fields={
            "id": "Number",
            "name": "String",
            "commune_code": "String",
            "disabled_access": "String: allowed, with_card or forbidden",
        },
    ),
    "territories": Layer(
        tile=_territories,
        scoped=lambda request: False,
        varies=False,
        description="Outlines: régions to z4, départements to z8, then communes",
        fields={"code": "String", "name": "String", "level": "String"},
    ),
}


class IgnoreAccept(BaseContentNegotiation):
    """Tiles have one format: a map client's Accept header must not turn them into 406."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return (renderers[0], renderers[0].media_type)


class LayerView(APIView):
    permission_classes = [AllowAny]
    content_negotiation_class = IgnoreAccept
    schema = None  # binary and TileJSON: described in maps/api/views.py, not OpenAPI

    def layer_for(self, request: Request, name: str) -> Layer:
        layer = LAYERS.get(name)
        if layer is None:
            raise Http404
        if not layer.anonymous and not request.user.is_authenticated:
            raise NotAuthenticated
        return layer


class TileView(LayerView):
    def get(self, request: Request, layer: str, z: int, x: int, y: int) -> HttpResponse:
        spec = self.layer_for(request, layer)
        tile = Tile(z, x, y)
        if not tile.exists():
            raise Http404
        try:
            query = spec.tile(request, tile)
        except EmptyResultSet:  # `.none()`: a user without grants has nothing to see
            query = None
        aggregating = spec.aggregating if z <= spec.aggregates_to else None
        data = tiles.render(query, aggregating) if query else b""
        scoped = spec.scoped(request)
        if not data:
            response = HttpResponse(status=204)
        else:
            response = HttpResponse(data, content_type=MVT)
            response["ETag"] = _etag(request, data, scoped)
        response["Cache-Control"] = PRIVATE if scoped else spec.public_cache
        if spec.varies:
            patch_vary_headers(response, ["Cookie", "Authorization"])
        # 304 when If-None-Match holds the ETag (weak match: GZip weakens it).
        conditional = get_conditional_response(
            request, etag=response.get("ETag"), response=response
        )
        return conditional or response


def _etag(request: Request, data: bytes, scoped: bool) -> str:
    """The tile's hash, with the user's scope when the answer depends on it."""
    digest = hashlib.sha256(data)
    if scoped:
        digest.update(";".join(scope_of(request.user).read_paths()).encode())
        digest.update(str(request.user.pk).encode())
    return f'"{digest.hexdigest()[:32]}"'


class TileJsonView(LayerView):
    def get(self, request: Request, layer: str) -> Response:
        spec = self.layer_for(request, layer)
        url = reverse("maps:tile", kwargs={"layer": layer, "z": 0, "x": 0, "y": 0})
        template = request.build_absolute_uri(url.removesuffix("0/0/0.pbf"))
        template += "{z}/{x}/{y}.pbf"
        if request.query_params:
            template += "?" + request.query_params.urlencode()
        document = {
            "tilejson": "3.0.0",
            "name": layer,
            "description": spec.description,
            "tiles": [template],
            "minzoom": spec.minzoom,
            "maxzoom": SERVED_MAX_ZOOM,
            "bounds": FRANCE_BOUNDS,
            "center": CENTER,
            "attribution": ATTRIBUTION,
            "vector_layers": [
                {
                    "id": layer,
                    "fields": spec.fields,
                    "minzoom": spec.minzoom,
                    "maxzoom": SERVED_MAX_ZOOM,
                }
            ],
        }
        response = Response(document)
        response["Cache-Control"] = PRIVATE if spec.scoped(request) else PUBLIC
        if spec.varies:
            patch_vary_headers(response, ["Cookie", "Authorization"])
        return response
