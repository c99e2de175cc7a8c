"""The site list: count, paging with no silent cap, sorting, search, filters in links."""

import pytest

from actors.roles import Role
from sites.models import Site
from territory.models import Territory
from tests.factories import point_in, user_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_sites():
    author = user_with(Role.SUPERADMIN, "FR")
    point = point_in("92012")
    commune = Territory.objects.commune_at(point)
    Site.objects.bulk_create(
        Site(point=point, commune=commune, name=f"Lieu {i:03d}", people=i,
             kind="land" if i % 2 else "building", created_by=author)
        for i in range(120)
    )  # fmt: skip
    return commune


@pytest.fixture
def reader(client):
    client.force_login(user_with(Role.OBSERVER, "92012"))
    return client


def test_list_counts_every_site_and_pages_through_all_of_them(reader, many_sites):
    first = reader.get("/sites/")
    assert first.context["page"].paginator.count == 120
    assert (
        "120 sites" in first.content.decode() or "120 sites" in first.content.decode()
    )
    seen = []
    for number in range(1, first.context["page"].paginator.num_pages + 1):
        seen += [s.pk for s in reader.get("/sites/", {"page": number}).context["sites"]]
    assert len(seen) == len(set(seen)) == 120


def test_list_sorts_by_a_known_column_both_ways_and_ignores_unknown_ones(
    reader, many_sites
):
    ascending = reader.get("/sites/", {"sort": "people"}).context["sites"]
    descending = reader.get("/sites/", {"sort": "-people"}).context["sites"]
    assert ascending[0].people == 0 and descending[0].people == 119
    assert reader.get("/sites/", {"sort": "password"}).status_code == 200


def test_search_and_filters_stay_in_paging_sorting_and_export_links(reader, many_sites):
    response = reader.get("/sites/", {"q": "lieu 01", "kind": "land"})
    names = [s.name for s in response.context["sites"]]
    assert names and all(n.startswith("Lieu 01") for n in names)
    assert all(s.kind == "land" for s in response.context["sites"])
    html = response.content.decode()
    # Exports take the list's search and filters: they export what the list shows.
    assert "export/?q=lieu+01&amp;kind=land&amp;format_type=csv" in html
    assert "?q=lieu+01&amp;kind=land&amp;sort=-commune" in html or (
        "?q=lieu+01&kind=land&sort=name" in html
    )


def test_list_query_count_does_not_grow_with_the_page(reader, many_sites):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        reader.get("/sites/")
    assert len(queries) < 20
