"""The web import of sites: upload, map the columns, preview (a dry run), confirm.

The accessibility import's steps and upload handling (sites.views.accessibility),
over the site pipeline (sites.site_rows, sites.services.site_import). The file
waits in the shared upload folder until confirmed; purge_import_uploads clears
what nobody confirmed.
"""

import shutil
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from actors.capabilities import IMPORT_ANY_SITES, require
from sites.models import Dataset, Site
from sites.services.accessibility import ImportRefused, dataset_for
from sites.services.site_import import import_sites
from sites.site_rows import MAPPABLE_FIELDS, file_columns, open_site_rows
from sites.views.accessibility import (
    UPLOAD_DIR,
    ImportForm,
    MappingForm,
    purge_uploads,
)
from sites.views.accessibility import _store as store_upload
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
    require(request.user, IMPORT_ANY_SITES)
    pending = request.session.get(SESSION_KEY)
    step = request.POST.get("step", "")
    if request.method == "POST" and pending and step in ("confirm", "remap"):
        if step == "confirm":
            return _confirm(request, pending)
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
        return _preview(request, pending)
    return render(request, "sites/site_import_form.html", {"form": form})


def _remap(request: HttpRequest, pending: dict) -> HttpResponse:
    mapping_form = SiteMappingForm(
        request.POST, columns=_columns(pending) or [], mapping={}, row_filter=[]
    )
    if mapping_form.is_valid():
        pending["mapping"] = mapping_form.mapping()
        pending["row_filter"] = mapping_form.row_filter()
        request.session[SESSION_KEY] = pending
    return _preview(request, pending)


def _preview(request: HttpRequest, pending: dict) -> HttpResponse:
    outcome = _run(request, pending, dry_run=True)
    columns = _columns(pending)
    if columns is not None:
        outcome["mapping_form"] = SiteMappingForm(
            columns=columns,
            mapping=outcome.get("mapping") or pending["mapping"],
            row_filter=pending["row_filter"],
        )
        outcome["columns"] = columns
    outcome["dataset_key"] = pending["new_dataset"] or str(
        Dataset.objects.filter(pk=pending["dataset"]).first() or ""
    )
    return render(request, "sites/site_import_preview.html", outcome)


def _columns(pending: dict) -> list[str] | None:
    try:
        return file_columns(Path(pending["path"]), pending["encoding"])
    except (SourceError, OSError):
        return None


def _dataset(pending: dict) -> Dataset:
    found = Dataset.objects.filter(pk=pending["dataset"]).first()
    return found or dataset_for(pending["new_dataset"] or "", pending["title"])


def _run(request: HttpRequest, pending: dict, *, dry_run: bool) -> dict:
    """All or nothing unless `partial`; a preview always lists every rejected row."""
    partial = pending.get("partial", False)
    try:
        dataset = _dataset(pending)
        with open_site_rows(
            Path(pending["path"]),
            pending["mapping"],
            row_filter=pending["row_filter"],
            encoding=pending["encoding"],
        ) as reading:
            dataset.mapping = pending["mapping"]
            dataset.row_filter = pending["row_filter"]
            result = import_sites(
                reading.rows(), dataset=dataset, acting_user=request.user,
                partial=partial or dry_run, dry_run=dry_run,
                count_skipped=lambda: reading.skipped,
            )  # fmt: skip
            ignored, effective = reading.ignored_columns, reading.mapping
    except (SourceError, PermissionDenied) as exc:
        return {"error": str(exc)}
    except ImportRefused as refused:
        return {
            "error": _("Import refused, nothing was changed: %(n)s rows rejected.")
            % {"n": refused.result.rejected_count}
        }
    rows = result.created + result.updated + result.unchanged + result.rejected_count
    return {
        "result": result, "rows": rows, "partial": partial,
        "blocked": bool(result.rejected_count) and not partial,
        "ignored_columns": ignored, "mapping": effective,
    }  # fmt: skip


def _confirm(request: HttpRequest, pending: dict) -> HttpResponse:
    path = Path(pending["path"])
    if UPLOAD_DIR not in path.parents or not path.exists():
        request.session.pop(SESSION_KEY, None)
        messages.error(request, _("The uploaded file has expired; upload it again."))
        return redirect("sites:import")
    outcome = _run(request, pending, dry_run=False)
    if "error" in outcome:
        messages.error(request, outcome["error"])
    else:
        messages.success(
            request,
            _("Import done: %(summary)s.") % {"summary": outcome["result"].summary()},
        )
    request.session.pop(SESSION_KEY, None)
    shutil.rmtree(path.parent, ignore_errors=True)
    return redirect("sites:import")
