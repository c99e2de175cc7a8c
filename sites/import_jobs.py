"""Web imports run by the background worker: the uploaded file, the run queued for
it (a preview, then the import itself), its progress and its outcome.

A file of 100,000 rows takes longer to read than a request may last (gunicorn's
timeout), so neither the preview nor the import runs in the request: the page
follows the run (sites.views.import_runs). Uploads live under PRIVATE_FILES_ROOT,
where the app and the worker both reach them (the app's unit has a private /tmp).
"""

import dataclasses
import functools
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from procrastinate.contrib.django import app

from actors.mail import run_pending_jobs
from sites.importers import open_rows
from sites.models import Dataset, ImportKind, ImportRun
from sites.models.export import ExportStatus
from sites.services.accessibility import (
    ImportRefused,
    ImportResult,
    Move,
    dataset_for,
    import_points,
)
from sites.services.site_import import SiteImportResult, import_sites
from sites.site_rows import open_site_rows
from territory.sources import SourceError

# Progress is written at most this often (seconds): one UPDATE, not one per batch.
PROGRESS_EVERY_SECONDS = 1.0


def upload_dir() -> Path:
    return settings.PRIVATE_FILES_ROOT / "uploads"


def store_upload(upload) -> Path:
    """Under its own folder, with its own name: messages name the file the admin sent."""
    folder = upload_dir() / uuid.uuid4().hex
    folder.mkdir(mode=0o700, parents=True)
    name = Path(upload.name).name
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[-120:]
    path = folder / safe.lstrip(".")
    with path.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return path


def upload_exists(pending: dict) -> bool:
    path = Path(pending["path"])
    return upload_dir() in path.parents and path.exists()


def purge_uploads(max_age_hours: int | None = None) -> int:
    """Delete uploads left unconfirmed for longer than IMPORT_UPLOAD_MAX_AGE_HOURS."""
    hours = (
        settings.IMPORT_UPLOAD_MAX_AGE_HOURS if max_age_hours is None else max_age_hours
    )
    folder = upload_dir()
    if not folder.exists():
        return 0
    cutoff = time.time() - hours * 3600
    purged = 0
    for entry in folder.iterdir():
        if entry.stat().st_mtime < cutoff:
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            purged += 1
    return purged


def queue_import(
    user, kind: str, pending: dict, *, dry_run: bool, confirm_moves: bool = False
) -> ImportRun:
    run = ImportRun.objects.create(
        user=user,
        kind=kind,
        pending=pending,
        dry_run=dry_run,
        confirm_moves=confirm_moves,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    import_file.defer(run_id=run.pk)
    if settings.MAIL_WORKER_ON_COMMIT:  # tests: the worker runs in-process
        transaction.on_commit(run_pending_jobs)
    return run


@app.task(name="sites.import")
async def import_file(*, run_id: int) -> None:
    await sync_to_async(run_import)(run_id)


def run_import(run_id: int) -> None:
    run = ImportRun.objects.select_related("user").get(pk=run_id)
    ImportRun.objects.filter(pk=run.pk).update(status=ExportStatus.RUNNING)
    progress = _ProgressWriter(run.pk)
    try:
        with translation.override(run.language):
            outcome = RUNNERS[run.kind](run, progress)
    except Exception:
        ImportRun.objects.filter(pk=run.pk).update(
            status=ExportStatus.FAILED, finished_at=timezone.now()
        )
        raise
    finally:
        progress.close()
    if not run.dry_run and not outcome.get("moves_refused"):
        # Imported (or refused): the file is not needed again.
        shutil.rmtree(Path(run.pending["path"]).parent, ignore_errors=True)
    run.outcome, run.status, run.finished_at = (
        outcome,
        ExportStatus.DONE,
        timezone.now(),
    )
    run.rows_done = outcome.get("rows", run.rows_done)
    run.save(update_fields=["outcome", "status", "finished_at", "rows_done"])


class _ProgressWriter:
    """Rows read so far, written on a connection of its own: the import's own
    transaction shows nothing to the status page until it ends."""

    def __init__(self, run_id: int):
        self.run_id = run_id
        self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        self.last = 0.0

    def __call__(self, done: int) -> None:
        if time.monotonic() - self.last < PROGRESS_EVERY_SECONDS:
            return
        self.last = time.monotonic()
        with self.connection.cursor() as cursor:
            cursor.execute(
                "UPDATE sites_importrun SET rows_done = %s WHERE id = %s",
                [done, self.run_id],
            )

    def close(self) -> None:
        self.connection.close()


def _dataset(pending: dict) -> Dataset:
    if pending["dataset"]:
        found = Dataset.objects.filter(pk=pending["dataset"]).first()
        if found is not None:
            return found
    return dataset_for(pending["new_dataset"] or "", pending["title"])


def _run_points(run: ImportRun, progress: Callable[[int], None]) -> dict:
    importer = functools.partial(
        import_points, source=run.pending["source"], confirm_moves=run.confirm_moves
    )
    return _read_and_import(run, open_rows, importer, progress)


def _run_sites(run: ImportRun, progress: Callable[[int], None]) -> dict:
    return _read_and_import(run, open_site_rows, import_sites, progress)


def _read_and_import(run: ImportRun, open_reader, importer, progress) -> dict:
    """All or nothing unless `partial`; a preview always lists every rejected row."""
    pending, dry_run = run.pending, run.dry_run
    partial = pending.get("partial", False)
    try:
        dataset = _dataset(pending)
        with open_reader(
            Path(pending["path"]),
            pending["mapping"],
            row_filter=pending["row_filter"],
            encoding=pending["encoding"],
        ) as reading:
            dataset.mapping = pending["mapping"]
            dataset.row_filter = pending["row_filter"]
            result = importer(
                reading.rows(), dataset=dataset, acting_user=run.user,
                partial=partial or dry_run, dry_run=dry_run, progress=progress,
                count_skipped=lambda: reading.skipped,
            )  # fmt: skip
            ignored, effective = reading.ignored_columns, reading.mapping
    except (SourceError, PermissionDenied) as exc:
        return {"error": str(exc)}
    except ImportRefused as refused:
        if refused.result.moves_refused:
            message = _("Import refused, nothing was changed: %(n)s points would move; tick the box to confirm the moves.")  # fmt: skip
            return {
                "error": message % {"n": refused.result.move_count},
                "moves_refused": True,
                **_counts(refused.result, partial),
            }
        return {
            "error": _("Import refused, nothing was changed: %(n)s rows rejected.")
            % {"n": refused.result.rejected_count}
        }
    return {
        **_counts(result, partial),
        "ignored_columns": ignored,
        "mapping": effective,
    }


RUNNERS: dict[str, Callable[[ImportRun, Callable[[int], None]], dict]] = {
    ImportKind.POINTS: _run_points,
    ImportKind.SITES: _run_sites,
}


def _counts(result: ImportResult, partial: bool) -> dict:
    rows = result.created + result.updated + result.unchanged + result.rejected_count
    return {
        "result": dataclasses.asdict(result),
        "rows": rows,
        "partial": partial,
        "blocked": bool(result.rejected_count) and not partial,
    }


def outcome_context(run: ImportRun) -> dict:
    """The finished run's outcome as the preview page reads it (result objects)."""
    outcome = dict(run.outcome or {})
    stored = outcome.get("result")
    if stored is not None:
        kind = SiteImportResult if run.kind == ImportKind.SITES else ImportResult
        moves = [Move(**move) for move in stored.get("moves", [])]
        outcome["result"] = kind(**{**stored, "moves": moves})
    return outcome
