"""Large exports built in the background: the user's own jobs, progress and download,
for the user who asked only (another user gets a 404, as for an object out of scope)."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from actors.audit import record
from lib import listing
from sites.jobs import export_file
from sites.models import ExportStatus, SiteExport

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
}
BACK = {"sites": "sites:list", "interventions": "interventions:list"}


@require_GET
@login_required
def export_list(request: HttpRequest) -> HttpResponse:
    """The user's own export jobs, newest first, with their state and link."""
    jobs = SiteExport.objects.filter(user=request.user)
    page = listing.paginate(request, jobs)
    context = {
        "page_obj": page,
        "exports": page.object_list,
        "retention_days": settings.EXPORT_RETENTION_DAYS,
    }
    return render(request, "sites/export_list.html", context)


@require_GET
@login_required
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    export = get_object_or_404(SiteExport, pk=pk, user=request.user)
    finished = export.status not in (ExportStatus.PENDING, ExportStatus.RUNNING)
    context = {
        "export": export,
        "finished": finished,
        "back": BACK.get(export.dataset, "sites:list"),
        "retention_days": settings.EXPORT_RETENTION_DAYS,
    }
    return render(request, "sites/export_status.html", context)


@require_GET
@login_required
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    export = get_object_or_404(
        SiteExport, pk=pk, user=request.user, status=ExportStatus.DONE
    )
    path = export_file(export)
    if not path.exists():
        raise Http404
    record(
        f"{export.dataset}.export_downloaded",
        actor=request.user,
        request=request,
        format=export.format,
        export=export.pk,
    )
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"{export.dataset}.{export.format}",
        content_type=CONTENT_TYPES[export.format],
    )
