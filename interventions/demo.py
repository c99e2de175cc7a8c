"""Demo interventions for `make run`: deterministic (seeded), idempotent, believable.

Loaded after the demo sites (interventions sit above sites). Per demo département,
interventions of a few demo operators with two to three years of reports and
funding; in Boulogne-Billancourt (92012) and Marseille (13055), interventions led by
the organizations of the demo contributors, which they can edit. Every write goes
through the services (checks, revisions, audit); revisions are then dated to the
story they tell, like the demo sites. Never in production (DEMO_DATA_ENABLED).
"""

import datetime
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from actors.demo import DEMO_ACCOUNTS, DemoDisabled
from actors.models import Organization, OrganizationKind, User
from interventions.models import (
    Intervention,
    InterventionRevision,
    InterventionStatus,
    Theme,
)
from interventions.services import (
    add_note,
    add_report,
    close_intervention,
    create_intervention,
    declare_presence,
    set_funding,
)
from sites.demo import DEMO_DEPARTEMENTS
from sites.models import Site
from territory.models import Level, Territory

PARIS = ZoneInfo(settings.TIME_ZONE)
FIRST_YEAR, LAST_YEAR = 2024, 2026
# (title, themes, location kind): what operators do on the ground, never a person.
ACTIONS = [
    ("Médiation en santé", [Theme.HEALTH, Theme.ACCESS_TO_RIGHTS], "on_sites"),
    ("Scolarisation des enfants", [Theme.SCHOOLING, Theme.MEDIATION], "on_sites"),
    ("Accompagnement vers l'emploi", [Theme.EMPLOYMENT_TRAINING], "on_sites"),
    ("Accès à l'eau et assainissement", [Theme.WATER_SANITATION], "on_sites"),
    ("Terrain d'insertion temporaire", [Theme.HOUSING_SHELTER, Theme.ACCESS_TO_RIGHTS], "insertion_site"),
    ("Relogement accompagné", [Theme.HOUSING_SHELTER], "housing"),
]  # fmt: skip
OPERATORS = ("Médiation Santé", "Trajectoires Insertion", "Habitat Solidaire")
CONTRIBUTORS = {"92012": DEMO_ACCOUNTS[4][0], "13055": DEMO_ACCOUNTS[5][0]}
NOTES = (
    "Permanence hebdomadaire installée, bonne participation.",
    "Point d'étape avec la mairie : poursuite de l'action l'an prochain.",
    "Visite conjointe avec les services de l'État.",
)


@dataclass
class InterventionsReport:
    interventions: int = 0
    reports: int = 0
    funding_lines: int = 0
    departements: list[str] = field(default_factory=list)
    already_loaded: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            f"{self.interventions} created in {', '.join(self.departements) or '-'} "
            f"({self.reports} reports, {self.funding_lines} funding lines)"
        ]
        if self.already_loaded:
            parts.append(f"already loaded in {', '.join(self.already_loaded)}")
        return "Demo interventions: " + "; ".join(parts) + "."


def load_demo_interventions(
    *, seed: int = 2026, departements=DEMO_DEPARTEMENTS
) -> InterventionsReport:
    if not settings.DEMO_DATA_ENABLED:
        raise DemoDisabled(
            "DEMO_DATA_ENABLED is off: demo interventions are never created in production."
        )
    admin = User.objects.get(email=DEMO_ACCOUNTS[0][0])
    report = InterventionsReport()
    for code in departements:
        departement = Territory.objects.filter(
            level=Level.DEPARTEMENT, code=code
        ).first()
        if departement is None or not Site.objects.within(departement).exists():
            continue
        if (
            Intervention.objects.within(departement)
            .filter(title__endswith="(démo)")
            .exists()
        ):
            report.already_loaded.append(code)
            continue
        rng = random.Random(f"{seed}-{code}")  # noqa: S311 - demo data, not security
        with transaction.atomic():
            for plan in _plans(rng, departement):
                _load(rng, plan, admin, report)
        report.departements.append(code)
    return report


def _operators(departement: Territory) -> list[Organization]:
    return [
        Organization.objects.get_or_create(
            name=f"{name} {departement.code} (démo)",
            territory=departement,
            defaults={"kind": OrganizationKind.ASSOCIATION},
        )[0]
        for name in OPERATORS
    ]


def _plans(rng: random.Random, departement: Territory) -> list[dict]:
    operators = _operators(departement)
    sites = list(Site.objects.within(departement).open().order_by("pk"))
    plans = []
    for index, (title, themes, kind) in enumerate(rng.sample(ACTIONS, 4)):
        chosen = (
            rng.sample(sites, min(len(sites), rng.randint(1, 3)))
            if kind == "on_sites"
            else []
        )
        plans.append({"title": title, "themes": themes, "kind": kind, "sites": chosen,
                      "territory": departement, "operator": operators[index % len(operators)],
                      "partners": [operators[(index + 1) % len(operators)]], "user": None})  # fmt: skip
    for commune_code, email in CONTRIBUTORS.items():
        if commune_code.startswith(departement.code):
            plans.append(_contributor_plan(commune_code, email, departement, operators))
    return plans


def _contributor_plan(code: str, email: str, departement, operators) -> dict:
    commune = Territory.objects.get(level=Level.COMMUNE, code=code)
    user = User.objects.get(email=email)
    sites = list(Site.objects.within(commune).open().order_by("pk")[:2])
    return {"title": "Maraude et accès aux droits", "themes": [Theme.ACCESS_TO_RIGHTS, Theme.HEALTH],
            "kind": "on_sites" if sites else "other", "sites": sites, "territory": commune,
            "operator": user.organization, "partners": [operators[0]], "user": user}  # fmt: skip


def _load(rng: random.Random, plan: dict, admin, report: InterventionsReport) -> None:
    start_year = rng.randint(FIRST_YEAR - 1, FIRST_YEAR)
    started = datetime.date(start_year, rng.randint(1, 9), 1)
    user = plan["user"] or admin
    data = {
        "title": f"{plan['title']} (démo)", "themes": plan["themes"],
        "lead_operator": plan["operator"], "territory": plan["territory"],
        "location_kind": plan["kind"], "sites": plan["sites"], "partners": plan["partners"],
        "location_text": "" if plan["sites"] else "Secteur nord de la commune",
        "started_on": started, "status": InterventionStatus.IN_PROGRESS,
        "goals": "Aller vers les habitants, ouvrir les droits, suivre chaque famille.",
    }  # fmt: skip
    intervention = create_intervention(data, acting_user=user)
    _date_last_revision(intervention, started)
    report.interventions += 1
    _history(rng, intervention, user, start_year, report)
    if plan["user"] is not None:
        for site in plan["sites"]:
            if (
                not site.presences.current()
                .filter(organization=user.organization)
                .exists()
            ):
                declare_presence(site, acting_user=user, started_on=started)


def _history(rng, intervention: Intervention, user, start_year: int, report) -> None:
    # The last year is left unreported for some: the overdue list has something to show.
    last = LAST_YEAR if rng.random() < 0.5 else LAST_YEAR - 1
    for year in range(start_year, last + 1):
        add_report(intervention, _counts(rng, year), acting_user=user)
        _date_last_revision(intervention, datetime.date(year, 11, 15))
        report.reports += 1
        for source in rng.sample(["state", "local_authority", "eu", "private"], 2):
            planned = rng.randint(5, 60) * 1000
            spent = planned if year < LAST_YEAR else planned * rng.randint(3, 9) // 10
            set_funding(intervention, {"year": year, "source_kind": source,
                        "amount_planned": planned, "amount_spent": spent}, acting_user=user)  # fmt: skip
            _date_last_revision(intervention, datetime.date(year, 3, 1))
            report.funding_lines += 1
    add_note(intervention, rng.choice(NOTES), acting_user=user)
    if last < LAST_YEAR and rng.random() < 0.3:
        close_intervention(intervention, acting_user=user, expected_version=intervention.version,
                           status=InterventionStatus.COMPLETED, ended_on=datetime.date(last, 12, 31))  # fmt: skip
        _date_last_revision(intervention, datetime.date(last, 12, 31))


def _counts(rng: random.Random, year: int) -> dict:
    people = rng.randint(15, 140)
    minors = rng.randint(0, people * 2 // 5)
    schooled = [rng.randint(0, minors // 3) for _ in range(3)]
    return {
        "reported_on": datetime.date(year, 11, rng.randint(1, 28)),
        "people": people, "households": rng.randint(people // 5, people // 2),
        "women": rng.randint(people // 4, people // 2), "minors": minors,
        "health_followups": rng.randint(0, people // 2),
        "in_employment_or_training": rng.randint(0, people // 4),
        "sheltered": rng.randint(0, people // 5), "housed": rng.randint(0, people // 8),
        "schooled_kindergarten": schooled[0], "schooled_primary": schooled[1],
        "schooled_secondary": schooled[2],
    }  # fmt: skip


def _date_last_revision(intervention: Intervention, day: datetime.date) -> None:
    """Demo data only: date the revision just made to the story it tells."""
    at = datetime.datetime.combine(day, datetime.time(10), tzinfo=PARIS)
    last = (
        InterventionRevision.objects.filter(intervention=intervention)
        .order_by("-pk")
        .first()
    )
    if last is not None:
        InterventionRevision.objects.filter(pk=last.pk).update(at=min(at, last.at))
