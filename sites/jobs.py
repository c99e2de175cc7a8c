"""Background jobs of the exports: large sites and interventions files, and the purge
of finished files after EXPORT_RETENTION_DAYS.

The job reads through the same door as the request (`visible_to` of the user who
asked, the list's filter on the same query string) and writes under
PRIVATE_FILES_ROOT, never served directly: sites/views/export.py hands the file to
that user only.
"""

import datetime
from collections.abc import Callable

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone, translation
from procrastinate.contrib.django import app

from actors.mail import run_pending_jobs
from sites.api.filters import PLACE_FILTERS, SiteFilter
from sites.export import AS_OF_LIMIT, export_fields, export_rows, sites_gpkg, to_xlsx
from sites.history import past_states
from sites.models import ExportDataset, ExportStatus, Site, SiteExport
from territory.models import without_boundaries

PROGRESS_EVERY = 500


def queue_export(
    user, kind: str, params, matched: int, dataset: str = ExportDataset.SITES
) -> SiteExport:
    query = params.copy()
    query.pop("format_type", None)
    export = SiteExport.objects.create(
        user=user,
        dataset=dataset,
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
    export.refresh_from_db(fields=["rows_total"])  # counted again when it ran
    export.file_name = f"{export.dataset}-{export.pk}.{export.format}"
    (folder / export.file_name).write_bytes(content)
    export.status = ExportStatus.DONE
    export.finished_at = timezone.now()
    export.rows_done = export.rows_total
    export.save(update_fields=["file_name", "status", "finished_at", "rows_done"])


def _sites(export: SiteExport) -> "QuerySet | list[Site]":
    """Today's sites through the list's filter, or with `as_of` the sites placed
    today (place filters) as they were that day, filtered on that state."""
    sites = (
        Site.objects.visible_to(export.user)
        .select_related("commune")
        .defer(*without_boundaries("commune"))
        .prefetch_related("procedures")
    )
    params = QueryDict(export.query)
    day = params.get("as_of")
    if not day:
        return SiteFilter(params, queryset=sites).qs.order_by("pk")
    place = QueryDict(mutable=True)
    for name in PLACE_FILTERS:
        if name in params:
            place.setlist(name, params.getlist(name))
    placed = SiteFilter(place, queryset=sites).qs.order_by("pk")[: AS_OF_LIMIT + 1]
    return past_states(list(placed), datetime.date.fromisoformat(day), params)


# Builders of the other datasets' files, registered by the apps above this one (the
# interventions app registers its own in its AppConfig.ready): sites never imports them.
CONTENT_BUILDERS: dict[str, Callable] = {}


def register_content_builder(dataset: str, builder: Callable) -> None:
    CONTENT_BUILDERS[dataset] = builder


def _content(export: SiteExport) -> bytes:
    """XLSX or GeoPackage (the formats queued), built from the Python rows: typed
    cells and layers. A CSV never waits for a job: PostgreSQL writes it while the
    request streams it (sites.export_sql)."""
    if export.dataset != ExportDataset.SITES:
        return CONTENT_BUILDERS[export.dataset](export, _counting)
    user, sites = export.user, _sites(export)
    total = len(sites) if isinstance(sites, list) else sites.count()
    SiteExport.objects.filter(pk=export.pk).update(rows_total=total)
    fields = export_fields(user)
    chunks = sites if isinstance(sites, list) else sites.iterator(chunk_size=1000)
    rows = export_rows(chunks, fields, user, export.format == "xlsx")
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


def purge_expired_exports(now: datetime.datetime | None = None) -> int:
    """Delete the files of exports finished (or failed) more than
    EXPORT_RETENTION_DAYS ago; their rows stay, marked expired, so the user's page
    says why the link is gone. Returns how many were purged."""
    limit = (now or timezone.now()) - datetime.timedelta(
        days=settings.EXPORT_RETENTION_DAYS
    )
    old = SiteExport.objects.filter(
        Q(finished_at__lt=limit) | Q(finished_at=None, created_at__lt=limit),  # failed
        status__in=[ExportStatus.DONE, ExportStatus.FAILED],
    )
    purged = 0
    for export in old:
        if export.file_name:
            export_file(export).unlink(missing_ok=True)
        export.status, export.file_name = ExportStatus.EXPIRED, ""
        export.save(update_fields=["status", "file_name"])
        purged += 1
    return purged


@app.periodic(cron="17 3 * * *")
@app.task(name="sites.purge_exports", queueing_lock="sites.purge_exports")
async def purge_exports(timestamp: int) -> None:
    await sync_to_async(purge_expired_exports)()
