"""Probable names need confirmation, through forms and the API, and it is audited."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from actors.models import AuditEvent
from actors.roles import Role
from sites.models import PublicReport, Site, SiteNote
from sites.services import site as services
from tests.factories import point_in, user_with

pytestmark = pytest.mark.django_db
NAMED = "Mme Popescu dort sous la tente nord avec ses enfants."


def feature(**properties):
    point = point_in("92012")
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [point.x, point.y]},
        "properties": {"people": 5, "population_date": str(timezone.localdate()),
                       **properties},
    }  # fmt: skip


def declared_site(admin) -> Site:
    data = {"point": point_in("92012"), "people": 5,
            "population_date": timezone.localdate()}  # fmt: skip
    return services.declare_site(data, acting_user=admin, confirm_nearby=True)


def test_the_api_names_the_flagged_words_then_takes_the_confirmation():
    api = APIClient()
    api.force_authenticate(user_with(Role.LOCAL_ADMIN, "92"))
    refused = api.post("/api/v1/sites/", feature(address=NAMED), format="json")
    assert refused.status_code == 400
    body = refused.json()
    assert body["flagged"] == {"address": ["Mme Popescu"]}
    assert body["confirm_with"] == "confirm_not_personal"
    assert "Popescu" in body["address"][0]
    assert not Site.objects.exists()

    confirmed = api.post(
        "/api/v1/sites/?confirm_not_personal=1", feature(address=NAMED), format="json"
    )
    assert confirmed.status_code == 201, confirmed.content
    event = AuditEvent.objects.get(action="free_text.names_confirmed")
    assert event.details["field"] == "address"
    assert event.details["words"] == "M** P******"  # masked: never the name itself
    assert event.actor is not None


def test_certain_identifiers_are_refused_even_when_confirmed():
    api = APIClient()
    api.force_authenticate(user_with(Role.LOCAL_ADMIN, "92"))
    response = api.post(
        "/api/v1/sites/?confirm_not_personal=1",
        feature(address="Joignable au 06 12.34 56 78"),
        format="json",
    )
    assert response.status_code == 400
    assert "flagged" not in response.json()
    assert not Site.objects.exists()


def test_the_public_form_shows_the_box_after_a_flag_and_accepts_the_confirmation(
    client,
):
    data = {
        "kind": "possible_site",
        "point": point_in("92012").ewkt,
        "description": "Ionut et Maria dorment sous le pont.",
    }
    first = client.post("/reports/new/", data)
    assert first.status_code == 200
    assert 'type="checkbox" name="confirm_not_personal"' in first.content.decode()
    assert not PublicReport.objects.exists()
    second = client.post("/reports/new/", {**data, "confirm_not_personal": "on"})
    assert second.status_code == 302
    assert PublicReport.objects.count() == 1
    event = AuditEvent.objects.get(action="free_text.names_confirmed")
    assert event.actor is None and event.details["words"] == "I****, M****"


def test_a_journal_note_with_a_name_is_refused_until_confirmed(client):
    admin = user_with(Role.LOCAL_ADMIN, "92")
    site = declared_site(admin)
    client.force_login(admin)
    note = {"text": "Rencontré Andrei devant la caravane."}
    client.post(f"/sites/{site.pk}/notes/", note)
    assert not SiteNote.objects.exists()
    client.post(f"/sites/{site.pk}/notes/", {**note, "confirm_not_personal": "on"})
    assert SiteNote.objects.get().text == note["text"]
    assert AuditEvent.objects.filter(action="free_text.names_confirmed").count() == 1


def test_the_scan_lists_stored_personal_data_per_departement_and_changes_nothing():
    from io import StringIO

    from django.core.management import call_command

    admin = user_with(Role.LOCAL_ADMIN, "92")
    site = declared_site(admin)
    # Written before the guard knew names: stored without validation.
    SiteNote.objects.create(site=site, author=admin, text="Vu Ionut Popescu hier.")
    SiteNote.objects.create(site=site, author=admin, text="Tél. 06 12.34 56 78")
    SiteNote.objects.create(site=site, author=admin, text="Eau coupée depuis lundi.")
    out = StringIO()
    call_command("scan_free_text", stdout=out)
    report = out.getvalue()
    assert "Département 92: 2 to review" in report
    assert "probable name: I**** P******" in report and "Popescu" not in report
    assert "phone (06 **.** ** 78)" in report
    assert SiteNote.objects.filter(text__contains="Popescu").exists()
