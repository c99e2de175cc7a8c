from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from actors.scope import scope_of
from interventions.models import InterventionStatus, Theme
from maps.indicators.public import rules_from_settings
from sites.export import FORMAT_LABELS
from sites.models import SiteKind, SiteStatus
from sites.models.site import ConditionStatus
from territory.models import Level, Territory

# The vector tiles (maps/tiles, DESIGN §5): /tiles/<layer>/<z>/<x>/<y>.pbf
TILES_URL = "/tiles/{layer}/{z}/{x}/{y}.pbf"
CONDITION_FILTERS = ("water_status", "toilets_status", "electricity_status")


def home_bbox(user) -> list[float]:
    """Where the map opens: the user's granted territories, or metropolitan France.

    National grants (and visitors) open on metropolitan France rather than on the
    extent of France with its overseas départements, which would show mostly sea.
    """
    paths = [entry.path for entry in scope_of(user).entries]
    territories = Territory.objects.filter(path__in=paths)
    if not paths or territories.filter(level=Level.NATION).exists():
        return list(settings.MAP_DEFAULT_BBOX)
    extent = territories.aggregate(extent=Extent("geom"))["extent"]
    return [round(v, 5) for v in extent] if extent else list(settings.MAP_DEFAULT_BBOX)


def _filters() -> list[dict]:
    """The site filters of the map, named as the sites API names them."""
    conditions = ConditionStatus.choices
    return [
        {"name": "status", "label": _("status"), "choices": SiteStatus.choices},
        {"name": "kind", "label": _("kind"), "choices": SiteKind.choices},
        {"name": "water_status", "label": _("water"), "choices": conditions},
        {"name": "toilets_status", "label": _("toilets"), "choices": conditions},
        {"name": "electricity_status", "label": _("electricity"), "choices": conditions},
    ]  # fmt: skip


def _map_config(request: HttpRequest) -> dict:
    signed_in = request.user.is_authenticated
    return {
        "bbox": home_bbox(request.user),
        "tilesUrl": TILES_URL,
        "signedIn": signed_in,
        "territoriesUrl": reverse("territory-list"),
        "sitesUrl": reverse("site-list") if signed_in else None,
        "siteListUrl": reverse("sites:list") if signed_in else None,
        "exportUrl": reverse("site-export") if signed_in else None,
        # /interventions/<pk>/: the list's URL and the id.
        "interventionsUrl": reverse("interventions:list") if signed_in else None,
        "filterNames": [f["name"] for f in _filters()] + ["as_of"],
        "labels": {
            "status": dict(SiteStatus.choices),
            "kind": dict(SiteKind.choices),
            "condition": dict(ConditionStatus.choices),
            "theme": dict(Theme.choices),
            "interventionStatus": dict(InterventionStatus.choices),
        },
        "text": {
            "found": _("Communes found: %s"),
            "none": _("No commune found"),
            "communePage": _("parking rules"),
            "sites": _("Sites"),
            "parking": _("Reserved parking spaces"),
            "zones": _("Restricted traffic zones"),
            "sitesCount": _("%(count)s sites, %(people)s people"),
            "site": _("Site"),
            "people": _("people"),
            "households": _("households"),
            "minors": _("minors"),
            "status": _("status"),
            "kind": _("kind"),
            "water": _("water"),
            "toilets": _("toilets"),
            "electricity": _("electricity"),
            "commune": _("commune"),
            "open": _("Open the site's page"),
            "zoomIn": _("Zoom in on %s"),
            "spaces": _("%s reserved spaces"),
            "noFeature": _("Nothing to list here: move or zoom the map."),
            "tooMany": _("Only the first %s are listed: zoom in."),
            "loadError": _("The site could not be loaded."),
            "unknown": _("unknown"),
            "intervention": _("Intervention"),
            "interventionPeople": _("%s people reached (latest report)"),
            "since": _("since %s"),
            "openIntervention": _("Open the intervention's page"),
            "openSitesCount": _("%(count)s open sites, about %(people)s people"),
            "oneSite": _("1 site, %(people)s people"),
            "area": _("Area"),
        },
    }


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "map_config": _map_config(request),
        "filters": _filters(),
        "export_formats": FORMAT_LABELS,
        "public_rules": rules_from_settings(),
    }
    return render(request, "maps/home.html", context)


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


@require_GET
def api_docs(request: HttpRequest) -> HttpResponse:
    """The OpenAPI document read through Swagger UI, from our own static files."""
    return render(request, "maps/api_docs.html")


def legal_page(template: str):
    """A legal page (accessibility, legal notice, personal data), public and static."""

    def view(request: HttpRequest) -> HttpResponse:
        context = {
            "inactive_days": settings.ACCOUNT_INACTIVE_DAYS,
            "deactivate_days": settings.ACCOUNT_DEACTIVATE_AFTER_WARNING_DAYS,
            "anonymise_days": settings.ACCOUNT_ANONYMISE_AFTER_DEACTIVATION_DAYS,
            "request_days": settings.ACCESS_REQUEST_RETENTION_DAYS,
        }
        return render(request, f"legal/{template}.html", context)

    return view


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask /favicon.ico whatever the page says: the DSFR's icon."""
    return redirect(static("@gouvfr/dsfr/favicon/favicon.ico"), permanent=True)
