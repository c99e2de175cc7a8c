"""The sites per commune that PostgreSQL's triggers keep equal a count of the sites,
after any write: one site or many, a move, a count changed, a deletion."""

import pytest
from django.db import connection
from django.db.models import Count, Sum

from sites.models import Site, SiteCommuneCount
from territory.models import Territory
from tests.factories import point_in

pytestmark = pytest.mark.django_db


def kept() -> dict[str, tuple]:
    rows = SiteCommuneCount.objects.filter(sites__gt=0).select_related("commune")
    assert all(r.departement_id == r.commune.parent_id for r in rows)
    return {
        r.commune.code: (r.sites, r.people if r.people_known else None) for r in rows
    }


def counted() -> dict[str, tuple]:
    rows = Site.objects.values("commune__code").annotate(
        n=Count("id"), people_sum=Sum("people")
    )
    return {r["commune__code"]: (r["n"], r["people_sum"]) for r in rows}


def site_in(code: str, **fields) -> Site:
    return Site.objects.create(
        point=point_in(code),
        commune=Territory.objects.get(code=code, level="commune"),
        **fields,
    )


def test_the_counts_follow_every_write_to_the_sites():
    assert kept() == counted()
    first = site_in("92012", people=10)
    site_in("92012")  # people unknown
    site_in("92040")
    assert kept() == counted()
    assert kept()["92012"] == (2, 10) and kept()["92040"] == (1, None)
    first.people = 25
    first.save()
    assert kept()["92012"] == (2, 25)
    # Moved to another commune: one less here, one more there.
    first.commune = Territory.objects.get(code="92040", level="commune")
    first.save()
    assert kept()["92012"] == (1, None) and kept()["92040"] == (2, 25)
    # Many at once, as imports and the bench write.
    Site.objects.filter(commune__code="92040").update(people=3)
    assert kept()["92040"] == (2, 6)
    Site.objects.bulk_create(
        [
            Site(
                point=point_in("13055"),
                commune=Territory.objects.get(code="13055", level="commune"),
                people=i,
            )
            for i in range(5)
        ]
    )
    assert kept() == counted()
    Site.objects.filter(commune__code="13055").delete()
    first.delete()
    assert kept() == counted()
    assert "13055" not in kept()


def test_a_truncated_site_table_leaves_no_count():
    site_in("92012", people=4)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for none
        cursor.execute("TRUNCATE sites_site CASCADE")
    assert SiteCommuneCount.objects.count() == 0
