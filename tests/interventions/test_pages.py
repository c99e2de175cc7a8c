import csv
import datetime
import io

import pytest
from openpyxl import load_workbook

from actors.models import AuditEvent
from interventions import services
from interventions.models import InterventionReport

REPORT = {"reported_on": datetime.date(2025, 12, 1), "people": 30, "minors": 10}


@pytest.fixture
def funded(world):
    services.set_funding(world.intervention, {"year": 2025, "source_kind": "state",
                         "amount_planned": 12345}, acting_user=world.member)  # fmt: skip
    services.add_report(world.intervention, REPORT, acting_user=world.member)
    return world


def login(client, user):
    client.force_login(user)
    return client


def test_the_list_shows_visible_interventions_with_their_latest_figures(funded, client):
    response = login(client, funded.observer).get("/interventions/")
    listed = {i.title for i in response.context["page"].object_list}
    assert listed == {"Médiation santé", "Scolarisation"}
    assert "30" in response.content.decode()
    far = login(client, funded.admin13).get("/interventions/")
    assert far.context["page"].paginator.count == 0


def test_the_list_filters_by_theme_status_operator_site_and_year(funded, client):
    client = login(client, funded.admin)

    def titles(**params):
        response = client.get("/interventions/", params)
        return {i.title for i in response.context["page"].object_list}

    assert titles(theme="schooling") == {"Scolarisation"}
    assert titles(operator=funded.asso.pk) == {"Médiation santé"}
    assert titles(site=funded.site.pk) == {"Médiation santé"}
    assert titles(year=2024) == set()
    assert titles(territory="92") == {"Médiation santé", "Scolarisation"}
    assert titles(territory="13") == set()
    assert titles(status="completed") == set()


@pytest.mark.parametrize(
    ("who", "sees"),
    [("member", True), ("admin", True), ("national", True),
     ("observer", False), ("other_member", False)],
)  # fmt: skip
def test_funding_is_shown_only_to_the_operator_admins_and_national(
    funded, client, who, sees
):
    client = login(client, getattr(funded, who))
    detail = client.get(f"/interventions/{funded.intervention.pk}/")
    assert detail.status_code == 200
    assert (
        "12" in detail.content.decode() and "345" in detail.content.decode()
    ) == sees
    assert (detail.context["funding"] is not None) == sees
    assert client.get(
        f"/interventions/{funded.intervention.pk}/funding/"
    ).status_code == (200 if sees else 403)
    export = client.get("/interventions/export/", {"format_type": "csv"})
    assert ("12345" in b"".join(export.streaming_content).decode()) == sees


def test_an_association_cannot_open_the_report_form_of_another_operator(world, client):
    client = login(client, world.member)
    assert (
        client.get(f"/interventions/{world.other_intervention.pk}/report/").status_code
        == 403
    )
    response = client.post(
        f"/interventions/{world.intervention.pk}/report/",
        {**dict.fromkeys(("households", "women", "health_followups", "in_employment_or_training", "sheltered", "housed", "schooled_kindergarten", "schooled_primary", "schooled_secondary"), 0), "reported_on": "2025-06-01", "people": 5, "minors": 9},
    )  # fmt: skip
    assert response.status_code == 200  # refused, shown again with the message
    assert "minors" in response.context["form"].errors
    assert not InterventionReport.objects.exists()


def test_the_form_offers_only_visible_sites_and_own_organization(world, client):
    response = login(client, world.member).get("/interventions/new/")
    form = response.context["form"]
    assert world.site in form.fields["sites"].queryset
    assert world.far_site not in form.fields["sites"].queryset
    assert list(form.fields["lead_operator"].queryset) == [world.asso]


def test_an_association_creates_its_intervention_from_the_form(world, client):
    response = login(client, world.member).post("/interventions/new/", {
        "title": "Maraude", "themes": ["health", "mediation"], "lead_operator": world.asso.pk,
        "territory": world.site.commune.pk, "location_kind": "on_sites", "sites": [world.site.pk],
        "started_on": "2025-01-10", "status": "in_progress",
    })  # fmt: skip
    assert response.status_code == 302, response.context["form"].errors
    assert world.site.interventions.filter(title="Maraude").exists()


def test_the_export_is_audited_and_readable_as_xlsx(funded, client):
    response = login(client, funded.observer).get(
        "/interventions/export/", {"format_type": "xlsx", "theme": "health"}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert len(rows) == 2 and rows[1][1] == "Médiation santé"
    assert AuditEvent.objects.filter(action="interventions.exported").exists()


def test_the_export_neutralises_formulas(world, client):
    services.update_intervention(world.intervention, {"title": "=HYPERLINK(1)"},
                                 acting_user=world.member, expected_version=1)  # fmt: skip
    response = login(client, world.member).get("/interventions/export/")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert "'=HYPERLINK(1)" in [cell for row in rows for cell in row]


def test_the_site_page_lists_its_interventions_and_who_works_there(world, client):
    services.declare_presence(world.site, acting_user=world.other_member,
                              started_on=datetime.date(2025, 1, 1))  # fmt: skip
    page = (
        login(client, world.observer).get(f"/sites/{world.site.pk}/").content.decode()
    )
    assert "Médiation santé" in page and "Asso B" in page


def test_an_association_declares_its_presence_from_the_site_page(world, client):
    client = login(client, world.member)
    client.post(
        f"/interventions/sites/{world.site.pk}/presence/", {"started_on": "2025-02-01"}
    )
    assert world.site.presences.current().get().organization == world.asso


def test_the_overdue_list_is_for_local_admins_only(world, client):
    assert login(client, world.member).get("/interventions/overdue/").status_code == 403
    assert login(client, world.admin).get("/interventions/overdue/").status_code == 200


def test_the_page_shows_an_intervention_as_it_was_on_a_past_date(world, client):
    from django.utils import timezone

    intervention, member = world.intervention, world.member
    client.force_login(member)
    intervention.revisions.update(at=timezone.now() - datetime.timedelta(days=2))
    old_title = intervention.title
    services.update_intervention(
        intervention, {"title": "Titre changé aujourd'hui"}, acting_user=member,
        expected_version=intervention.version,
    )  # fmt: skip
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    past = client.get(f"/interventions/{intervention.pk}/?as_of={yesterday}")
    assert past.status_code == 200
    assert past.context["intervention"].title == old_title
    assert past.context["as_of"] == yesterday
    assert "can_change" not in past.context
    assert [s.pk for s in past.context["sites"]] == [world.site.pk]
    today = client.get(f"/interventions/{intervention.pk}/")
    assert today.context["intervention"].title == "Titre changé aujourd'hui"
    before = timezone.localdate() - datetime.timedelta(days=30)
    gone = client.get(f"/interventions/{intervention.pk}/?as_of={before}")
    assert gone.status_code == 302
