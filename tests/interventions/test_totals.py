import datetime

from interventions import services
from interventions.models import REPORT_COUNTS, Intervention, InterventionReport
from tests.factories import territory
from tests.interventions.conftest import new_intervention


def report(intervention, user, day, people, **counts):
    data = {"reported_on": day, "people": people, **counts}
    return services.add_report(intervention, data, acting_user=user)


def test_totals_by_territory_equal_the_sum_of_yearly_reports(world):
    third = new_intervention(world.admin, world.prefecture, code="92040",
                             title="Hébergement", themes=["housing_shelter", "health"])  # fmt: skip
    report(world.intervention, world.member, datetime.date(2024, 12, 1), 10, women=4)
    report(world.intervention, world.member, datetime.date(2025, 12, 1), 12, women=5)
    report(
        world.other_intervention,
        world.other_member,
        datetime.date(2025, 11, 1),
        30,
        minors=20,
    )
    report(third, world.admin, datetime.date(2025, 10, 1), 7, housed=3)
    in_92 = Intervention.objects.visible_to(world.admin).within(territory("92"))
    totals = in_92.totals_by_year()
    for year in (2024, 2025):
        reports = InterventionReport.objects.filter(reported_on__year=year)
        for name in REPORT_COUNTS:
            assert totals[year][name] == sum(getattr(r, name) for r in reports), (
                year,
                name,
            )
    assert totals[2025]["people"] == 49
    by_theme = in_92.totals_by_theme_and_year()
    assert by_theme[("health", 2025)]["people"] == 12 + 7
    assert by_theme[("schooling", 2025)]["minors"] == 20
    assert by_theme[("housing_shelter", 2025)]["housed"] == 3
    assert ("mediation", 2025) not in by_theme


def test_a_later_report_of_the_same_year_replaces_the_earlier_one(world):
    report(world.intervention, world.member, datetime.date(2025, 6, 1), 10)
    report(world.intervention, world.member, datetime.date(2025, 12, 1), 14)
    assert (
        Intervention.objects.filter(pk=world.intervention.pk).totals_by_year()[2025][
            "people"
        ]
        == 14
    )
    latest = Intervention.objects.with_latest_report().get(pk=world.intervention.pk)
    assert latest.latest_report.people == 14


def test_totals_stay_inside_the_readers_scope(world):
    commune = Intervention.objects.visible_to(world.member).within(territory("92012"))
    report(world.intervention, world.member, datetime.date(2025, 12, 1), 10)
    far = new_intervention(world.admin13, world.prefecture, code="13055")
    report(far, world.admin13, datetime.date(2025, 12, 1), 99)
    assert commune.totals_by_year()[2025]["people"] == 10
    assert (
        Intervention.objects.visible_to(world.member).totals_by_year()[2025]["people"]
        == 10
    )
