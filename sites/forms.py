from django import forms
from django.conf import settings
from django.contrib.gis.geos import Point
from django.utils.translation import gettext_lazy as _
from leaflet.forms.widgets import LeafletWidget

from actors.models import Organization
from lib.free_text import ConfirmNamesMixin
from sites.models import Site, SiteNote, SiteProcedure, SiteStatus

EDITABLE_FIELDS = (
    "name", "point", "footprint", "address", "address_details", "kind", "opened_on", "declared_on",
    "land_owner_type", "people", "households", "women", "minors", "minors_0_3", "minors_3_6",
    "minors_6_12", "minors_12_18", "minors_in_school", "population_date", "population_source",
    "water", "toilets", "electricity", "waste", "pests", "fire_prevention",
)  # fmt: skip
SITE_SECTIONS = (
    (_("The place"), _("Where the site is and what it is."),
     ("name", "point", "longitude", "latitude", "footprint", "address", "address_details",
      "kind", "land_owner_type")),
    (_("Dates"), _("When people settled here and when the site was reported."),
     ("opened_on", "declared_on")),
    (_("Population"), _("Counts only, estimated if need be; say where they come from."),
     ("people", "households", "women", "minors", "minors_0_3", "minors_3_6", "minors_6_12",
      "minors_12_18", "minors_in_school", "population_date", "population_source")),
    (_("Living conditions"), _("Access to water, toilets, electricity; waste, pests, fire."),
     ("water", "toilets", "electricity", "waste", "pests", "fire_prevention")),
)  # fmt: skip
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CoordinatesMixin(forms.Form):
    """A `point` map field that typed coordinates may set instead.

    Without a pointer (keyboard, screen reader), coordinates place the point; the
    map script (sites/static/sites/place_point.js) keeps both in step.
    """

    longitude = forms.FloatField(
        label=_("or longitude (WGS84)"), required=False, min_value=-180, max_value=180
    )
    latitude = forms.FloatField(
        label=_("and latitude (WGS84)"), required=False, min_value=-90, max_value=90
    )
    missing_point_message = _("Place the point on the map or give its coordinates.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].required = False

    def clean(self):
        cleaned = super().clean()
        lon, lat = cleaned.get("longitude"), cleaned.get("latitude")
        if (lon is None) != (lat is None):
            self.add_error(
                "latitude" if lat is None else "longitude",
                _("Give both longitude and latitude."),
            )
        elif lon is not None:
            cleaned["point"] = Point(lon, lat, srid=settings.GEO_SRID)
            if "point" not in self.changed_data:
                self.changed_data.append("point")
        if not cleaned.get("point") and "point" not in self.errors:
            self.add_error("point", self.missing_point_message)
        return cleaned


class SiteForm(ConfirmNamesMixin, CoordinatesMixin, forms.ModelForm):
    """Declare or update a site. `version` carries the version the user started from."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    confirm_nearby = forms.BooleanField(
        label=_("I checked: this is not one of the nearby sites"), required=False
    )
    field_order = ["name", "point", "longitude", "latitude"]
    missing_point_message = _("Place the site on the map or give its coordinates.")

    class Meta:
        model = Site
        fields = EDITABLE_FIELDS
        widgets = {
            "point": LeafletWidget(attrs={"geom_type": "Point"}),
            "footprint": LeafletWidget(attrs={"geom_type": "MultiPolygon"}),
            "opened_on": DATE_INPUT,
            "declared_on": DATE_INPUT,
            "population_date": DATE_INPUT,
            "address_details": forms.Textarea(attrs={"rows": 3}),
        }

    def changed_values(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in EDITABLE_FIELDS
        }

    def sections(self) -> list[tuple[str, str, list]]:
        """(heading, hint, bound fields) of each part of the page, in order."""
        return [
            (str(title), str(hint), [self[n] for n in names if n in self.fields])
            for title, hint, names in SITE_SECTIONS
        ]

    def other_fields(self) -> list:
        """Fields outside the sections (confirmations, version), in form order."""
        placed = {n for _t, _h, names in SITE_SECTIONS for n in names}
        return [field for field in self if field.name not in placed]


class CloseForm(ConfirmNamesMixin, forms.Form):
    # No preselected value: closing "by court decision" must be a choice, not a default.
    status = forms.ChoiceField(
        label=_("How was it closed?"),
        choices=[("", _("Choose how it was closed"))]
        + [c for c in SiteStatus.choices if c[0] != "open"],
    )
    closed_on = forms.DateField(label=_("closed on"), widget=DATE_INPUT)
    reason = forms.CharField(
        label=_("closure reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    housed = forms.IntegerField(label=_("people housed"), min_value=0, required=False)
    sheltered = forms.IntegerField(
        label=_("people sheltered"), min_value=0, required=False
    )
    no_solution = forms.IntegerField(
        label=_("people without solution"), min_value=0, required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class NoteForm(ConfirmNamesMixin, forms.ModelForm):
    class Meta:
        model = SiteNote
        fields = ("text", "visible_to")
        widgets = {
            "text": forms.Textarea(attrs={"rows": 3}),
            "visible_to": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only organizations the author can see may be chosen.
        self.fields["visible_to"].queryset = Organization.objects.visible_to(user)


class ProcedureForm(ConfirmNamesMixin, forms.ModelForm):
    class Meta:
        model = SiteProcedure
        fields = ("kind", "started_on", "decision_on", "summary")
        widgets = {
            "started_on": DATE_INPUT,
            "decision_on": DATE_INPUT,
            "summary": forms.Textarea(attrs={"rows": 2}),
        }
