from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class InCommune(models.Model):
    """An object located in a commune, scoped by it: lists filter on `commune__path`.

    Pair with `actors.managers.ScopedQuerySet` (scope_field = "commune") and the
    predicates of `actors.predicates`: a new scoped model gets both doors for free.
    """

    commune = models.ForeignKey(
        "territory.Territory",
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "commune"},
    )

    class Meta:
        abstract = True

    def scope_path(self) -> str:
        return self.commune.path
