import django_filters
from django import forms
from django.contrib.gis.geos import Polygon
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.fields import BaseCSVField

from sites.models import Site, SiteKind, SiteStatus
from sites.models.site import ConditionStatus
from territory.models import Territory


class FourNumbersField(BaseCSVField):
    def clean(self, value):
        value = super().clean(value)
        if value is not None and len(value) != 4:
            raise forms.ValidationError(
                _(
                    "Four numbers: min longitude,min latitude,max longitude,max latitude."
                )
            )
        return value


class BBoxFilter(django_filters.BaseCSVFilter, django_filters.NumberFilter):
    """Four numbers, as rest_framework_gis's `in_bbox`: here so every exit has it;
    another count is refused (400), not answered with nothing."""

    base_field_class = FourNumbersField


class SiteFilter(django_filters.FilterSet):
    """The one definition of the site filters: the list page, the map's tiles, the
    API, its exports and the OGC items read the same query string the same way."""

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
    q = django_filters.CharFilter(
        method="filter_search",
        label="text in the name, address or commune (name, code)",
    )
    in_bbox = BBoxFilter(
        method="filter_in_bbox", label="min longitude,min latitude,max lon,max lat"
    )

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

    def filter_search(self, queryset, name, value):
        return search(queryset, value)

    def filter_in_bbox(self, queryset, name, value):
        if len(value) != 4:
            return queryset.none()
        box = Polygon.from_bbox(tuple(float(v) for v in value))
        box.srid = 4326
        return queryset.filter(point__intersects=box)


def search(sites: QuerySet, text: str) -> QuerySet:
    """The list page's search box: part of the name or address, a commune's name or
    its exact INSEE code."""
    text = text.strip()
    if not text:
        return sites
    return sites.filter(
        Q(name__icontains=text)
        | Q(address__icontains=text)
        | Q(commune__name__icontains=text)
        | Q(commune__code=text)
    )


# Filters on where a site is (and what it is called) today: with a past date they
# narrow today's rows before the history is replayed; the others apply to the past.
PLACE_FILTERS = ("territory", "in_bbox", "q")
