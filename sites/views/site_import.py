"""The web import of sites: upload, map the columns, preview (a dry run), confirm.

The accessibility import's steps, over the site pipeline (sites.site_rows,
sites.services.site_import), run in the background (sites.import_jobs). The file
waits in the upload folder until confirmed; purge_import_uploads clears what
nobody confirmed.
"""

from pathlib import Path

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from actors.capabilities import IMPORT_ANY_SITES, require
from sites.import_jobs import purge_uploads, store_upload
from sites.models import Dataset, ImportKind, ImportRun, Site
from sites.site_rows import MAPPABLE_FIELDS, file_columns
from sites.views import import_runs
from sites.views.accessibility import ImportForm, MappingForm
from territory.sources import SourceError

SESSION_KEY = "sites_import"
ALLOWED_SUFFIXES = {".csv", ".xlsx", ".geojson", ".json", ".gpkg", ".zip", ".gz", ".xz"}
KEY_LABELS = {
    "source_id": gettext_lazy("identifier at the source (required)"),
    "commune_code": gettext_lazy("commune INSEE code"),
    "lon": gettext_lazy("longitude"),
    "lat": gettext_lazy("latitude"),
    "wkt": gettext_lazy("point as WKT, e.g. POINT(2.35 48.85)"),
    "note": gettext_lazy("journal note"),
}


def field_labels() -> dict:
    labels = dict(KEY_LABELS)
    for name in MAPPABLE_FIELDS:
        if name not in labels:
            labels[name] = Site._meta.get_field(name).verbose_name
    return labels


class SiteImportForm(ImportForm):
    file = forms.FileField(
        label=gettext_lazy("File (CSV, Excel XLSX, GeoJSON, GeoPackage)"),
        help_text=gettext_lazy("Also zipped Shapefile, or compressed: .gz, .xz or .zip."),
    )  # fmt: skip
    source = None  # an accessibility point's origin: not a site's

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A dataset of accessibility points keeps its own mapping: not offered here.
        self.fields["dataset"].queryset = Dataset.objects.filter(points=None)
        self.fields["new_dataset"].help_text = _(
            "For example pref92/campements (letters, digits, hyphens)."
        )
        self.fields["dataset"].help_text = _(
            "The file this one is a version of: its sites are matched on their "
            "identifier within this dataset, so importing it again changes only "
            "what changed."
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in ALLOWED_SUFFIXES:
            raise ValidationError(
                _("Unsupported file type: use CSV, XLSX, GeoJSON or GeoPackage.")
            )
        return upload


# The mapping step's fields in groups, each a fieldset with its legend.
MAPPING_GROUPS = (
    (gettext_lazy("Identifier and place"), ("source_id", "commune_code", "lon", "lat", "wkt", "name", "address", "address_details")),
    (gettext_lazy("Kind, status and closure"), ("kind", "status", "land_owner_type", "opened_on", "declared_on", "closed_on", "closure_reason", "housed_count", "sheltered_count", "no_solution_count")),
    (gettext_lazy("Population"), ("people", "households", "women", "minors", "minors_0_3", "minors_3_6", "minors_6_12", "minors_12_18", "minors_in_school", "population_date", "population_source")),
    (gettext_lazy("Living conditions"), ("water", "toilets", "electricity", "waste", "pests", "fire_prevention")),
    (gettext_lazy("Journal"), ("note",)),
)  # fmt: skip


class SiteMappingForm(MappingForm):
    mappable_fields = MAPPABLE_FIELDS

    def __init__(self, *args, **kwargs):
        self.field_labels = field_labels()
        super().__init__(*args, **kwargs)

    def groups(self) -> list[tuple[str, list]]:
        return [
            (str(legend), [self[f"map_{name}"] for name in names])
            for legend, names in MAPPING_GROUPS
        ]


@login_required
@require_http_methods(["GET", "POST"])
def import_sites_view(request: HttpRequest) -> HttpResponse:
    """Upload, map, preview, confirm: the preview and the import run in the
    background (sites.import_jobs), followed on the run's page (site_import_run)."""
    require(request.user, IMPORT_ANY_SITES)
    pending = request.session.get(SESSION_KEY)
    step = request.POST.get("step", "")
    if request.method == "POST" and pending and step in ("confirm", "remap"):
        gone = import_runs.expired(request, SESSION_KEY, reverse("sites:import"))
        if gone is not None:
            return gone
        if step == "confirm":
            return import_runs.start(request, ImportKind.SITES, pending, dry_run=False)
        return _remap(request, pending)
    form = SiteImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        purge_uploads()  # each upload clears those nobody confirmed in time
        data = form.cleaned_data
        dataset = data["dataset"]
        pending = {
            "path": str(store_upload(data["file"])),
            "dataset": dataset.pk,
            "new_dataset": dataset.key if dataset.pk is None else "",
            "title": dataset.title,
            "encoding": data["encoding"] or "utf-8",
            "partial": data["partial"],
            "mapping": dataset.mapping,
            "row_filter": dataset.row_filter,
        }
        request.session[SESSION_KEY] = pending
        return import_runs.start(request, ImportKind.SITES, pending, dry_run=True)
    return render(request, "sites/site_import_form.html", {"form": form})


def _remap(request: HttpRequest, pending: dict) -> HttpResponse:
    mapping_form = SiteMappingForm(
        request.POST, columns=_columns(pending) or [], mapping={}, row_filter=[]
    )
    if mapping_form.is_valid():
        pending["mapping"] = mapping_form.mapping()
        pending["row_filter"] = mapping_form.row_filter()
        request.session[SESSION_KEY] = pending
    return import_runs.start(request, ImportKind.SITES, pending, dry_run=True)


@login_required
@require_GET
def site_import_run(request: HttpRequest, pk: int) -> HttpResponse:
    """A run's progress, then its preview or outcome: for the admin who started it."""
    require(request.user, IMPORT_ANY_SITES)
    run = get_object_or_404(ImportRun, pk=pk, user=request.user, kind=ImportKind.SITES)
    return import_runs.run_page(
        request, run, session_key=SESSION_KEY, form_url=reverse("sites:import"),
        preview=_preview,
    )  # fmt: skip


def _preview(request: HttpRequest, pending: dict, outcome: dict) -> HttpResponse:
    return import_runs.preview_page(
        request, pending, outcome, columns=_columns(pending),
        mapping_form_class=SiteMappingForm, template="sites/site_import_preview.html",
    )  # fmt: skip


def _columns(pending: dict) -> list[str] | None:
    try:
        return file_columns(Path(pending["path"]), pending["encoding"])
    except (SourceError, OSError):
        return None
