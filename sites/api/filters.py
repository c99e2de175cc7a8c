import django_filters

from sites.models import Site, SiteKind, SiteStatus
from sites.models.site import ConditionStatus
from territory.models import Territory


class SiteFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=SiteStatus.choices)
    kind = django_filters.MultipleChoiceFilter(choices=SiteKind.choices)
    territory = django_filters.CharFilter(
        method="filter_territory", label="INSEE code (commune, département, région)"
    )
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte"
    )
    water_status = django_filters.ChoiceFilter(choices=ConditionStatus.choices)
    toilets_status = django_filters.ChoiceFilter(choices=ConditionStatus.choices)
    electricity_status = django_filters.ChoiceFilter(choices=ConditionStatus.choices)
    waste_status = django_filters.ChoiceFilter(choices=ConditionStatus.choices)

    class Meta:
        model = Site
        fields = ("status", "kind", "territory", "updated_since")

    def filter_territory(self, queryset, name, value):
        # Codes repeat across levels (11, 93): the deepest level with this code wins.
        territory = (
            Territory.objects.filter(code__iexact=value)
            .exclude(level="epci")
            .order_by("-path")
            .first()
        )
        return queryset.within(territory) if territory else queryset.none()
