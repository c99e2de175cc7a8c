"""Published indicator snapshots: the only figures anonymous visitors ever see."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IndicatorSnapshot(models.Model):
    """A fixed, disclosure-controlled table by département, région and nation."""

    published_on = models.DateField(_("figures as of"), unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    rules = models.JSONField(_("disclosure rules applied"))
    rows = models.JSONField(_("published rows"))
    suppressed = models.JSONField(_("suppressed cells by rule"), default=dict)

    class Meta:
        verbose_name = _("indicator snapshot")
        verbose_name_plural = _("indicator snapshots")
        ordering = ["-published_on"]

    def __str__(self) -> str:
        return self.published_on.isoformat()
