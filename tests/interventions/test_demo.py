import pytest

from actors.capabilities import CHANGE_INTERVENTION, can
from actors.demo import load_demo_accounts
from actors.models import User
from interventions.demo import load_demo_interventions
from interventions.models import Funding, Intervention, InterventionReport
from lib.pii import find_personal_data
from sites.demo import load_demo_sites

pytestmark = pytest.mark.django_db
DEPARTEMENTS = ["92", "13"]


@pytest.fixture
def demo(settings):
    settings.DEMO_DATA_ENABLED = True
    load_demo_accounts()
    load_demo_sites(departements=DEPARTEMENTS)
    return load_demo_interventions(departements=DEPARTEMENTS)


def test_demo_interventions_have_years_of_reports_and_funding(demo):
    assert demo.departements == DEPARTEMENTS
    assert Intervention.objects.count() == demo.interventions >= 8
    for intervention in Intervention.objects.all():
        years = set(intervention.reports.values_list("reported_on__year", flat=True))
        assert 2 <= len(years) <= 4, intervention
        assert intervention.funding.exists()
        intervention.full_clean()
        assert not find_personal_data(intervention.goals + intervention.location_text)
    for report in InterventionReport.objects.all():
        report.full_clean()


def test_demo_contributors_can_edit_their_interventions(demo):
    for email, code in (
        ("asso92@demo.terrain", "92012"),
        ("asso13@demo.terrain", "13055"),
    ):
        user = User.objects.get(email=email)
        theirs = Intervention.objects.filter(
            territory__code=code, lead_operator=user.organization
        )
        assert theirs.exists()
        assert all(can(user, CHANGE_INTERVENTION, i) for i in theirs)


def test_demo_interventions_are_deterministic_and_idempotent(demo, settings):
    before = sorted(
        Intervention.objects.values_list("title", "territory__code", "started_on")
    )
    again = load_demo_interventions(departements=DEPARTEMENTS)
    assert again.interventions == 0 and again.already_loaded == DEPARTEMENTS
    lines = Funding.objects.count()
    Intervention.objects.all().delete()
    load_demo_interventions(departements=DEPARTEMENTS)
    after = sorted(
        Intervention.objects.values_list("title", "territory__code", "started_on")
    )
    assert before == after and Funding.objects.count() == lines
