"""Forms of the intervention pages: choices narrowed to what the user may see or use."""

from functools import reduce
from operator import or_

from django import forms
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from actors.models import Organization
from actors.roles import Role
from actors.scope import scope_of
from interventions.models import (
    CLOSED_STATUSES,
    REPORT_COUNTS,
    Funding,
    Intervention,
    InterventionNote,
    InterventionReport,
    InterventionStatus,
    Theme,
)
from lib.free_text import ConfirmNamesMixin
from sites.forms import DATE_INPUT
from sites.models import Site
from territory.models import Level, Territory

EDITABLE_FIELDS = (
    "title", "themes", "lead_operator", "partners", "pilots", "territory", "location_kind",
    "sites", "location_text", "started_on", "ended_on", "status", "goals",
)  # fmt: skip
# Beyond this many territories to choose from, communes are left out of the list.
TERRITORY_CHOICES_LIMIT = 400


def writable_territories(user):
    """Territories the user may place an intervention in (EPCI are not scopes)."""
    paths = scope_of(user).write_paths()
    if not paths:
        return Territory.objects.none()
    q = reduce(or_, (Q(path__startswith=p) for p in paths))
    territories = Territory.objects.filter(q).exclude(level=Level.EPCI)
    if territories.count() > TERRITORY_CHOICES_LIMIT:
        territories = territories.exclude(level=Level.COMMUNE)
    return territories.order_by("path")


def operator_choices(user):
    """Contributors lead with their own organization; local admins choose any they see."""
    if scope_of(user).write_paths(Role.LOCAL_ADMIN):
        return Organization.objects.visible_to(user)
    return Organization.objects.filter(pk=getattr(user, "organization_id", None))


class InterventionForm(ConfirmNamesMixin, forms.ModelForm):
    """Create or edit. `version` carries the version the user started from."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    themes = forms.MultipleChoiceField(
        label=capfirst(_("themes")),
        choices=Theme.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    status = forms.ChoiceField(
        label=capfirst(_("status")),
        choices=[c for c in InterventionStatus.choices if c[0] not in CLOSED_STATUSES],
        help_text=_("To mark it completed or stopped, close it from its page."),
    )

    class Meta:
        model = Intervention
        fields = EDITABLE_FIELDS
        widgets = {
            "started_on": DATE_INPUT,
            "ended_on": DATE_INPUT,
            "goals": forms.Textarea(attrs={"rows": 4}),
            "partners": forms.CheckboxSelectMultiple,
            "pilots": forms.CheckboxSelectMultiple,
            "sites": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "sites": _("Sites of your territory, inside the intervention's territory."),
            "location_text": _("Where, when not on listed sites (no personal data)."),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        organizations = Organization.objects.visible_to(user).order_by("name")
        self.fields["lead_operator"].queryset = operator_choices(user)
        self.fields["partners"].queryset = organizations
        self.fields["pilots"].queryset = organizations
        territories = writable_territories(user)
        if self.instance.pk:  # keep the current one even when beyond the user's list
            territories = territories | Territory.objects.filter(
                pk=self.instance.territory_id
            )
        self.fields["territory"].queryset = territories.order_by("path")
        # Linkable: visible sites inside the user's writing scope (where their
        # interventions can be), plus those already linked that they see.
        sites = Site.objects.editable_by(user)
        if self.instance.pk:
            linked = self.instance.sites.visible_to(user).values("pk")
            sites = Site.objects.filter(Q(pk__in=sites.values("pk")) | Q(pk__in=linked))
        self.fields["sites"].queryset = sites.select_related("commune").order_by(
            "commune__name", "name", "pk"
        )
        self.fields["sites"].label_from_instance = _site_label
        if self.instance.pk and self.instance.is_closed:
            self.fields["status"].choices = InterventionStatus.choices

    def changed_values(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name in EDITABLE_FIELDS
        }


def _site_label(site: Site) -> str:
    return f"{site} ({site.commune.name})"


class ReportForm(forms.ModelForm):
    class Meta:
        model = InterventionReport
        fields = ("reported_on", *REPORT_COUNTS)
        widgets = {"reported_on": DATE_INPUT}


class FundingForm(forms.ModelForm):
    class Meta:
        model = Funding
        fields = ("year", "source_kind", "amount_planned", "amount_spent")


class CloseForm(forms.Form):
    status = forms.ChoiceField(
        label=_("How did it end?"),
        # No preselected value: how it ended must be a choice, not a default.
        choices=[("", _("Choose how it ended"))]
        + [c for c in InterventionStatus.choices if c[0] in CLOSED_STATUSES],
    )
    ended_on = forms.DateField(label=capfirst(_("ended on")), widget=DATE_INPUT)
    version = forms.IntegerField(widget=forms.HiddenInput)


class NoteForm(ConfirmNamesMixin, forms.ModelForm):
    class Meta:
        model = InterventionNote
        fields = ("text", "visible_to")
        widgets = {
            "text": forms.Textarea(attrs={"rows": 3}),
            "visible_to": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visible_to"].queryset = Organization.objects.visible_to(user)


class PresenceForm(forms.Form):
    started_on = forms.DateField(
        label=capfirst(_("works there since")), widget=DATE_INPUT
    )
