from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lib.free_text import validate_free_text
from sites.managers import AccessibilityPointQuerySet, RestrictedZoneQuerySet
from territory.mixins import InCommune


class AccessibilityKind(models.TextChoices):
    DISABLED_PARKING = (
        "disabled_parking",
        _("parking space for people with reduced mobility"),
    )


class PointStatus(models.TextChoices):
    REPORTED = "reported", _("reported")
    VERIFIED = "verified", _("verified")
    REMOVED = "removed", _("removed")


class PointSource(models.TextChoices):
    VOLUNTEER = "volunteer", _("volunteer")
    MUNICIPALITY = "municipality", _("municipality")
    OPEN_DATA = "open_data", _("open-data import")


class Surface(models.TextChoices):
    UNKNOWN = "unknown", _("unknown")
    ASPHALT = "asphalt", _("asphalt")
    PAVING = "paving", _("paving stones")
    GRAVEL = "gravel", _("gravel")
    OTHER = "other", _("other")


class AccessibilityPoint(InCommune):
    """A parking space reserved for people with reduced mobility (kinds can grow)."""

    free_text_fields = ("address", "details", "domain")

    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=AccessibilityKind.choices,
        default=AccessibilityKind.DISABLED_PARKING,
    )
    point = models.PointField(_("location"), srid=settings.GEO_SRID)
    spaces = models.PositiveSmallIntegerField(_("number of spaces"), default=1)
    length_m = models.DecimalField(
        _("length (m)"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    width_m = models.DecimalField(
        _("width (m)"), max_digits=4, decimal_places=2, null=True, blank=True
    )
    surface = models.CharField(
        _("surface"), max_length=10, choices=Surface.choices, default=Surface.UNKNOWN
    )
    open_air = models.BooleanField(_("open air"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    details = models.CharField(_("location details"), max_length=255, blank=True)
    domain = models.CharField(
        _("domain (public or private road)"), max_length=40, blank=True
    )
    created_year = models.PositiveSmallIntegerField(
        _("year created"), null=True, blank=True
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=PointStatus.choices,
        default=PointStatus.REPORTED,
    )
    source = models.CharField(
        _("source"),
        max_length=14,
        choices=PointSource.choices,
        default=PointSource.VOLUNTEER,
    )
    dataset = models.ForeignKey(
        "sites.Dataset",
        verbose_name=_("dataset"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="points",
    )
    source_id = models.CharField(
        _("identifier at the source"), max_length=80, blank=True
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Indexed: its maximum keys the cached aggregate tiles (maps.tiles.render).
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    objects = AccessibilityPointQuerySet.as_manager()

    class Meta:
        verbose_name = _("accessibility point")
        verbose_name_plural = _("accessibility points")
        ordering = ["commune", "address", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "source_id"],
                condition=~Q(source_id=""),
                name="accessibility_point_dataset_source_id",
            )
        ]

    def __str__(self) -> str:
        return self.address or self.source_id or f"#{self.pk}"

    def clean(self) -> None:
        validate_free_text(self, *self.free_text_fields)


class ParkingRules(models.Model):
    """A commune's local rules for disabled parking."""

    free_text_fields = ("notes",)

    commune = models.OneToOneField(
        "territory.Territory", verbose_name=_("commune"), on_delete=models.CASCADE, related_name="parking_rules",
        limit_choices_to={"level": "commune"},
    )  # fmt: skip
    free_of_charge = models.BooleanField(_("free of charge"), null=True, blank=True)
    max_duration_minutes = models.PositiveIntegerField(
        _("maximum duration (minutes)"), null=True, blank=True
    )
    card_required = models.BooleanField(
        _("disability parking card (CMI) required"), default=True
    )
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("disabled parking rules")
        verbose_name_plural = _("disabled parking rules")

    def scope_path(self) -> str:
        return self.commune.path

    def clean(self) -> None:
        validate_free_text(self, *self.free_text_fields)


class RestrictedZone(InCommune):
    """A restricted traffic zone (pedestrian area, low-emission zone...) and its rules."""

    free_text_fields = ("name", "rules")

    name = models.CharField(_("name"), max_length=150)
    geom = models.MultiPolygonField(_("area"), srid=settings.GEO_SRID)
    disabled_access = models.CharField(
        _("access for disabled drivers"), max_length=12,
        choices=[("allowed", _("allowed")), ("with_card", _("with the card")), ("forbidden", _("forbidden"))],
        default="with_card",
    )  # fmt: skip
    rules = models.TextField(_("rules"), blank=True, max_length=2000)

    objects = RestrictedZoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("restricted traffic zone")
        verbose_name_plural = _("restricted traffic zones")
        constraints = [
            models.CheckConstraint(
                condition=Q(geom__isvalid=True), name="restricted_zone_geom_valid"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        validate_free_text(self, *self.free_text_fields)
