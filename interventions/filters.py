"""The one set of intervention filters: the list page, the API and the exports."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from interventions.models import Intervention, InterventionStatus, Theme
from territory.managers import ancestor_paths
from territory.models import Territory


class InterventionFilter(django_filters.FilterSet):
    theme = django_filters.ChoiceFilter(
        label=_("theme"), choices=Theme.choices, method="filter_theme"
    )
    status = django_filters.ChoiceFilter(
        label=_("status"), choices=InterventionStatus.choices
    )
    operator = django_filters.NumberFilter(
        label=_("organization (lead, partner or pilot)"), method="filter_operator"
    )
    territory = django_filters.CharFilter(
        label=_("territory (INSEE code)"), method="filter_territory"
    )
    site = django_filters.NumberFilter(label=_("site"), field_name="sites")
    year = django_filters.NumberFilter(label=_("year"), method="filter_year")

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
