"""The one set of intervention filters: the list page, the API and the exports."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from interventions.models import Intervention, InterventionStatus, Theme
from territory.managers import ancestor_paths
from territory.models import Territory

# Whole numbers in the range the database and `datetime` hold: a float or a huge
# number is a 400 naming the parameter (it was an OverflowError, a 500).
ID_RANGE = {"min_value": 1, "max_value": 2**31 - 1}
YEAR_RANGE = {"min_value": 1900, "max_value": 2100}


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


# The list's search box: words found in any of these (its exports search alike).
SEARCH_FIELDS = (
    "title",
    "goals",
    "lead_operator__name",
    "territory__name",
    "territory__code",
)


class InterventionFilter(django_filters.FilterSet):
    theme = django_filters.ChoiceFilter(
        label=_("theme"), choices=Theme.choices, method="filter_theme"
    )
    status = django_filters.ChoiceFilter(
        label=_("status"), choices=InterventionStatus.choices
    )
    operator = IntegerFilter(
        label=_("organization (lead, partner or pilot)"),
        method="filter_operator",
        **ID_RANGE,
    )
    territory = django_filters.CharFilter(
        label=_("territory (INSEE code)"), method="filter_territory"
    )
    site = IntegerFilter(label=_("site"), field_name="sites", **ID_RANGE)
    year = IntegerFilter(label=_("year"), method="filter_year", **YEAR_RANGE)

    class Meta:
        model = Intervention
        fields = ("theme", "status", "operator", "territory", "site", "year")

    def filter_theme(self, queryset, name, value):
        return queryset.filter(themes__contains=[value])

    def filter_operator(self, queryset, name, value):
        return queryset.filter(
            Q(lead_operator=value) | Q(partners=value) | Q(pilots=value)
        ).distinct()

    def filter_territory(self, queryset, name, value):
        """Interventions whose territory lies inside the given one, or contains it
        (a département-wide action also concerns each of its communes)."""
        territory = (
            Territory.objects.filter(code__iexact=value)
            .exclude(level="epci")
            .order_by("-path")
            .first()
        )
        if territory is None:
            return queryset.none()
        return queryset.filter(
            Q(territory__path__startswith=territory.path)
            | Q(territory__path__in=ancestor_paths(territory.path))
        )

    def filter_year(self, queryset, name, value):
        return queryset.active_in(int(value))
