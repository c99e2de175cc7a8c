"""The settings every Leaflet map of the site reads (maps/static/maps/basemap.js)."""

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _


def leaflet_texts() -> dict:
    """Leaflet's own words (zoom buttons, layers control) in the page's language;
    the drawing toolbar is translated by django-leaflet's own catalogue."""
    return {
        "zoomIn": _("Zoom in"),
        "zoomOut": _("Zoom out"),
        "layers": _("Map layers"),
    }


def map_base_config(request: HttpRequest) -> dict:
    """Base maps, outlines and search endpoints, written once by templates/base.html."""
    return {
        "map_base_config": {
            "baseLayers": [
                {
                    "name": str(layer["name"]),
                    "url": layer["url"],
                    "attribution": layer["attribution"],
                    "maxZoom": layer.get("max_zoom", 19),
                }
                for layer in settings.MAP_BASE_LAYERS
                if layer["url"]  # an empty URL turns a base map off
            ],
            "outlinesAttribution": settings.MAP_OUTLINES_ATTRIBUTION,
            "territoriesUrl": reverse("territory-list"),
            "addressSearchUrl": settings.ADDRESS_SEARCH_URL,
            "text": {
                "outlines": _("Boundaries only"),
                "unavailable": _("Street maps unavailable: showing boundaries only"),
            },
            "controls": leaflet_texts(),
        }
    }


def state_identity(request: HttpRequest) -> dict:
    """Whether the header and footer carry the State's identity (STATE_IDENTITY)."""
    return {"state_identity": settings.STATE_IDENTITY}
