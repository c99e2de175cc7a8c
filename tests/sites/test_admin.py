import pytest

from actors.roles import Role
from sites.models import Site
from territory.models import Territory
from tests.factories import point_in, user_with

pytestmark = pytest.mark.django_db


def test_the_admin_lists_only_sites_in_the_staff_users_scope(client):
    for code in ("92012", "13055"):
        Site.objects.create(
            point=point_in(code),
            commune=Territory.objects.commune_at(point_in(code)),
            name=f"Site {code}",
        )
    staff = user_with(Role.LOCAL_ADMIN, "92", is_staff=True, is_superuser=True)
    client.force_login(staff)
    page = client.get("/admin/sites/site/")
    assert [s.name for s in page.context["cl"].result_list] == ["Site 92012"]
    other = Site.objects.get(name="Site 13055")
    assert (
        client.get(f"/admin/sites/site/{other.pk}/change/").status_code == 302
    )  # not found -> redirected
