"""A large export built by a background job, downloadable by the user who asked."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    RUNNING = "running", _("in progress")
    DONE = "done", _("ready")
    FAILED = "failed", _("failed")
    EXPIRED = "expired", _("expired (file deleted)")


class ExportDataset(models.TextChoices):
    SITES = "sites", _("sites")
    INTERVENTIONS = "interventions", _("interventions")


class SiteExport(models.Model):
    """The query string is kept, not the rows: the job reads through `visible_to`
    for the same user, so the file holds what that user sees when it runs."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="site_exports",
    )
    dataset = models.CharField(
        _("data"), max_length=16, choices=ExportDataset.choices, default="sites"
    )
    format = models.CharField(_("format"), max_length=8)
    query = models.TextField(_("filters"), blank=True)
    language = models.CharField(_("language"), max_length=8)
    status = models.CharField(
        _("status"), max_length=8, choices=ExportStatus.choices, default="pending"
    )
    rows_total = models.PositiveIntegerField(_("rows to write"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.dataset} {self.format} #{self.pk}"

    @property
    def percent(self) -> int:
        return round(100 * self.rows_done / self.rows_total) if self.rows_total else 0
