"""The explicit list of indicators: name, unit, formula and source, shown on the
method page (/public/method/) and used as column headers everywhere."""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lib.living_conditions import THEMES as CONDITION_THEMES

# Living-condition themes published (pests stay internal: not asked by the ministry).
PUBLISHED_THEMES = tuple(t for t in CONDITION_THEMES if t != "pests")
KINDS = ("land", "building", "encampment", "other")
CONDITION_STATUSES = ("good", "to_improve", "bad", "unknown")
PERSON_COUNTS = ("people", "households", "minors", "minors_in_school")


@dataclass(frozen=True)
class Indicator:
    key: str
    name: Promise
    unit: Promise
    formula: Promise
    source: Promise
    restricted: bool = False  # shown only to users allowed to see funding


SITES = _("sites")
PEOPLE = _("people")
COUNT = _("count")
EUROS = _("euros")
SPACES = _("parking spaces")
SOURCE_SITES = _(
    "sites declared on Terrain Commun (current state, or history at a past date)"
)
SOURCE_REPORTS = _("yearly reports of interventions (latest report of each year)")

INDICATORS: tuple[Indicator, ...] = (
    Indicator("open_sites", _("open sites"), SITES, _("number of sites whose status is open on the date"), SOURCE_SITES),
    Indicator("people", _("people"), PEOPLE, _("sum of the latest population estimate of each open site"), SOURCE_SITES),
    Indicator("households", _("households"), _("households"), _("sum of households of open sites"), SOURCE_SITES),
    Indicator("minors", _("minors"), PEOPLE, _("sum of minors of open sites"), SOURCE_SITES),
    Indicator("minors_in_school", _("minors in school"), PEOPLE, _("sum of minors in school of open sites"), SOURCE_SITES),
    Indicator("by_kind", _("sites and people by kind of site"), SITES, _("open sites and their people, grouped by kind (land, building, encampment, other)"), SOURCE_SITES),
    Indicator("conditions", _("living conditions"), _("share (%)"), _("for water, toilets, electricity, waste collection and fire safety: open sites (and their people) whose computed status is good, to improve, bad or unknown, divided by all open sites (people)"), SOURCE_SITES),
    Indicator("openings", _("openings"), SITES, _("sites whose opening date (else declaration date) falls in the period"), SOURCE_SITES),
    Indicator("closures", _("closures and outcomes"), SITES, _("sites closed in the period by closure status, with the people housed, sheltered and without solution at closure"), SOURCE_SITES),
    Indicator("rehoused", _("people re-housed"), PEOPLE, _("sum of people housed at the closure of sites closed in the period"), SOURCE_SITES),
    Indicator("interventions", _("interventions and people reached"), COUNT, _("interventions reporting in the year, and the people they reached, by theme (an intervention with two themes counts in both)"), SOURCE_REPORTS),
    Indicator("funding", _("funding by year"), EUROS, _("sum of planned and spent amounts of the funding lines of each year"), _("funding lines of interventions"), restricted=True),
    Indicator("accessibility", _("accessibility spaces per commune"), SPACES, _("parking spaces reserved for people with reduced mobility, not removed, summed per commune"), _("accessibility points (volunteers, municipalities, open data)")),
)  # fmt: skip
BY_KEY = {indicator.key: indicator for indicator in INDICATORS}

# Choropleth choices: a per-sub-territory figure.
MAP_INDICATORS = {
    "open_sites": _("open sites"),
    "people": _("people"),
    "minors": _("minors"),
}
