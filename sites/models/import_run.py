"""A web import run by the background worker: a preview (dry run) or the import
itself, with its progress and, once finished, its outcome for the page to show.

A large file takes longer than a request may (gunicorn's timeout): the upload is
stored, the run queued, and the page follows it (sites.import_jobs)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sites.models.export import ExportStatus


class ImportKind(models.TextChoices):
    POINTS = "points", _("accessibility points")
    SITES = "sites", _("sites")


class ImportRun(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        on_delete=models.CASCADE,
        related_name="import_runs",
    )
    kind = models.CharField(_("data"), max_length=8, choices=ImportKind.choices)
    # The upload and the admin's choices: file path, dataset, mapping, row filter,
    # encoding, partial (the session's pending import when the run was queued).
    pending = models.JSONField(_("settings"))
    dry_run = models.BooleanField(_("preview only"), default=True)
    confirm_moves = models.BooleanField(_("moves confirmed"), default=False)
    language = models.CharField(_("language"), max_length=8)
    status = models.CharField(
        _("status"), max_length=8, choices=ExportStatus.choices, default="pending"
    )
    rows_done = models.PositiveIntegerField(_("rows read"), default=0)
    # What the page shows once finished: counts, rejected rows, moves or an error.
    outcome = models.JSONField(_("outcome"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} import #{self.pk}"

    @property
    def finished(self) -> bool:
        return self.status not in (ExportStatus.PENDING, ExportStatus.RUNNING)
