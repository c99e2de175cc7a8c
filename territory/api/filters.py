import django_filters

from territory.models import Level, Territory


class TerritoryFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Level.choices)
    parent = django_filters.CharFilter(
        field_name="parent__code", label="parent INSEE code"
    )
    q = django_filters.CharFilter(method="filter_search", label="name or INSEE code")

    class Meta:
        model = Territory
        fields = ("level", "parent", "q")

    def filter_search(self, queryset, name, value):
        return queryset.search(value)
