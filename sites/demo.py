"""Demo sites for `make run`: a generated, deterministic and believable set of sites.

Never in production: like the demo accounts, it refuses to run unless
DEMO_DATA_ENABLED. Every write goes through the services (declare_site, update_site,
close_site, add_note), so demo sites get the same checks, revisions and audit events
as real ones. The plan (which sites, where, with which history) is a pure function of
the seed and of the communes loaded: `plan_demo_sites` computes it, `load_demo_sites`
applies it.

Names and texts describe places and facts, never people: no resident is named, and
every free text passes the personal-data guard like any user's.
"""

import datetime
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from actors.demo import DEMO_ACCOUNTS, DemoDisabled
from actors.models import User
from lib.living_conditions import BAD, GOOD, STATUS_BY_FACT, THEMES, TO_IMPROVE
from sites.importers import read_rows
from sites.models import (
    LandOwnerType,
    Site,
    SiteKind,
    SiteNote,
    SiteRevision,
    SiteStatus,
)
from sites.services.accessibility import dataset_for, import_points
from sites.services.site import add_note, close_site, declare_site, update_site
from territory.models import Level, Territory

DEMO_DEPARTEMENTS = ("92", "93", "13", "69", "31", "33", "44", "59")
DEMO_ADMIN_EMAIL = DEMO_ACCOUNTS[0][0]  # the superadmin, granted on all of France
GPSO_DEPARTEMENT = "92"
GPSO_FILE = (
    settings.BASE_DIR
    / "data"
    / "reference"
    / "accessibility"
    / "gpso-92-places-stationnement-pmr.geojson.xz"
)

# Fixed dates, not today's: the plan must be the same whatever day it is computed.
FIRST_OPENING = datetime.date(2022, 1, 1)
LAST_OPENING = datetime.date(2026, 6, 30)
HORIZON = datetime.date(2026, 11, 30)
PARIS = ZoneInfo(settings.TIME_ZONE)

SITES_PER_DEPARTEMENT = (6, 12)
SITES_PER_ACCOUNT_COMMUNE = 3
UPDATED_SHARE, CLOSED_SHARE = 0.5, 0.2
POINT_TRIES = 200
MIN_SPACING_DEGREES = 0.004  # about 300-400 m between two demo sites of a département
BORDER_MARGIN_DEGREES = 0.0003  # about 25-30 m inside the commune's boundary

KIND_WEIGHTS = {
    SiteKind.LAND: 35,
    SiteKind.BUILDING: 30,
    SiteKind.ENCAMPMENT: 25,
    SiteKind.OTHER: 10,
}
NAME_PREFIXES = {
    SiteKind.LAND: ("Terrain", "Bidonville", "Friche"),
    SiteKind.BUILDING: ("Squat", "Immeuble", "Ancien entrepôt"),
    SiteKind.ENCAMPMENT: ("Campement", "Tentes"),
    SiteKind.OTHER: ("Caravanes", "Abris"),
}
PEOPLE_RANGE = {
    SiteKind.LAND: (15, 220),
    SiteKind.BUILDING: (8, 120),
    SiteKind.ENCAMPMENT: (4, 60),
    SiteKind.OTHER: (3, 40),
}
STREETS = (
    "rue des Lilas", "avenue de la République", "chemin des Carrières", "quai de la Gare",
    "boulevard de l'Europe", "impasse du Moulin", "route de la Digue", "allée des Peupliers",
    "rue du Canal", "rue de la Liberté", "avenue de la Paix", "rue des Jardins",
    "chemin du Halage", "rue de l'Industrie", "rue du Marché", "avenue des Tilleuls",
    "rue de la Fontaine", "chemin du Stade", "rue du Port", "rue des Écoles",
    "avenue du Parc", "rue de la Croix-Blanche", "impasse des Acacias", "rue des Sablons",
    "route des Vignes", "boulevard du 8-Mai-1945", "rue de la Libération", "chemin des Prés",
    "rue des Glycines", "allée des Marronniers", "quai du Canal", "rue de la Prairie",
    "avenue de la Gare", "rue du Pont", "chemin de la Ferme", "rue des Usines",
    "rue de la Briqueterie", "impasse de la Forge", "rue des Rosiers", "avenue des Platanes",
)  # fmt: skip
ADDRESS_DETAILS = {
    SiteKind.LAND: (
        "Friche le long de la voie ferrée, accès par le chemin de service.",
        "Terrain vague derrière la zone d'activités.",
        "Parcelle en bord de rocade, entrée côté déchetterie.",
        "",
    ),
    SiteKind.BUILDING: (
        "Ancien bâtiment de bureaux, entrée par la cour.",
        "Immeuble muré, accès par le portail côté parking.",
        "Entrepôt désaffecté au fond de l'impasse.",
        "",
    ),
    SiteKind.ENCAMPMENT: (
        "Sous le pont de l'autoroute.",
        "Le long du canal, entre les deux passerelles.",
        "Talus près de l'échangeur.",
        "",
    ),
    SiteKind.OTHER: (
        "Caravanes sur le parking de l'ancien supermarché.",
        "Abris de fortune dans le square.",
        "",
    ),
}
POPULATION_SOURCES = (
    "Maraude associative",
    "Diagnostic social",
    "Recensement de la préfecture",
    "Équipe de médiation sanitaire",
    "Estimation de la commune",
)
CLOSURES = {
    SiteStatus.CLOSED_COURT: "Expulsion après décision du tribunal judiciaire.",
    SiteStatus.CLOSED_PREFECTORAL: "Évacuation sur arrêté préfectoral, diagnostic social réalisé avant.",
    SiteStatus.CLOSED_MUNICIPAL: "Arrêté municipal de mise en sécurité, site évacué.",
    SiteStatus.RESORBED: "Résorption accompagnée : relogement et hébergement des ménages.",
    SiteStatus.CLOSED_OTHER: "Départ des occupants après un incendie, terrain vidé.",
}
# Field notes about the place and the actions, never about a person.
NOTES = (
    "Maraude : distribution d'eau, {n} familles rencontrées.",
    "Passage de l'équipe de médiation sanitaire : {n} personnes orientées vers la PMI.",
    "Visite conjointe avec le CCAS, point sur la scolarisation des enfants.",
    "Collecte des déchets organisée avec la commune, {n} bennes évacuées.",
    "Installation de {n} extincteurs par l'association.",
    "Réunion d'information sur l'accès à l'eau : la borne fontaine est en panne.",
    "Rats signalés près des abris ; demande de dératisation transmise à la mairie.",
    "Campagne de vaccination : {n} personnes vaccinées par l'équipe mobile.",
    "Diagnostic social en cours, {n} ménages rencontrés.",
    "Branchements électriques précaires constatés, risque d'incendie signalé.",
    "Distribution de kits d'hygiène, {n} familles rencontrées.",
    "Permanence d'accès aux droits : {n} demandes de domiciliation accompagnées.",
)
STATUS_RANK = {GOOD: 0, TO_IMPROVE: 1, BAD: 2, "unknown": 3}
FACT_WEIGHTS = {GOOD: 1, TO_IMPROVE: 2, BAD: 3}


@dataclass
class PlannedStep:
    at: datetime.datetime
    action: str  # "update", "close" or "note"
    data: dict


@dataclass
class PlannedSite:
    departement: str
    commune_code: str
    declared_at: datetime.datetime
    data: dict  # what declare_site receives
    steps: list[PlannedStep] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def point(self) -> Point:
        return self.data["point"]


@dataclass
class DemoReport:
    sites: int = 0
    revisions: int = 0
    closed: int = 0
    notes: int = 0
    accessibility_points: int = 0  # created by this run
    accessibility_summary: str = ""
    departements: list[str] = field(default_factory=list)  # loaded by this run
    already_loaded: list[str] = field(default_factory=list)
    not_available: list[str] = field(default_factory=list)  # communes not imported

    def summary(self) -> str:
        if self.sites:
            parts = [
                f"{self.sites} created in {', '.join(self.departements)} "
                f"({self.revisions} revisions, {self.closed} closed, {self.notes} notes)"
            ]
        else:
            parts = ["no demo site created"]
        if self.already_loaded:
            parts.append(f"already loaded in {', '.join(self.already_loaded)}")
        if self.not_available:
            parts.append(f"communes not imported in {', '.join(self.not_available)}")
        if self.accessibility_summary:
            parts.append(f"GPSO accessibility points: {self.accessibility_summary}")
        return "Demo sites: " + "; ".join(parts) + "."


# --- the plan -------------------------------------------------------------------


def plan_demo_sites(
    *, seed: int = 2026, departements=DEMO_DEPARTEMENTS
) -> list[PlannedSite]:
    """Every demo site with its history; the same seed and communes give the same plan."""
    plans: list[PlannedSite] = []
    for code in departements:
        departement = _available_departement(code)
        if departement is not None:
            plans.extend(_plan_departement(departement, seed))
    return plans


def _available_departement(code: str) -> Territory | None:
    departement = Territory.objects.filter(level=Level.DEPARTEMENT, code=code).first()
    if (
        departement is None
        or not Territory.objects.communes().within(departement).exists()
    ):
        return None
    return departement


def _plan_departement(departement: Territory, seed: int) -> list[PlannedSite]:
    # One generator per département, so its sites do not depend on the others loaded.
    rng = random.Random(f"{seed}:{departement.code}")  # noqa: S311 - demo data, not security
    communes = list(
        Territory.objects.communes()
        .within(departement)
        .order_by("code")
        .values_list("id", "population")
    )
    count = rng.randint(*SITES_PER_DEPARTEMENT)
    chosen = rng.choices(
        [pk for pk, _ in communes],
        weights=[max(population or 0, 1) for _, population in communes],
        k=count,
    )
    geometries = {
        t.pk: t
        for t in Territory.objects.filter(pk__in=chosen).only(
            "id", "code", "name", "geom"
        )
    }
    updated = set(rng.sample(range(count), max(1, round(count * UPDATED_SHARE))))
    closed = set(rng.sample(range(count), max(1, round(count * CLOSED_SHARE))))
    names: set[str] = set()
    points: list[Point] = []
    plans = []
    for index, pk in enumerate(chosen):
        commune = geometries[pk]
        point = _point_in(rng, commune.geom, points)
        points.append(point)
        plan = _plan_site(rng, commune, point, names)
        plan.departement = departement.code
        plan.steps = _plan_history(
            rng, plan.data, updates=index in updated, closes=index in closed
        )
        plans.append(plan)
    # Each demo contributor has open sites to work on in its own commune; their own
    # generator leaves the département's other sites as they were.
    own = random.Random(f"{seed}:{departement.code}:accounts")  # noqa: S311 - demo data
    home = _account_communes(departement) * SITES_PER_ACCOUNT_COMMUNE
    communes_by_pk = {
        t.pk: t
        for t in Territory.objects.filter(pk__in=home).only(
            "id", "code", "name", "geom"
        )
    }
    for index, pk in enumerate(home):
        commune = communes_by_pk[pk]
        point = _point_in(own, commune.geom, points)
        points.append(point)
        plan = _plan_site(own, commune, point, names)
        plan.departement = departement.code
        plan.steps = _plan_history(own, plan.data, updates=index == 0, closes=False)
        plans.append(plan)
    return plans


def _account_communes(departement: Territory) -> list[int]:
    """The communes of this département where a demo account holds its grant."""
    codes = [
        code
        for _email, _role, (level, code), *_rest in DEMO_ACCOUNTS
        if level == Level.COMMUNE
    ]
    return list(
        Territory.objects.communes()
        .within(departement)
        .filter(code__in=codes)
        .order_by("code")
        .values_list("id", flat=True)
    )


def _point_in(rng: random.Random, geom, taken: list[Point]) -> Point:
    """A random point inside the commune, off its border, away from other demo sites."""
    xmin, ymin, xmax, ymax = geom.extent
    border = geom.boundary
    fallback = None
    for _ in range(POINT_TRIES):
        point = Point(
            round(rng.uniform(xmin, xmax), 6),
            round(rng.uniform(ymin, ymax), 6),
            srid=settings.GEO_SRID,
        )
        if not geom.contains(point) or border.distance(point) < BORDER_MARGIN_DEGREES:
            continue
        if all(point.distance(other) >= MIN_SPACING_DEGREES for other in taken):
            return point
        fallback = fallback or point
    if fallback is not None:
        return fallback
    surface = geom.point_on_surface
    return Point(surface.x, surface.y, srid=settings.GEO_SRID)


def _plan_site(
    rng: random.Random, commune: Territory, point: Point, names: set[str]
) -> PlannedSite:
    kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
    for _ in range(20):
        street = rng.choice(STREETS)
        name = f"{rng.choice(NAME_PREFIXES[kind])} {street}"
        if name not in names:
            break
    else:
        name = f"{name} ({commune.name})"
    names.add(name)
    number = rng.randint(1, 160)
    address = (
        f"{number} {street}, {commune.name}"
        if kind == SiteKind.BUILDING or rng.random() < 0.5
        else f"{street[0].upper()}{street[1:]}, {commune.name}"
    )
    opened_on = _day_between(rng, FIRST_OPENING, LAST_OPENING)
    declared_on = opened_on + datetime.timedelta(days=rng.randint(0, 60))
    declared_at = _moment(rng, declared_on)
    data = {
        "name": name,
        "point": point,
        "address": address,
        "address_details": rng.choice(ADDRESS_DETAILS[kind]),
        "kind": kind,
        "opened_on": opened_on,
        "declared_on": declared_on,
        "land_owner_type": rng.choice(LandOwnerType.values),
        **_facts(rng, kind),
    }
    if rng.random() < 0.9:  # one site in ten: population not yet estimated
        data |= _counts(rng, rng.randint(*PEOPLE_RANGE[kind]), declared_on)
    return PlannedSite(
        departement="",
        commune_code=commune.code,
        declared_at=declared_at,
        data=data,
    )


def _facts(rng: random.Random, kind: str) -> dict[str, str]:
    facts = {}
    for theme in THEMES:
        if rng.random() < 0.12:
            facts[theme] = "unknown"
            continue
        options = list(STATUS_BY_FACT[theme].items())
        weights = [
            FACT_WEIGHTS[status]
            * (3 if kind == SiteKind.BUILDING and status == GOOD else 1)
            for _, status in options
        ]
        facts[theme] = rng.choices([fact for fact, _ in options], weights=weights)[0]
    return facts


def _counts(rng: random.Random, people: int, on: datetime.date) -> dict:
    """Population counts that satisfy Site.clean(): every part within its whole."""
    households = min(people, max(1, round(people / rng.uniform(2.2, 4.5))))
    women = min(people, round(people * rng.uniform(0.3, 0.55)))
    minors = min(people, round(people * rng.uniform(0.15, 0.45)))
    bands: list[int | None] = [None] * 4
    if minors and rng.random() < 0.7:
        weights = [rng.uniform(0.5, 1.5) for _ in bands]
        bands = [
            int(minors * w / sum(weights)) for w in weights
        ]  # floors: sum <= minors
    school_age = minors if bands[0] is None else bands[2] + bands[3]
    return {
        "people": people,
        "households": households,
        "women": women,
        "minors": minors,
        "minors_0_3": bands[0],
        "minors_3_6": bands[1],
        "minors_6_12": bands[2],
        "minors_12_18": bands[3],
        "minors_in_school": min(minors, round(school_age * rng.uniform(0.2, 0.9))),
        "population_date": on,
        "population_source": rng.choice(POPULATION_SOURCES),
    }


def _plan_history(
    rng: random.Random, data: dict, *, updates: bool, closes: bool
) -> list[PlannedStep]:
    declared_on = data["declared_on"]
    closed_on = None
    last_day = HORIZON
    if closes:
        closed_on = _day_between(
            rng, declared_on + datetime.timedelta(days=30), HORIZON
        )
        last_day = closed_on - datetime.timedelta(days=1)
    actions = ["update"] * (rng.randint(1, 3) if updates else 0)
    actions += ["note"] * rng.randint(1, 3)
    rng.shuffle(actions)
    first_day = declared_on + datetime.timedelta(days=1)
    span = (last_day - first_day).days + 1
    offsets = sorted(rng.sample(range(span), min(len(actions), span)))
    # One event per day at most: revisions stay in version order.
    state = dict(data)
    steps = []
    for action, offset in zip(actions, offsets, strict=False):
        day = first_day + datetime.timedelta(days=offset)
        if action == "update":
            change = _change(rng, state, day)
            state |= change
            steps.append(PlannedStep(_moment(rng, day), "update", change))
        else:
            text = rng.choice(NOTES).format(n=rng.randint(2, 25))
            steps.append(PlannedStep(_moment(rng, day), "note", {"text": text}))
    if closed_on is not None:
        steps.append(
            PlannedStep(
                _moment(rng, closed_on), "close", _closure(rng, state, closed_on)
            )
        )
    return steps


def _change(rng: random.Random, state: dict, day: datetime.date) -> dict:
    """A later visit: a new population estimate, better living conditions, or both."""
    improvable = [t for t in THEMES if STATUS_RANK[_status(t, state[t])] > 0]
    what = rng.choice(("population", "conditions", "both"))
    if not improvable:
        what = "population"
    change: dict = {}
    if what in ("population", "both"):
        before = state.get("people")
        low, high = PEOPLE_RANGE[state["kind"]]
        people = (
            max(1, round(before * rng.uniform(0.75, 1.3)))
            if before
            else rng.randint(low, high)
        )
        if people == before:
            people += rng.randint(1, 5)
        change |= _counts(rng, people, day)
    if what in ("conditions", "both"):
        for theme in rng.sample(improvable, min(len(improvable), rng.randint(1, 2))):
            rank = STATUS_RANK[_status(theme, state[theme])]
            better = [
                fact
                for fact, status in STATUS_BY_FACT[theme].items()
                if STATUS_RANK[status] < rank
            ]
            change[theme] = rng.choice(better)
    return change


def _closure(rng: random.Random, state: dict, closed_on: datetime.date) -> dict:
    status = rng.choice(list(CLOSURES))
    people = state.get("people")
    housed = sheltered = no_solution = None
    if people and status != SiteStatus.CLOSED_OTHER:
        housed_share = (
            rng.uniform(0.3, 0.7)
            if status == SiteStatus.RESORBED
            else rng.uniform(0, 0.2)
        )
        housed = round(people * housed_share)
        sheltered = round((people - housed) * rng.uniform(0.2, 0.8))
        no_solution = people - housed - sheltered
    return {
        "status": status,
        "closed_on": closed_on,
        "reason": CLOSURES[status],
        "housed": housed,
        "sheltered": sheltered,
        "no_solution": no_solution,
    }


def _status(theme: str, fact: str) -> str:
    return STATUS_BY_FACT[theme].get(fact, "unknown")


def _day_between(
    rng: random.Random, first: datetime.date, last: datetime.date
) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _moment(rng: random.Random, day: datetime.date) -> datetime.datetime:
    """A working hour of that day, Paris time."""
    hour, minute = rng.randint(8, 18), rng.choice((0, 15, 30, 45))
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


# --- loading --------------------------------------------------------------------


def load_demo_sites(
    *, seed: int = 2026, departements=DEMO_DEPARTEMENTS, acting_user=None
) -> DemoReport:
    """Declare the planned sites and their histories; a département already loaded is skipped."""
    if not settings.DEMO_DATA_ENABLED:
        raise DemoDisabled(
            "DEMO_DATA_ENABLED is off: demo sites are never created in production."
        )
    user = acting_user or _demo_admin()
    report = DemoReport()
    for code in departements:
        departement = _available_departement(code)
        if departement is None:
            report.not_available.append(code)
            continue
        plans = _plan_departement(departement, seed)
        if (
            Site.objects.within(departement)
            .filter(name__in=[p.name for p in plans])
            .exists()
        ):
            report.already_loaded.append(code)
            continue
        with transaction.atomic():  # a département is loaded whole or not at all
            for plan in plans:
                _apply(plan, user, report)
        report.departements.append(code)
    if GPSO_DEPARTEMENT in (*report.departements, *report.already_loaded):
        result = import_points(
            read_rows(GPSO_FILE),
            dataset=dataset_for(
                "gpso/places-pmr", "Places de stationnement PMR (GPSO)"
            ),
            partial=True,
            acting_user=user,
        )
        report.accessibility_points = result.created
        report.accessibility_summary = result.summary()
    return report


def _demo_admin() -> User:
    try:
        return User.objects.get(email=DEMO_ADMIN_EMAIL)
    except User.DoesNotExist:
        raise DemoDisabled(
            f"{DEMO_ADMIN_EMAIL} does not exist: load the demo accounts first."
        ) from None


def _apply(plan: PlannedSite, user, report: DemoReport) -> None:
    data = dict(plan.data, point=plan.point.clone())
    site = declare_site(data, acting_user=user, confirm_nearby=True)
    _backdate_revision(site, plan.declared_at)
    report.sites += 1
    report.revisions += 1
    last_at = plan.declared_at
    for step in plan.steps:
        if step.action == "note":
            note = add_note(site, step.data["text"], acting_user=user)
            # Demo data only: the note is dated on the day of the visit it tells.
            SiteNote.objects.filter(pk=note.pk).update(written_at=_past(step.at))
            report.notes += 1
            continue
        if step.action == "update":
            site = update_site(
                site, step.data, acting_user=user, expected_version=site.version
            )
        else:
            site = close_site(
                site, acting_user=user, expected_version=site.version, **step.data
            )
            report.closed += 1
        _backdate_revision(site, step.at)
        report.revisions += 1
        last_at = step.at
    # Demo data only: the site's own timestamps match its story, so lists sorted by
    # last change look lived-in. The audit log keeps the real time of the load.
    Site.objects.filter(pk=site.pk).update(
        created_at=_past(plan.declared_at), updated_at=_past(last_at)
    )


def _backdate_revision(site: Site, at: datetime.datetime) -> None:
    """Demo data only: the services stamp revisions with now; move the one just made
    to the moment of the story it tells, so the change log and `as_of` read true."""
    SiteRevision.objects.filter(site=site, version=site.version).update(at=_past(at))


def _past(at: datetime.datetime) -> datetime.datetime:
    return min(at, timezone.now())
