"""Background jobs of the sites app: large XLSX and GeoPackage exports.

The job reads through the same door as the request (`visible_to` of the user who
asked, SiteFilter on the same query string) and writes under PRIVATE_FILES_ROOT,
never served directly: sites/views/export.py hands the file to that user only.
"""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone, translation
from procrastinate.contrib.django import app

from actors.mail import run_pending_jobs
from sites.api.filters import SiteFilter
from sites.export import export_fields, export_rows, sites_gpkg, to_xlsx
from sites.models import ExportStatus, Site, SiteExport

PROGRESS_EVERY = 500


def queue_export(user, kind: str, params, matched: int) -> SiteExport:
    query = params.copy()
    query.pop("format_type", None)
    export = SiteExport.objects.create(
        user=user,
        format=kind,
        query=query.urlencode(),
        language=translation.get_language() or settings.LANGUAGE_CODE,
        rows_total=matched,
    )
    build_export.defer(export_id=export.pk)
    if settings.MAIL_WORKER_ON_COMMIT:  # tests: the worker runs in-process
        transaction.on_commit(run_pending_jobs)
    return export


def export_file(export: SiteExport):
    return settings.PRIVATE_FILES_ROOT / "exports" / export.file_name


@app.task(name="sites.export")
async def build_export(*, export_id: int) -> None:
    await sync_to_async(write_export)(export_id)


def write_export(export_id: int) -> None:
    export = SiteExport.objects.select_related("user").get(pk=export_id)
    SiteExport.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING)
    try:
        with translation.override(export.language):
            content = _content(export)
    except Exception:
        SiteExport.objects.filter(pk=export.pk).update(status=ExportStatus.FAILED)
        raise
    folder = settings.PRIVATE_FILES_ROOT / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    export.file_name = f"sites-{export.pk}.{export.format}"
    (folder / export.file_name).write_bytes(content)
    export.status = ExportStatus.DONE
    export.finished_at = timezone.now()
    export.rows_done = export.rows_total
    export.save(update_fields=["file_name", "status", "finished_at", "rows_done"])


def _sites(export: SiteExport) -> QuerySet:
    sites = (
        Site.objects.visible_to(export.user)
        .select_related("commune")
        .prefetch_related("procedures")
    )
    return SiteFilter(QueryDict(export.query), queryset=sites).qs.order_by("pk")


def _content(export: SiteExport) -> bytes:
    user, sites = export.user, _sites(export)
    total = sites.count()
    SiteExport.objects.filter(pk=export.pk).update(rows_total=total)
    fields = export_fields(user)
    rows = export_rows(
        sites.iterator(chunk_size=1000), fields, user, export.format == "xlsx"
    )
    counted = _counting(export.pk, rows)
    return (
        to_xlsx(counted, fields)
        if export.format == "xlsx"
        else sites_gpkg(counted, fields)
    )


def _counting(export_id: int, rows):
    """Pass the rows on, recording progress for the status page."""
    for done, row in enumerate(rows, start=1):
        if done % PROGRESS_EVERY == 0:
            SiteExport.objects.filter(pk=export_id).update(rows_done=done)
        yield row
