from django.db import models
from django.utils.translation import gettext_lazy as _


class Dataset(models.Model):
    """A published file that feeds imports: its rows are keyed on (dataset, source id).

    Two publishers may both number their rows from 1: the dataset keeps their
    points apart. It also remembers how its columns were mapped and which rows
    were kept, so the next import of the same file is proposed the same way.
    """

    publisher = models.SlugField(_("publisher"), max_length=60)
    identifier = models.SlugField(_("dataset identifier"), max_length=100)
    title = models.CharField(_("title"), max_length=200, blank=True)
    # {"address": ["num", "voie"], ...}: model field -> source columns, joined by spaces.
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    # ["TYPE=GIG/GIC", ...]: rows kept when every condition holds.
    row_filter = models.JSONField(_("row filter"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_imported_at = models.DateTimeField(
        _("last imported at"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        ordering = ["publisher", "identifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["publisher", "identifier"], name="dataset_publisher_identifier"
            )
        ]

    def __str__(self) -> str:
        return self.key + (f" ({self.title})" if self.title else "")

    @property
    def key(self) -> str:
        return f"{self.publisher}/{self.identifier}"
