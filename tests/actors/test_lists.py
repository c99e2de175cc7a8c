"""Admin lists: search, count and paging; the directory names each member once."""

import pytest

from actors.models import AuditEvent
from actors.roles import Role
from sites.models import Site
from territory.models import Territory
from tests.factories import OrganizationFactory, point_in, user_with

pytestmark = pytest.mark.django_db


def test_directory_shows_each_address_once(client):
    organization = OrganizationFactory(territory=Territory.objects.get(code="92012"))
    user_with(Role.CONTRIBUTOR, "92012", email="solo@asso.example.org",
              first_name="", last_name="", organization=organization)  # fmt: skip
    client.force_login(user_with(Role.OBSERVER, "92012"))
    html = client.get("/directory/").content.decode()
    assert html.count("solo@asso.example.org") == 2  # the mailto link and its text


def test_grants_are_searched_and_counted(client):
    user_with(Role.CONTRIBUTOR, "92012", email="alpha@example.org")
    user_with(Role.CONTRIBUTOR, "92040", email="beta@example.org")
    client.force_login(user_with(Role.LOCAL_ADMIN, "92"))
    found = client.get("/accounts/grants/", {"q": "alpha"})
    assert [g.user.email for g in found.context["grants"]] == ["alpha@example.org"]
    assert found.context["page"].paginator.count == 1


def test_audit_log_names_events_and_objects_in_words(client):
    admin = user_with(Role.LOCAL_ADMIN, "92")
    point = point_in("92012")
    site = Site.objects.create(
        point=point, commune=Territory.objects.commune_at(point), name="Quai Nord"
    )
    AuditEvent.objects.create(
        action="site.updated", actor_email="a@example.org", target_type="sites.site",
        target_id=str(site.pk), scope_path=site.scope_path(),
        details={"fields": "minors_0_3,water"},
    )  # fmt: skip
    client.force_login(admin)
    response = client.get("/accounts/audit/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "Site updated" in html
    assert f'<a href="/sites/{site.pk}/">Quai Nord</a>' in html
    assert "minors_0_3" not in html
    entry = response.context["entries"][0]
    assert entry.details[0][1] == ", ".join(
        str(Site._meta.get_field(f).verbose_name) for f in ("minors_0_3", "water")
    )
