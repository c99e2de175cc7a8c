import json
import tempfile
import uuid
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from leaflet.forms.widgets import LeafletWidget

from actors.capabilities import (
    IMPORT_ANY_POINTS,
    SET_PARKING_RULES,
    VERIFY_POINT,
    can,
    require,
)
from lib.action_form import add_service_errors
from lib.csp import nonce_map_widgets
from lib.free_text import ConfirmNamesMixin
from sites.importers import DEFAULT_MAPPING, read_rows
from sites.models import (
    AccessibilityPoint,
    ParkingRules,
    PointSource,
    PointStatus,
    RestrictedZone,
)
from sites.services.accessibility import (
    ImportRefused,
    import_points,
    save_restricted_zone,
    set_parking_rules,
    set_point_status,
)
from territory.models import Territory
from territory.sources import SourceError

# Spaces drawn on a commune's map and listed with directions; past it, the GeoJSON link.
MAP_POINT_LIMIT = 500
UPLOAD_DIR = Path(tempfile.gettempdir()) / "terrain-commun-uploads"
ALLOWED_SUFFIXES = {".geojson", ".json", ".gpkg", ".csv", ".xz", ".gz"}


class ParkingRulesForm(ConfirmNamesMixin, forms.ModelForm):
    class Meta:
        model = ParkingRules
        fields = ("free_of_charge", "max_duration_minutes", "card_required", "notes")
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class RestrictedZoneForm(forms.ModelForm):
    class Meta:
        model = RestrictedZone
        fields = ("name", "geom", "disabled_access", "rules")
        widgets = {
            "geom": LeafletWidget(attrs={"geom_type": "MultiPolygon"}),
            "rules": forms.Textarea(attrs={"rows": 3}),
        }


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File (GeoJSON, GeoPackage or CSV)"))
    source = forms.ChoiceField(
        label=gettext_lazy("source"),
        choices=PointSource.choices,
        initial=PointSource.MUNICIPALITY,
    )
    partial = forms.BooleanField(
        label=gettext_lazy("Import the valid rows and skip the rejected ones"),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in ALLOWED_SUFFIXES:
            raise ValidationError(
                _("Unsupported file type: use GeoJSON, GeoPackage or CSV.")
            )
        return upload


def commune_page(request: HttpRequest, code: str) -> HttpResponse:
    """Public page of a commune's accessibility: rules, restricted zones, spaces."""
    commune = get_object_or_404(
        Territory.objects.communes().select_related("parent"), code=code
    )
    rules = ParkingRules.objects.filter(commune=commune).first()
    can_edit = can(request.user, SET_PARKING_RULES, commune)
    form = ParkingRulesForm(request.POST or None, instance=rules) if can_edit else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            set_parking_rules(
                commune, form.cleaned_data, acting_user=request.user, request=request
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("Rules saved."))
            return redirect("commune", code=code)
    points = AccessibilityPoint.objects.readable_by(request.user).filter(
        commune=commune
    )
    reported = (
        points.filter(status=PointStatus.REPORTED)
        if form is not None
        else points.none()
    )
    zones = RestrictedZone.objects.filter(commune=commune).order_by("name")
    shown = list(
        points.exclude(status=PointStatus.REMOVED)
        .only("point", "spaces", "address", "status")
        .order_by("address", "pk")[:MAP_POINT_LIMIT]
    )
    context = {
        "reported": reported,
        "commune": commune,
        "rules": rules,
        "form": form,
        "can_edit": can_edit,
        "zones": zones,
        "point_count": points.count(),
        "spaces": sum(points.values_list("spaces", flat=True)),
        "shown_points": shown,
        "map_limit": MAP_POINT_LIMIT,
        "commune_map": _commune_map(commune, shown, zones),
    }
    return render(request, "sites/commune.html", context)


def _commune_map(commune: Territory, points, zones) -> dict:
    """What the commune's map draws (sites/static/sites/commune_map.js), 6 decimals."""
    return {
        "bbox": [round(v, 6) for v in commune.geom.extent],
        # The commune's own boundary, drawn bold; simplified to about 10 m.
        "outline": json.loads(commune.geom.simplify(0.0001).json),
        "points": [
            {
                "lat": round(p.point.y, 6),
                "lon": round(p.point.x, 6),
                "spaces": p.spaces,
                "label": p.address or _("Reserved space #%(pk)s") % {"pk": p.pk},
            }
            for p in points
        ],
        "zones": [
            {
                "name": z.name,
                "access": z.get_disabled_access_display(),
                "disabled_access": z.disabled_access,
                "geometry": json.loads(z.geom.json),
            }
            for z in zones
        ],
    }


@login_required
@require_http_methods(["GET", "POST"])
def zone_edit(request: HttpRequest, code: str, pk: int | None = None) -> HttpResponse:
    """A local admin draws a restricted traffic zone of the commune, or changes one."""
    commune = get_object_or_404(Territory.objects.communes(), code=code)
    require(request.user, SET_PARKING_RULES, commune)
    zone = (
        get_object_or_404(RestrictedZone, pk=pk, commune=commune)
        if pk is not None
        else None
    )
    form = nonce_map_widgets(
        RestrictedZoneForm(request.POST or None, instance=zone), request
    )
    if request.method == "POST" and form.is_valid():
        try:
            save_restricted_zone(
                commune,
                form.cleaned_data,
                zone=zone,
                acting_user=request.user,
                request=request,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Zone saved."))
            return redirect("commune", code=code)
    bbox = ",".join(f"{v:.5f}" for v in commune.geom.extent)
    context = {"form": form, "commune": commune, "zone": zone, "focus_bbox": bbox}
    return render(request, "sites/zone_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def import_points_view(request: HttpRequest) -> HttpResponse:
    """Upload, preview what will change (a dry run), then confirm."""
    require(request.user, IMPORT_ANY_POINTS)
    if request.POST.get("confirm") and request.session.get("points_import"):
        return _confirm_import(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        path = _store(form.cleaned_data["file"])
        data = form.cleaned_data
        request.session["points_import"] = {
            "path": str(path),
            "source": data["source"],
            "partial": data["partial"],
        }
        preview = _run(
            request, path, data["source"], dry_run=True, partial=data["partial"]
        )
        return render(request, "sites/import_preview.html", preview)
    return render(
        request, "sites/import_form.html", {"form": form, "mapping": DEFAULT_MAPPING}
    )


def _store(upload) -> Path:
    UPLOAD_DIR.mkdir(mode=0o700, exist_ok=True)
    path = (
        UPLOAD_DIR
        / f"{uuid.uuid4().hex}{''.join(Path(upload.name).suffixes[-2:]).lower()}"
    )
    with path.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return path


def _run(request, path: Path, source: str, *, dry_run: bool, partial: bool) -> dict:
    """All or nothing unless `partial`; a preview always lists every rejected row."""
    try:
        rows = read_rows(path)
        result = import_points(
            rows,
            source=source,
            partial=partial or dry_run,
            dry_run=dry_run,
            acting_user=request.user,
        )
    except SourceError as exc:
        return {"error": str(exc)}
    except ImportRefused as refused:
        return {
            "error": _("Import refused, nothing was changed: %(n)s rows rejected.")
            % {"n": len(refused.result.rejected)}
        }
    blocked = bool(result.rejected) and not partial
    return {"result": result, "rows": len(rows), "blocked": blocked, "partial": partial}


def _confirm_import(request: HttpRequest) -> HttpResponse:
    pending = request.session.pop("points_import")
    path = Path(pending["path"])
    if path.parent != UPLOAD_DIR or not path.exists():
        messages.error(request, _("The uploaded file has expired; upload it again."))
        return redirect("points-import")
    outcome = _run(
        request,
        path,
        pending["source"],
        dry_run=False,
        partial=pending.get("partial", False),
    )
    path.unlink(missing_ok=True)
    if "error" in outcome:
        messages.error(request, outcome["error"])
    else:
        messages.success(
            request,
            _("Import done: %(summary)s.") % {"summary": outcome["result"].summary()},
        )
    return redirect("points-import")


@login_required
@require_http_methods(["POST"])
def point_status(request: HttpRequest, pk: int) -> HttpResponse:
    """A local admin verifies or removes a reported point from the commune page."""
    point = get_object_or_404(
        AccessibilityPoint.objects.readable_by(request.user).select_related("commune"),
        pk=pk,
    )
    require(request.user, VERIFY_POINT, point)
    new_status = request.POST.get("status")
    if new_status not in (PointStatus.VERIFIED, PointStatus.REMOVED):
        messages.error(request, _("Unknown status."))
    else:
        set_point_status(point, new_status, acting_user=request.user, request=request)
        messages.success(request, _("Point updated."))
    return redirect("commune", code=point.commune.code)
