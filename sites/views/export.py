"""Large exports built in the background: progress and download, for the user who
asked only (another user gets a 404, as for an object out of scope)."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from actors.audit import record
from sites.export import CONTENT_TYPES
from sites.jobs import export_file
from sites.models import ExportStatus, SiteExport


@require_GET
@login_required
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    export = get_object_or_404(SiteExport, pk=pk, user=request.user)
    finished = export.status in (ExportStatus.DONE, ExportStatus.FAILED)
    return render(
        request, "sites/export_status.html", {"export": export, "finished": finished}
    )


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
        "sites.export_downloaded",
        actor=request.user,
        request=request,
        format=export.format,
        export=export.pk,
    )
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"sites.{export.format}",
        content_type=CONTENT_TYPES[export.format],
    )
