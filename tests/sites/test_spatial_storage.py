import pytest
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D

from sites.models import Site
from territory.models import Territory

pytestmark = pytest.mark.django_db

# Two points in Boulogne-Billancourt and one about 10 km away, in Issy-les-Moulineaux.
BOULOGNE = Point(2.2399, 48.8352, srid=4326)
NEAR_BOULOGNE = Point(2.2450, 48.8380, srid=4326)
ISSY = Point(2.2700, 48.8240, srid=4326)


def test_point_is_stored_in_wgs84_and_read_back_unchanged():
    site = Site.objects.create(
        point=BOULOGNE,
        commune=Territory.objects.commune_at(BOULOGNE),
        address="rue de test",
    )
    stored = Site.objects.get(pk=site.pk).point
    assert stored.srid == 4326
    assert stored.equals_exact(BOULOGNE, tolerance=1e-9)


def test_distance_lookup_in_kilometres_finds_near_site_and_not_far_one():
    near = Site.objects.create(
        point=BOULOGNE, commune=Territory.objects.commune_at(BOULOGNE)
    )
    Site.objects.create(point=ISSY, commune=Territory.objects.commune_at(ISSY))
    found = Site.objects.filter(point__distance_lte=(NEAR_BOULOGNE, D(km=1)))
    assert list(found.values_list("pk", flat=True)) == [near.pk]
    found_wide = Site.objects.filter(point__distance_lte=(NEAR_BOULOGNE, D(km=15)))
    assert found_wide.count() == 2
