import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from actors.models import AuditEvent
from interventions import services
from interventions.history import as_of, history_rows
from interventions.models import Funding, InterventionReport
from tests.interventions.conftest import make_site, new_intervention

REPORT = {"reported_on": datetime.date(2025, 12, 15), "people": 40, "households": 12,
          "women": 18, "minors": 15, "schooled_primary": 6, "schooled_secondary": 4}  # fmt: skip


def test_an_association_reports_for_its_own_intervention(world):
    report = services.add_report(world.intervention, REPORT, acting_user=world.member)
    assert report.intervention == world.intervention
    assert world.intervention.revisions.filter(action="reported").exists()
    assert AuditEvent.objects.filter(action="intervention.reported").exists()


def test_an_association_cannot_report_for_another_operators_intervention(world):
    with pytest.raises(PermissionDenied):
        services.add_report(world.other_intervention, REPORT, acting_user=world.member)
    assert not InterventionReport.objects.exists()


def test_the_prefecture_reports_for_any_intervention_of_its_departement(world):
    services.add_report(world.other_intervention, REPORT, acting_user=world.admin)
    with pytest.raises(PermissionDenied):
        services.add_report(world.intervention, REPORT, acting_user=world.admin13)


def test_subsets_larger_than_their_totals_are_refused_naming_the_fields(world):
    bad = {**REPORT, "women": 41, "housed": 50, "schooled_primary": 14}
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.add_report(world.intervention, bad, acting_user=world.member)
    errors = refused.value.message_dict
    assert "women (41) cannot exceed people reached (40)." in errors["women"]
    assert "people housed (50) cannot exceed people reached (40)." in errors["housed"]
    assert errors["minors"] == [
        "The children schooled (18 in all) cannot exceed minors (15)."
    ]


def test_negative_counts_are_refused(world):
    with pytest.raises(ValidationError) as refused:
        services.add_report(
            world.intervention, {**REPORT, "people": -1}, acting_user=world.member
        )
    assert "people" in refused.value.message_dict


def test_an_association_creates_only_interventions_led_by_its_organization(world):
    with pytest.raises(PermissionDenied):
        new_intervention(world.member, world.other)
    with pytest.raises(PermissionDenied):  # outside its grant (a sibling commune)
        new_intervention(world.member, world.asso, code="92040")


def test_linked_sites_are_limited_to_visible_ones_inside_the_territory(world):
    with pytest.raises(ValidationError) as refused:
        new_intervention(world.admin, world.asso, code="92", sites=[world.far_site])
    message = refused.value.message_dict["sites"][0]
    assert "Marseille" not in message and f"#{world.far_site.pk}" in message
    elsewhere = make_site("92040", "Site d'Issy")
    with pytest.raises(ValidationError):  # visible, but outside the territory
        new_intervention(world.member, world.asso, sites=[elsewhere])


def test_an_update_keeps_links_the_editor_cannot_see(world):
    intervention = new_intervention(world.national, world.asso, code="FR",
                                    sites=[world.site, world.far_site])  # fmt: skip
    fresh = make_site("92012", "Autre site")
    services.update_intervention(
        intervention, {"sites": [fresh]}, acting_user=world.national,
        expected_version=intervention.version,
    )  # fmt: skip
    assert set(intervention.sites.all()) == {fresh}


def test_a_stale_edit_is_refused_naming_what_changed(world):
    intervention = world.intervention
    services.update_intervention(
        intervention, {"title": "Médiation santé 2"}, acting_user=world.member,
        expected_version=1,
    )  # fmt: skip
    with translation.override("en"), pytest.raises(services.StaleEdit) as stale:
        services.update_intervention(
            intervention,
            {"goals": "Autre"},
            acting_user=world.admin,
            expected_version=1,
        )
    assert stale.value.current_version == 2
    assert stale.value.changed_fields == ["title"]
    assert "title" in str(stale.value)


def test_a_report_does_not_make_an_open_edit_stale(world):
    services.add_report(world.intervention, REPORT, acting_user=world.member)
    services.update_intervention(
        world.intervention, {"goals": "Suivi"}, acting_user=world.member,
        expected_version=1,
    )  # fmt: skip


def test_personal_data_is_refused_in_goals_and_notes(world):
    with pytest.raises(ValidationError) as refused:
        services.update_intervention(
            world.intervention, {"goals": "Appeler 06 12 34 56 78"},
            acting_user=world.member, expected_version=1,
        )  # fmt: skip
    assert "goals" in refused.value.message_dict
    with pytest.raises(ValidationError):
        services.add_note(
            world.intervention, "écrire à x@example.org", acting_user=world.member
        )


def test_closing_needs_an_end_date_and_a_closed_status(world):
    with pytest.raises(ValidationError):
        services.update_intervention(
            world.intervention, {"status": "completed"}, acting_user=world.member,
            expected_version=1,
        )  # fmt: skip
    closed = services.close_intervention(
        world.intervention, acting_user=world.member, expected_version=1,
        status="completed", ended_on=datetime.date(2026, 6, 30),
    )  # fmt: skip
    assert closed.status == "completed" and closed.version == 2


def test_funding_lines_are_one_per_year_and_source(world):
    data = {"year": 2025, "source_kind": "state", "amount_planned": 1000}
    services.set_funding(world.intervention, data, acting_user=world.member)
    services.set_funding(world.intervention, {**data, "amount_spent": 800},
                         acting_user=world.member)  # fmt: skip
    line = Funding.objects.get()
    assert (line.amount_planned, line.amount_spent) == (1000, 800)
    with pytest.raises(PermissionDenied):
        services.set_funding(world.intervention, data, acting_user=world.other_member)


def test_history_tells_every_change_and_as_of_gives_the_past_state(world):
    intervention = world.intervention
    services.update_intervention(
        intervention, {"title": "Nouveau titre", "partners": [world.other]},
        acting_user=world.member, expected_version=1,
    )  # fmt: skip
    services.set_funding(intervention, {"year": 2025, "source_kind": "eu",
                         "amount_planned": 777}, acting_user=world.member)  # fmt: skip
    with translation.override("en"):
        rows = history_rows(intervention.revisions.order_by("at", "pk"))
    assert [r.action for r, _label, _changes in rows] == [
        "created",
        "updated",
        "funded",
    ]
    changes = {label: new for label, _old, new in rows[1][2]}
    assert changes["partners"] == "Asso B" and changes["title"] == "Nouveau titre"
    assert "777" not in str(rows[2][2])  # amounts never in the history
    past = as_of([intervention], timezone.localdate())[0]
    assert past.title == "Nouveau titre"
    assert as_of([intervention], datetime.date(2000, 1, 1)) == []


def test_an_organization_declares_and_stops_its_presence_on_a_site(world):
    presence = services.declare_presence(
        world.site, acting_user=world.member, started_on=datetime.date(2025, 1, 1)
    )
    with pytest.raises(ValidationError):  # already there
        services.declare_presence(
            world.site, acting_user=world.member, started_on=datetime.date(2025, 2, 1)
        )
    with pytest.raises(PermissionDenied):
        services.stop_presence(presence, acting_user=world.other_member,
                               ended_on=datetime.date(2025, 6, 1))  # fmt: skip
    services.stop_presence(presence, acting_user=world.admin,
                           ended_on=datetime.date(2025, 6, 1))  # fmt: skip
    assert world.site.presences.current().count() == 0
    with pytest.raises(PermissionDenied):
        services.declare_presence(world.site, acting_user=world.observer,
                                  started_on=datetime.date(2025, 1, 1))  # fmt: skip
