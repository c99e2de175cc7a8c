import pytest
from django.db.models import Count
from django.utils import timezone

from actors.demo import DemoDisabled, load_demo_accounts
from lib.pii import find_personal_data
from sites.demo import load_demo_sites, plan_demo_sites
from sites.models import AccessibilityPoint, Site, SiteNote, SiteRevision
from territory.models import Territory

pytestmark = pytest.mark.django_db
DEPARTEMENTS = ["92", "93"]
GPSO_POINTS = 719


@pytest.fixture
def demo(settings):
    settings.DEMO_DATA_ENABLED = True
    load_demo_accounts()
    return load_demo_sites(departements=DEPARTEMENTS)


def departement_of(site: Site) -> str:
    return site.commune.departement().code


def test_demo_sites_are_placed_in_their_communes(demo):
    sites = list(Site.objects.select_related("commune"))
    assert demo.sites == len(sites) > 0
    assert demo.departements == DEPARTEMENTS
    assert {departement_of(s) for s in sites} == set(DEPARTEMENTS)
    for site in sites:
        assert site.commune.geom.contains(site.point), site.name
        site.full_clean()


def test_demo_sites_have_histories(demo):
    sites = Site.objects.annotate(n=Count("revisions", distinct=True))
    closed = [s for s in sites if not s.is_open]
    assert closed and len(closed) == demo.closed
    assert all(s.closed_on >= s.opened_on for s in closed)
    assert any(s.n >= 2 for s in sites)
    assert SiteRevision.objects.count() == demo.revisions
    assert SiteNote.objects.count() == demo.notes >= demo.sites
    now = timezone.now()
    for site in sites:
        revisions = list(site.revisions.order_by("version"))
        moments = [r.at for r in revisions]
        assert moments == sorted(moments) and moments[-1] <= now
        assert revisions[0].at.date() >= site.declared_on
    assert all(note.written_at <= now for note in SiteNote.objects.all())


def test_demo_loads_the_gpso_accessibility_points(demo):
    assert demo.accessibility_points == GPSO_POINTS
    assert AccessibilityPoint.objects.count() == GPSO_POINTS


def test_a_second_load_creates_nothing(demo):
    counts = (
        Site.objects.count(),
        SiteRevision.objects.count(),
        SiteNote.objects.count(),
    )
    again = load_demo_sites(departements=DEPARTEMENTS)
    assert again.sites == 0 and again.already_loaded == DEPARTEMENTS
    assert "already loaded" in again.summary()
    assert counts == (
        Site.objects.count(),
        SiteRevision.objects.count(),
        SiteNote.objects.count(),
    )
    assert AccessibilityPoint.objects.count() == GPSO_POINTS


def test_the_plan_is_what_was_loaded(demo):
    loaded = sorted(
        (s.name, s.commune.code, s.point.coords)
        for s in Site.objects.select_related("commune")
    )
    planned = sorted(
        (p.name, p.commune_code, p.point.coords)
        for p in plan_demo_sites(departements=DEPARTEMENTS)
    )
    assert loaded == planned


def test_the_plan_depends_on_the_seed_only():
    first = plan_demo_sites(seed=7, departements=DEPARTEMENTS)
    second = plan_demo_sites(seed=7, departements=DEPARTEMENTS)
    assert [(p.name, p.point.coords, p.steps) for p in first] == [
        (p.name, p.point.coords, p.steps) for p in second
    ]
    other = plan_demo_sites(seed=8, departements=DEPARTEMENTS)
    assert [p.point.coords for p in other] != [p.point.coords for p in first]
    # A département's sites do not depend on which others are loaded.
    alone = plan_demo_sites(seed=7, departements=["93"])
    assert [p.name for p in alone] == [p.name for p in first if p.departement == "93"]


def test_the_plan_is_consistent_and_free_of_personal_data():
    plans = plan_demo_sites(departements=DEPARTEMENTS)
    per_departement = {
        code: sum(p.departement == code for p in plans) for code in DEPARTEMENTS
    }
    # 6 to 12 per département, plus 3 in each demo contributor's own commune.
    assert all(6 <= n <= 12 + 3 for n in per_departement.values())
    # asso92's commune (asso13's, 13055, is planned the same way when 13 is loaded).
    home = [p for p in plans if p.commune_code == "92012"]
    assert len(home) >= 3
    assert any(not any(s.action == "close" for s in p.steps) for p in home)
    communes = {t.code: t for t in Territory.objects.communes()}
    for plan in plans:
        data = plan.data
        assert communes[plan.commune_code].geom.contains(plan.point)
        assert data["declared_on"] >= data["opened_on"]
        texts = [data["name"], data["address"], data["address_details"]]
        texts += [s.data.get("text", "") for s in plan.steps]
        texts += [s.data.get("reason", "") for s in plan.steps]
        assert not [t for t in texts if find_personal_data(t)]
        for step in plan.steps:
            if step.action == "close":
                assert step.data["closed_on"] > data["opened_on"]
                outcomes = [
                    step.data[k] or 0 for k in ("housed", "sheltered", "no_solution")
                ]
                assert all(n >= 0 for n in outcomes)


def test_missing_departements_are_skipped():
    plans = plan_demo_sites(departements=["69", "92"])
    assert plans and {p.departement for p in plans} == {"92"}


def test_demo_sites_are_refused_without_demo_data(settings):
    settings.DEMO_DATA_ENABLED = False
    with pytest.raises(DemoDisabled):
        load_demo_sites(departements=DEPARTEMENTS)
    assert not Site.objects.exists()
