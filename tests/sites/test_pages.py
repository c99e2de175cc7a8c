import datetime

import pytest
from django.utils import timezone

from actors.roles import Role
from sites.models import Site, SiteNote, SiteRevision
from sites.services import site as services
from tests.factories import point_in, user_with

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def admin_client(client):
    admin = user_with(Role.LOCAL_ADMIN, "92")
    client.force_login(admin)
    client.user = admin
    return client


def declared(user, **fields):
    data = {
        "point": point_in("92012"),
        "people": 10,
        "population_date": TODAY,
        **fields,
    }
    return services.declare_site(data, acting_user=user, confirm_nearby=True)


def form_data(site, **overrides):
    point = site.point
    data = {
        "point": f'{{"type": "Point", "coordinates": [{point.x}, {point.y}]}}',
        "kind": site.kind, "land_owner_type": site.land_owner_type, "people": site.people,
        "population_date": str(site.population_date), "version": site.version,
        **{theme: getattr(site, theme) for theme in ("water", "toilets", "electricity", "waste", "pests", "fire_prevention")},
    }  # fmt: skip
    return {**data, **overrides}


def test_the_change_log_is_readable_in_french(admin_client):
    site = declared(admin_client.user)
    services.update_site(
        site, {"people": 12}, acting_user=admin_client.user, expected_version=1
    )
    html = admin_client.get(
        f"/sites/{site.pk}/", HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "personnes : 10 → 12" in html


def test_a_stale_form_is_refused_with_what_changed(admin_client):
    site = declared(admin_client.user)
    stale = form_data(site, people=15)
    services.update_site(
        site, {"people": 12}, acting_user=admin_client.user, expected_version=1
    )
    response = admin_client.post(
        f"/sites/{site.pk}/edit/", stale, HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.status_code == 200
    assert "personnes" in " ".join(response.context["form"].non_field_errors())
    assert Site.objects.get(pk=site.pk).people == 12


def test_the_edit_form_saves_a_new_version(admin_client):
    site = declared(admin_client.user)
    response = admin_client.post(f"/sites/{site.pk}/edit/", form_data(site, people=20))
    assert response.status_code == 302, response.context["form"].errors
    site.refresh_from_db()
    assert (site.people, site.version) == (20, 2)


def test_a_note_with_a_phone_number_is_refused(admin_client):
    site = declared(admin_client.user)
    admin_client.post(
        f"/sites/{site.pk}/notes/", {"text": "Rappeler le 06 12 34 56 78"}
    )
    assert not SiteNote.objects.exists()
    admin_client.post(
        f"/sites/{site.pk}/notes/",
        {"text": "Distribution d'eau, 12 familles rencontrées."},
    )
    assert SiteNote.objects.count() == 1


def test_the_page_shows_the_state_at_a_past_date(admin_client):
    site = declared(admin_client.user)
    services.update_site(
        site, {"people": 40}, acting_user=admin_client.user, expected_version=1
    )
    first = SiteRevision.objects.get(site=site, version=1)
    SiteRevision.objects.filter(pk=first.pk).update(
        at=first.at - datetime.timedelta(days=3)
    )
    past = admin_client.get(
        f"/sites/{site.pk}/", {"as_of": str(TODAY - datetime.timedelta(days=2))}
    )
    assert past.context["site"].people == 10
    assert admin_client.get(f"/sites/{site.pk}/").context["site"].people == 40


def test_a_local_admin_closes_from_the_page(admin_client):
    site = declared(admin_client.user)
    admin_client.post(
        f"/sites/{site.pk}/close/",
        {"status": "resorbed", "closed_on": str(TODAY), "housed": 4, "version": 1},
    )
    site.refresh_from_db()
    assert (site.status, site.housed_count) == ("resorbed", 4)


def test_a_note_narrowed_to_an_organization_is_hidden_from_others(client):
    from tests.factories import OrganizationFactory

    own, other = OrganizationFactory(), OrganizationFactory()
    author = user_with(Role.CONTRIBUTOR, "92012", organization=own)
    reader = user_with(Role.CONTRIBUTOR, "92012", organization=other)
    site = declared(author)
    services.add_note(
        site, "Réunion de coordination prévue.", acting_user=author, visible_to=[own]
    )
    services.add_note(site, "Point d'eau réparé.", acting_user=author)
    client.force_login(reader)
    texts = [note.text for note in client.get(f"/sites/{site.pk}/").context["notes"]]
    assert texts == ["Point d'eau réparé."]
    client.force_login(author)
    assert len(client.get(f"/sites/{site.pk}/").context["notes"]) == 2


def test_a_site_can_be_declared_with_coordinates_instead_of_the_map(admin_client):
    point = point_in("92040")
    data = {
        "kind": "land",
        "land_owner_type": "unknown",
        "longitude": point.x,
        "latitude": point.y,
    }
    data |= dict.fromkeys(
        ("water", "toilets", "electricity", "waste", "pests", "fire_prevention"),
        "unknown",
    )
    response = admin_client.post("/sites/new/", data)
    assert response.status_code == 302, response.context["form"].errors
    assert Site.objects.get().commune.code == "92040"
    empty = admin_client.post("/sites/new/", {**data, "longitude": "", "latitude": ""})
    assert "point" in empty.context["form"].errors


def test_an_invalid_procedure_comes_back_on_its_form_naming_the_field(admin_client):
    site = declared(admin_client.user)
    response = admin_client.post(
        f"/sites/{site.pk}/procedures/",
        {"kind": "nonsense", "summary": "Audience fixée"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "nonsense" in " ".join(form.errors["kind"])
    page = response.content.decode()
    label = str(site.procedures.model._meta.get_field("kind").verbose_name)
    assert 'id="error-summary"' in page and f'href="#id_kind">{label}' in page.lower()
    assert "Audience fixée" in page  # what was typed is kept
    assert not site.procedures.exists()
