import json
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
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
from sites.import_jobs import purge_uploads, store_upload
from sites.importers import DEFAULT_MAPPING, MAPPABLE_FIELDS, file_columns
from sites.models import (
    AccessibilityPoint,
    Dataset,
    ImportKind,
    ImportRun,
    ParkingRules,
    PointSource,
    PointStatus,
    RestrictedZone,
)
from sites.services.accessibility import (
    dataset_for,
    save_restricted_zone,
    set_parking_rules,
    set_point_status,
)
from sites.views import import_runs
from territory.models import Territory
from territory.sources import SourceError

# Spaces drawn on a commune's map and listed with directions; past it, the GeoJSON link.
MAP_POINT_LIMIT = 500
SESSION_KEY = "points_import"
ALLOWED_SUFFIXES = {".geojson", ".json", ".gpkg", ".csv", ".xz", ".gz", ".zip"}
FIELD_LABELS = {
    "source_id": gettext_lazy("identifier at the source"),
    "commune_code": gettext_lazy("commune INSEE code"),
    "address": gettext_lazy("address"),
    "details": gettext_lazy("location details"),
    "open_air": gettext_lazy("open air"),
    "domain": gettext_lazy("domain (public or private road)"),
    "created_year": gettext_lazy("year created"),
    "spaces": gettext_lazy("number of spaces"),
    "length_m": gettext_lazy("length (m)"),
    "width_m": gettext_lazy("width (m)"),
    "lon": gettext_lazy("longitude (CSV)"),
    "lat": gettext_lazy("latitude (CSV)"),
}


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
    file = forms.FileField(
        label=gettext_lazy("File (GeoJSON, GeoPackage, zipped Shapefile or CSV)"),
        help_text=gettext_lazy("Also compressed: .gz, .xz or .zip."),
    )
    dataset = forms.ModelChoiceField(
        label=gettext_lazy("Dataset"),
        queryset=Dataset.objects.all(),
        required=False,
        empty_label=gettext_lazy("— a new dataset (below) —"),
        help_text=gettext_lazy(
            "The published file this one is a version of: its points are matched on "
            "their identifier within this dataset only."
        ),
    )
    new_dataset = forms.CharField(
        label=gettext_lazy("New dataset: publisher/identifier"),
        required=False,
        max_length=161,
        help_text=gettext_lazy(
            "For example gpso/places-pmr (letters, digits, hyphens)."
        ),
    )
    title = forms.CharField(
        label=gettext_lazy("New dataset: title"), required=False, max_length=200
    )
    source = forms.ChoiceField(
        label=gettext_lazy("source"),
        choices=PointSource.choices,
        initial=PointSource.MUNICIPALITY,
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("Text encoding"),
        choices=[
            ("utf-8", gettext_lazy("UTF-8 (most files)")),
            (
                "latin-1",
                gettext_lazy(
                    "Latin-1 / Windows-1252 (older French exports, Shapefiles without .cpg)"
                ),
            ),
        ],  # fmt: skip
        initial="utf-8",
        required=False,
    )
    partial = forms.BooleanField(
        label=gettext_lazy("Import the valid rows and skip the rejected ones"),
        required=False,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in ALLOWED_SUFFIXES:
            raise ValidationError(
                _(
                    "Unsupported file type: use GeoJSON, GeoPackage, zipped Shapefile or CSV."
                )
            )
        return upload

    def clean(self):
        data = super().clean()
        if data.get("dataset") is None and not data.get("new_dataset"):
            self.add_error(
                "new_dataset",
                _("Choose a dataset, or name a new one as publisher/identifier."),
            )
        elif data.get("dataset") is None:
            try:
                data["dataset"] = dataset_for(
                    data["new_dataset"], data.get("title", "")
                )
            except SourceError as exc:
                self.add_error("new_dataset", str(exc))
        return data


class MappingForm(forms.Form):
    """The import's column-mapping step: one choice of columns per field, and a filter."""

    # The fields a column can feed, and their labels: the site import has its own.
    mappable_fields: tuple[str, ...] = MAPPABLE_FIELDS
    field_labels: dict = FIELD_LABELS

    def __init__(
        self, *args, columns: list[str], mapping: dict, row_filter: list[str], **kwargs
    ):
        super().__init__(*args, **kwargs)
        for name in self.mappable_fields:
            self.fields[f"map_{name}"] = forms.CharField(
                label=self.field_labels.get(name, name), required=False, max_length=500,
                initial=" + ".join(mapping.get(name, [])),
                widget=forms.TextInput(attrs={"list": "file-columns", "autocomplete": "off"}),
            )  # fmt: skip
        self.fields["row_filter"] = forms.CharField(
            label=_("Keep only the rows where (one COLUMN=VALUE1/VALUE2 per line)"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
            initial="\n".join(row_filter),
        )

    def mapping(self) -> dict[str, list[str]]:
        # Every field, the emptied ones too: an empty box unmaps a default column.
        return {
            name: [c.strip() for c in (self.cleaned_data.get(f"map_{name}") or "").split("+") if c.strip()]
            for name in self.mappable_fields
        }  # fmt: skip

    def row_filter(self) -> list[str]:
        text = self.cleaned_data.get("row_filter") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


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
    """Upload, map the columns and preview what will change (a dry run), then confirm.

    The preview and the import run in the background (sites.import_jobs): each step
    queues a run and sends the admin to its page (points_import_run)."""
    require(request.user, IMPORT_ANY_POINTS)
    pending = request.session.get(SESSION_KEY)
    step = request.POST.get("step") or (
        "confirm" if request.POST.get("confirm") else ""
    )
    if request.method == "POST" and pending and step:
        return _next_step(request, pending, step)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        purge_uploads()  # each upload clears those nobody confirmed in time
        data = form.cleaned_data
        dataset = data["dataset"]
        pending = {
            "path": str(store_upload(data["file"])),
            "dataset": dataset.pk,
            "new_dataset": dataset.key if dataset.pk is None else "",
            "title": dataset.title,
            "source": data["source"],
            "encoding": data["encoding"] or "utf-8",
            "partial": data["partial"],
            "mapping": dataset.mapping,
            "row_filter": dataset.row_filter,
        }
        request.session[SESSION_KEY] = pending
        return import_runs.start(request, ImportKind.POINTS, pending, dry_run=True)
    return render(
        request, "sites/import_form.html", {"form": form, "mapping": DEFAULT_MAPPING}
    )


def _next_step(request: HttpRequest, pending: dict, step: str) -> HttpResponse:
    gone = import_runs.expired(request, SESSION_KEY, reverse("points-import"))
    if gone is not None:
        return gone
    if step == "confirm":
        confirm_moves = request.POST.get("confirm_moves") == "1"
        return import_runs.start(
            request, ImportKind.POINTS, pending, dry_run=False, confirm_moves=confirm_moves
        )  # fmt: skip
    # "remap": the admin changed the mapping or the filter: preview again.
    mapping_form = MappingForm(
        request.POST, columns=_columns(pending) or [], mapping={}, row_filter=[]
    )
    if mapping_form.is_valid():
        pending["mapping"] = mapping_form.mapping()
        pending["row_filter"] = mapping_form.row_filter()
        request.session[SESSION_KEY] = pending
    return import_runs.start(request, ImportKind.POINTS, pending, dry_run=True)


@login_required
@require_GET
def points_import_run(request: HttpRequest, pk: int) -> HttpResponse:
    """A run's progress, then its preview or outcome: for the admin who started it."""
    require(request.user, IMPORT_ANY_POINTS)
    run = get_object_or_404(ImportRun, pk=pk, user=request.user, kind=ImportKind.POINTS)
    return import_runs.run_page(
        request, run, session_key=SESSION_KEY, form_url=reverse("points-import"),
        preview=_preview,
    )  # fmt: skip


def _preview(request: HttpRequest, pending: dict, outcome: dict) -> HttpResponse:
    return import_runs.preview_page(
        request, pending, outcome, columns=_columns(pending),
        mapping_form_class=MappingForm, template="sites/import_preview.html",
    )  # fmt: skip


def _columns(pending: dict) -> list[str] | None:
    try:
        return file_columns(Path(pending["path"]), pending["encoding"])
    except (SourceError, OSError):
        return None


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
