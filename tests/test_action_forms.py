"""Refused input on an action form (close, note, procedure) comes back on that form:
the error summary, the field's own error and what was typed, nothing saved."""

import re

import pytest
from django.utils import timezone

from actors.roles import Role
from interventions.models import InterventionNote
from sites.models import SiteNote
from sites.services import site as site_services
from tests.factories import point_in, user_with
from tests.interventions.conftest import world  # noqa: F401

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def error_page(response) -> str:
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="error-summary"' in page
    return page


def summary_links(page: str) -> set[str]:
    summary = page[page.index('id="error-summary"') :]
    summary = summary[: summary.index("</div>")]
    return set(re.findall(r'href="#(id_[a-z_]+)"', summary))


@pytest.fixture
def admin_client(client):
    admin = user_with(Role.LOCAL_ADMIN, "92")
    client.force_login(admin)
    client.site = site_services.declare_site(
        {"point": point_in("92012"), "people": 8, "population_date": TODAY},
        acting_user=admin,
        confirm_nearby=True,
    )
    return client


def test_site_close_without_date_keeps_what_was_typed(admin_client):
    site = admin_client.site
    typed = {
        "status": "resorbed",
        "reason": "Relogement prévu",
        "housed": "4",
        "version": 1,
    }
    page = error_page(admin_client.post(f"/sites/{site.pk}/close/", typed))
    assert summary_links(page) == {"id_closed_on"}
    assert "Relogement prévu" in page and 'value="4"' in page
    assert re.search(r'<option value="resorbed"[^>]*selected', page)
    site.refresh_from_db()
    assert site.status == "open"
    # Corrected on the same form, it goes through.
    done = admin_client.post(
        f"/sites/{site.pk}/close/", {**typed, "closed_on": str(TODAY)}
    )
    assert done.status_code == 302
    site.refresh_from_db()
    assert (site.status, site.housed_count) == ("resorbed", 4)


def test_site_close_refused_by_the_service_shows_its_reason_on_the_form(admin_client):
    """The closure reason goes through the personal-data guard in the service."""
    site = admin_client.site
    typed = {"status": "resorbed", "closed_on": str(TODAY), "version": 1,
             "reason": "Voir avec le 06 12 34 56 78"}  # fmt: skip
    page = error_page(admin_client.post(f"/sites/{site.pk}/close/", typed))
    assert "id_reason" in summary_links(page)
    site.refresh_from_db()
    assert site.status == "open"


def test_a_stale_close_says_so_on_the_form(admin_client):
    site = admin_client.site
    typed = {
        "status": "resorbed",
        "closed_on": str(TODAY),
        "version": 99,
        "reason": "Fin",
    }
    page = error_page(admin_client.post(f"/sites/{site.pk}/close/", typed))
    assert "Fin" in page
    site.refresh_from_db()
    assert site.status == "open"


def test_a_site_note_with_a_phone_number_comes_back_with_the_text(admin_client):
    site = admin_client.site
    typed = {"text": "Rappeler le 06 12 34 56 78 demain"}
    page = error_page(admin_client.post(f"/sites/{site.pk}/notes/", typed))
    assert "id_text" in summary_links(page)
    assert "demain" in page
    assert not SiteNote.objects.exists()


def test_a_flagged_name_in_a_note_offers_the_confirmation_box(admin_client):
    site = admin_client.site
    typed = {"text": "Rencontré Andrei devant la caravane."}
    page = error_page(admin_client.post(f"/sites/{site.pk}/notes/", typed))
    assert 'type="checkbox" name="confirm_not_personal"' in page
    assert "Andrei" in page
    confirmed = {**typed, "confirm_not_personal": "on"}
    assert admin_client.post(f"/sites/{site.pk}/notes/", confirmed).status_code == 302
    assert SiteNote.objects.get().text == typed["text"]


def test_an_empty_site_note_is_refused_on_its_form(admin_client):
    page = error_page(admin_client.post(f"/sites/{admin_client.site.pk}/notes/", {}))
    assert summary_links(page) == {"id_text"}


def test_intervention_close_without_status_keeps_the_date(client, world):  # noqa: F811
    intervention = world.intervention
    client.force_login(world.member)
    typed = {"ended_on": str(TODAY), "version": intervention.version}
    url = f"/interventions/{intervention.pk}/close/"
    page = error_page(client.post(url, typed))
    assert summary_links(page) == {"id_status"}
    assert f'value="{TODAY.isoformat()}"' in page
    intervention.refresh_from_db()
    assert not intervention.is_closed
    done = client.post(url, {**typed, "status": "completed"})
    assert done.status_code == 302
    intervention.refresh_from_db()
    assert intervention.is_closed


def test_intervention_close_before_its_start_is_refused_on_the_form(client, world):  # noqa: F811
    intervention = world.intervention
    client.force_login(world.member)
    typed = {"status": "completed", "ended_on": "2000-01-01", "version": 1}
    page = error_page(client.post(f"/interventions/{intervention.pk}/close/", typed))
    assert "2000-01-01" in page
    intervention.refresh_from_db()
    assert not intervention.is_closed


def test_an_intervention_note_with_an_email_comes_back_with_the_text(client, world):  # noqa: F811
    client.force_login(world.member)
    typed = {"text": "Écrire à jean.dupont@example.org pour la suite"}
    url = f"/interventions/{world.intervention.pk}/notes/"
    page = error_page(client.post(url, typed))
    assert "id_text" in summary_links(page)
    assert "pour la suite" in page
    assert not InterventionNote.objects.exists()


def test_action_pages_open_empty_from_the_object_page(admin_client):
    """The buttons of the site's page open these forms; nothing preselected."""
    site = admin_client.site
    detail = admin_client.get(f"/sites/{site.pk}/").content.decode()
    assert f'href="/sites/{site.pk}/close/"' in detail
    page = admin_client.get(f"/sites/{site.pk}/close/").content.decode()
    assert 'id="error-summary"' not in page
    assert not re.search(r"<option value=\"[a-z_]+\"[^>]*selected", page)
