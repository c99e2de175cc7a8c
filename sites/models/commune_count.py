from django.db import models
from django.utils.translation import gettext_lazy as _

from actors.managers import ScopedQuerySet


class SiteCommuneCount(models.Model):
    """Sites and people per commune, kept by PostgreSQL itself: triggers on every
    insert, update, delete and truncate of sites (migration 0010) write the change.

    An aggregate tile without filters sums these rows (35,000 at most) instead of
    every site: the scope is the same (`visible_to`, by commune), the figures too.
    """

    commune = models.OneToOneField(
        "territory.Territory",
        verbose_name=_("commune"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # The commune's département, copied and indexed: tiles at z <= 7 take the
    # communes of their départements by it, with no join (z5 tile of 1,000,000
    # sites, uncached: 45 -> 22 ms in PostGIS on this contended machine).
    departement = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("département"),
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    sites = models.IntegerField(_("sites"), default=0)
    # The sum of the known counts, and how many sites have one: a commune whose
    # sites all have an unknown count has no figure (null), as SUM gives.
    people = models.BigIntegerField(_("people"), default=0)
    people_known = models.IntegerField(_("sites with a known count"), default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("sites of a commune")
        verbose_name_plural = _("sites per commune")

    def __str__(self) -> str:
        return f"{self.commune_id}: {self.sites}"
