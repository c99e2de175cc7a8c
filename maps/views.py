from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    map_config = {
        "territoriesUrl": reverse("territory-list"),
        "sitesUrl": reverse("site-list") if request.user.is_authenticated else None,
        "parkingUrl": reverse("accessibility-point-list"),
        "osmUrl": settings.OSM_TILES_URL,
        "attribution": "IGN ADMIN EXPRESS-COG, INSEE COG",
        "text": {
            "osm": _("OpenStreetMap background"),
            "departements": _("Départements"),
            "found": _("Communes found: %s"),
            "none": _("No commune found"),
            "sites": _("Sites in your territories"),
            "communePage": _("parking rules"),
            "parking": _("Reserved parking spaces (zoom in)"),
        },
    }
    return render(request, "maps/home.html", {"map_config": map_config})


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers, 503 otherwise (for load balancers)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse(
            "database unavailable", status=503, content_type="text/plain"
        )
    return HttpResponse("ok", content_type="text/plain")
