"""Without a filter parameter the filter sets are not made (config.api.has_filter_params):
that holds only while each of them, given no parameter, leaves the queryset as it is."""

import pytest
from django.http import QueryDict

from config.api import has_filter_params
from interventions.filters import InterventionFilter
from interventions.models import Intervention
from sites.api.accessibility import AccessibilityPointFilter
from sites.api.filters import SiteFilter
from sites.models import AccessibilityPoint, Site
from territory.api.filters import TerritoryFilter
from territory.models import Territory

FILTER_SETS = (
    (SiteFilter, Site),
    (AccessibilityPointFilter, AccessibilityPoint),
    (InterventionFilter, Intervention),
    (TerritoryFilter, Territory),
)


@pytest.mark.parametrize(("filterset_class", "model"), FILTER_SETS)
def test_no_parameter_filters_nothing(filterset_class, model):
    queryset = model.objects.all()
    filterset = filterset_class(QueryDict(""), queryset=queryset)
    assert filterset.is_valid()
    assert str(filterset.qs.query) == str(queryset.query)


def test_paging_parameters_are_not_filters_and_filter_names_are():
    assert not has_filter_params(
        SiteFilter, QueryDict("page=2&page_size=10&format=json")
    )
    assert has_filter_params(SiteFilter, QueryDict("status=open"))
    assert has_filter_params(SiteFilter, QueryDict("in_bbox=1,2,3,4"))
    # An empty value is still a parameter: the API answers it with a 400.
    assert has_filter_params(SiteFilter, QueryDict("status="))
