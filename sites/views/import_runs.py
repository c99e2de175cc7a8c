"""The page following a web import run (sites.import_jobs): its progress while the
worker reads the file, then the preview, or the import's outcome.

Shared by the accessibility points' and the sites' imports; each gives its own
preview page, form address and session key."""

import datetime
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sites.import_jobs import outcome_context, queue_import, upload_exists
from sites.models import Dataset, ImportRun
from sites.models.export import ExportStatus

# A run still waiting after this long has no worker to take it (none running?).
UNCLAIMED = datetime.timedelta(minutes=1)

Preview = Callable[[HttpRequest, dict, dict], HttpResponse]


def start(
    request: HttpRequest,
    kind: str,
    pending: dict,
    *,
    dry_run: bool,
    confirm_moves: bool = False,
) -> HttpResponse:
    """Queue the run and send the admin to its page."""
    run = queue_import(
        request.user, kind, pending, dry_run=dry_run, confirm_moves=confirm_moves
    )
    return redirect(reverse(RUN_URLS[kind], args=[run.pk]))


def expired(
    request: HttpRequest, session_key: str, form_url: str
) -> HttpResponse | None:
    """None while the upload is there; else the form again, saying why."""
    pending = request.session.get(session_key)
    if pending and upload_exists(pending):
        return None
    request.session.pop(session_key, None)
    messages.error(request, _("The uploaded file has expired; upload it again."))
    return redirect(form_url)


def run_page(
    request: HttpRequest,
    run: ImportRun,
    *,
    session_key: str,
    form_url: str,
    preview: Preview,
) -> HttpResponse:
    if not run.finished or run.status == ExportStatus.FAILED:
        waited = timezone.now() - run.created_at
        context = {
            "run": run,
            "form_url": form_url,
            # No worker took it: say so rather than refresh forever in silence.
            "unclaimed": run.status == ExportStatus.PENDING and waited > UNCLAIMED,
        }
        return render(request, "sites/import_run.html", context)
    outcome = outcome_context(run)
    if run.dry_run:
        return preview(request, run.pending, outcome)
    if outcome.get("moves_refused"):
        # The same preview, with the box to tick; the message says why.
        messages.error(request, outcome.pop("error"))
        return preview(request, run.pending, outcome)
    if "error" in outcome:
        messages.error(request, outcome["error"])
    else:
        summary = outcome["result"].summary()
        messages.success(request, _("Import done: %(summary)s.") % {"summary": summary})
    pending = request.session.get(session_key)
    if pending and pending.get("path") == run.pending.get("path"):
        request.session.pop(session_key, None)
    return redirect(form_url)


def preview_page(
    request: HttpRequest,
    pending: dict,
    outcome: dict,
    *,
    columns: list[str] | None,
    mapping_form_class,
    template: str,
) -> HttpResponse:
    """The preview: counts, rejected rows, and the mapping step with the file's columns."""
    if columns is not None:
        outcome["mapping_form"] = mapping_form_class(
            columns=columns,
            mapping=outcome.get("mapping") or pending["mapping"],
            row_filter=pending["row_filter"],
        )
        outcome["columns"] = columns
    outcome["dataset_key"] = pending["new_dataset"] or str(
        Dataset.objects.filter(pk=pending["dataset"]).first() or ""
    )
    return render(request, template, outcome)


RUN_URLS = {"points": "points-import-run", "sites": "sites:import-run"}
