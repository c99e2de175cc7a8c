from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from lib.free_text import check_free_text, validate_free_text
from lib.living_conditions import STATUS_BY_FACT, THEMES, statuses
from sites.managers import SiteNoteQuerySet, SiteQuerySet
from territory.mixins import InCommune


class SiteKind(models.TextChoices):
    LAND = "land", _("land")
    BUILDING = "building", _("building / squat")
    ENCAMPMENT = "encampment", _("encampment")
    OTHER = "other", _("other")


class SiteStatus(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED_COURT = "closed_court", _("closed by court decision")
    CLOSED_PREFECTORAL = "closed_prefectoral", _("closed by prefectoral order")
    CLOSED_MUNICIPAL = "closed_municipal", _("closed by municipal order")
    RESORBED = "resorbed", _("resorbed")
    CLOSED_OTHER = "closed_other", _("closed, other reason")


class LandOwnerType(models.TextChoices):
    PUBLIC = "public", _("public")
    PRIVATE = "private", _("private")
    UNKNOWN = "unknown", _("unknown")


class ConditionStatus(models.TextChoices):
    GOOD = "good", _("good")
    TO_IMPROVE = "to_improve", _("to improve")
    BAD = "bad", _("bad")
    UNKNOWN = "unknown", _("unknown")


FACT_LABELS = {
    "network": _("water network"), "standpipe": _("standpipe or tank"), "distant": _("distant point"),
    "sufficient": _("sufficient"), "insufficient": _("insufficient"), "regular": _("regular"),
    "irregular": _("irregular"), "absent": _("absent"), "occasional": _("occasional"),
    "present": _("present"), "equipped": _("equipped"), "partial": _("partial"), "none": _("none"),
}  # fmt: skip
THEME_LABELS = {
    "water": _("water"), "toilets": _("toilets"), "electricity": _("electricity"),
    "waste": _("waste collection"), "pests": _("pests"), "fire_prevention": _("fire prevention"),
}  # fmt: skip
FREE_TEXT_FIELDS = (
    "name",
    "address",
    "address_details",
    "closure_reason",
    "population_source",
)
COUNT_LIMIT = MaxValueValidator(100_000)


def fact_field(theme: str) -> models.CharField:
    choices = [("unknown", _("unknown"))] + [
        (fact, FACT_LABELS[fact]) for fact in STATUS_BY_FACT[theme]
    ]
    return models.CharField(
        THEME_LABELS[theme], max_length=12, choices=choices, default="unknown"
    )


def status_field(theme: str) -> models.CharField:
    return models.CharField(
        format_lazy(_("{theme} status"), theme=THEME_LABELS[theme]),
        max_length=12,
        choices=ConditionStatus.choices,
        default=ConditionStatus.UNKNOWN,
        editable=False,
    )


def count_field(label) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        label, null=True, blank=True, validators=[COUNT_LIMIT]
    )


class Site(InCommune):
    """A place where people live without adequate housing. Counts only, never a person."""

    free_text_fields = FREE_TEXT_FIELDS

    name = models.CharField(_("usual name of the place"), max_length=150, blank=True)
    point = models.PointField(_("location"), srid=settings.GEO_SRID)
    footprint = models.MultiPolygonField(
        _("footprint"), srid=settings.GEO_SRID, null=True, blank=True
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    address_details = models.TextField(
        _("address details"), blank=True, max_length=1000
    )
    kind = models.CharField(
        _("kind"), max_length=12, choices=SiteKind.choices, default=SiteKind.LAND
    )
    status = models.CharField(
        _("status"), max_length=20, choices=SiteStatus.choices, default=SiteStatus.OPEN
    )
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    declared_on = models.DateField(_("declared on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closure_reason = models.TextField(_("closure reason"), blank=True, max_length=1000)
    housed_count = count_field(_("people housed at closure"))
    sheltered_count = count_field(_("people sheltered at closure"))
    no_solution_count = count_field(_("people without solution at closure"))
    land_owner_type = models.CharField(
        _("land owner type"),
        max_length=10,
        choices=LandOwnerType.choices,
        default=LandOwnerType.UNKNOWN,
    )
    people = count_field(_("people"))
    households = count_field(_("households"))
    women = count_field(_("women"))
    minors = count_field(_("minors"))
    minors_0_3 = count_field(_("minors aged 0-3"))
    minors_3_6 = count_field(_("minors aged 3-6"))
    minors_6_12 = count_field(_("minors aged 6-12"))
    minors_12_18 = count_field(_("minors aged 12-18"))
    minors_in_school = count_field(_("minors in school"))
    population_date = models.DateField(
        _("population estimated on"), null=True, blank=True
    )
    population_source = models.CharField(
        _("population source"), max_length=200, blank=True
    )
    water = fact_field("water")
    toilets = fact_field("toilets")
    electricity = fact_field("electricity")
    waste = fact_field("waste")
    pests = fact_field("pests")
    fire_prevention = fact_field("fire_prevention")
    water_status = status_field("water")
    toilets_status = status_field("toilets")
    electricity_status = status_field("electricity")
    waste_status = status_field("waste")
    pests_status = status_field("pests")
    fire_prevention_status = status_field("fire_prevention")
    # The key of an imported site: (dataset, source id), so a re-import updates it.
    dataset = models.ForeignKey(
        "sites.Dataset",
        verbose_name=_("dataset"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sites",
        editable=False,
    )
    source_id = models.CharField(
        _("identifier at the source"), max_length=100, blank=True, editable=False
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = SiteQuerySet.as_manager()

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["-updated_at"]
        permissions = [
            ("close_site", _("Can close and reopen a site")),
            ("see_procedures", _("Can see procedures")),
        ]
        indexes = [models.Index(fields=["status", "kind"], name="site_status_kind")]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "source_id"],
                condition=models.Q(dataset__isnull=False),
                name="site_dataset_source_id",
            )
        ]

    def __str__(self) -> str:
        return self.name or self.address or f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == SiteStatus.OPEN

    def save(self, *args, **kwargs):
        for theme, status in statuses({t: getattr(self, t) for t in THEMES}).items():
            setattr(self, f"{theme}_status", status)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, list] = {}
        for name in FREE_TEXT_FIELDS:
            check_free_text(errors, name, getattr(self, name), self)
        self._check_counts(errors)
        self._check_closure(errors)
        if self.footprint is not None and not self.footprint.valid:
            errors.setdefault("footprint", []).append(
                _("The footprint is not a valid polygon.")
            )
        if errors:
            raise ValidationError(errors)

    def _check_counts(self, errors) -> None:
        def at_most(part: str, whole: str) -> None:
            a, b = getattr(self, part), getattr(self, whole)
            if a is not None and b is not None and a > b:
                label_a, label_b = (
                    self._meta.get_field(part).verbose_name,
                    self._meta.get_field(whole).verbose_name,
                )
                errors.setdefault(part, []).append(
                    _("%(part)s (%(a)s) cannot exceed %(whole)s (%(b)s).")
                    % {"part": label_a, "a": a, "whole": label_b, "b": b}
                )

        for part in ("households", "women", "minors"):
            at_most(part, "people")
        at_most("minors_in_school", "minors")
        bands = [
            getattr(self, f)
            for f in ("minors_0_3", "minors_3_6", "minors_6_12", "minors_12_18")
        ]
        if self.minors is not None and sum(b or 0 for b in bands) > self.minors:
            errors.setdefault("minors", []).append(
                _("The age bands add up to more than the minors.")
            )
        if self.people is not None and not self.population_date:
            errors.setdefault("population_date", []).append(
                _("Give the date of the population estimate.")
            )

    def _check_closure(self, errors) -> None:
        if self.is_open and self.closed_on:
            errors.setdefault("closed_on", []).append(
                _("An open site has no closure date.")
            )
        if not self.is_open and not self.closed_on:
            errors.setdefault("closed_on", []).append(
                _("A closed site needs its closure date.")
            )
        if self.opened_on and self.closed_on and self.closed_on < self.opened_on:
            errors.setdefault("closed_on", []).append(
                _("The closure date is before the opening date.")
            )


class ProcedureKind(models.TextChoices):
    COURT = "court", _("court procedure")
    ADMINISTRATIVE = "administrative", _("administrative procedure")


class SiteProcedure(models.Model):
    """Court or administrative procedure: seen by local admins and above only."""

    free_text_fields = ("summary",)

    site = models.ForeignKey(
        Site,
        verbose_name=_("site"),
        on_delete=models.CASCADE,
        related_name="procedures",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ProcedureKind.choices)
    started_on = models.DateField(_("started on"), null=True, blank=True)
    decision_on = models.DateField(_("decision on"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        ordering = ["started_on", "pk"]

    def clean(self) -> None:
        validate_free_text(self, *self.free_text_fields)

    def scope_path(self) -> str:
        return self.site.scope_path()


class SiteNote(models.Model):
    """A dated journal note; `visible_to` narrows it to chosen organizations."""

    free_text_fields = ("text",)

    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    author_organization = models.ForeignKey(
        "actors.Organization",
        verbose_name=_("author organization"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    written_at = models.DateTimeField(_("written at"), auto_now_add=True)
    text = models.TextField(_("text"), max_length=5000)
    visible_to = models.ManyToManyField(
        "actors.Organization",
        verbose_name=_("visible only to"),
        blank=True,
        related_name="+",
    )

    objects = SiteNoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("journal note")
        verbose_name_plural = _("journal notes")
        ordering = ["-written_at"]

    def clean(self) -> None:
        validate_free_text(self, *self.free_text_fields)

    def scope_path(self) -> str:
        return self.site.scope_path()


class SiteRevision(models.Model):
    """One change of a site: who, when, old -> new per field, and the full state after it."""

    site = models.ForeignKey(
        Site, verbose_name=_("site"), on_delete=models.CASCADE, related_name="revisions"
    )
    version = models.PositiveIntegerField(_("version"))
    at = models.DateTimeField(_("at"), db_index=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
    )
    action = models.CharField(_("action"), max_length=20)
    changes = models.JSONField(_("changes"), default=dict)
    snapshot = models.JSONField(_("state after the change"))

    class Meta:
        verbose_name = _("site revision")
        verbose_name_plural = _("site revisions")
        ordering = ["site", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "version"], name="site_revision_version"
            )
        ]
