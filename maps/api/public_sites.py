"""What anonymous visitors see of sites on the map: open sites counted per
département and per commune, protected by lib.disclosure with the rules of the
public open data (maps.indicators.public), never a site.

Each département is a small table of its own (the département's cell is the sum of
its communes' cells), so secondary suppression never has to look beyond it. The
protected figures of the whole country are computed in one grouped query and kept
in the cache for CACHE_SECONDS: every anonymous tile then reads them from there.
"""

from django.core.cache import cache
from django.db import connections, router

from lib.disclosure import Cell, hierarchy_equations, protect, round_people
from maps.indicators.public import rules_from_settings
from sites.models import Site
from territory.models import Territory

CACHE_SECONDS = 600
CACHE_KEY = "maps:public-site-aggregates"
TOTAL = "all"
# territory id -> (open sites, people rounded by the disclosure rules)
Published = dict[int, tuple[int, int]]


def published_aggregates() -> Published:
    """The département and commune figures that may be shown to anyone."""
    published = cache.get(CACHE_KEY)
    if published is None:
        published = compute()
        cache.set(CACHE_KEY, published, CACHE_SECONDS)
    return published


def _open_sites_by_commune() -> dict[int, dict[int, Cell]]:
    """département id -> commune id -> its open sites (count, people, largest)."""
    sites, communes = Site._meta.db_table, Territory._meta.db_table
    sql = f"""SELECT c.parent_id, s.commune_id, count(*),
        coalesce(sum(s.people), 0), coalesce(max(s.people), 0)
    FROM {sites} s JOIN {communes} c ON c.id = s.commune_id
    WHERE s.status = 'open' AND c.parent_id IS NOT NULL
    GROUP BY c.parent_id, s.commune_id"""  # noqa: S608 (table names only)
    blocks: dict[int, dict[int, Cell]] = {}
    with connections[router.db_for_read(Site)].cursor() as cursor:
        cursor.execute(sql)
        for departement, commune, count, people, largest in cursor.fetchall():
            blocks.setdefault(departement, {})[commune] = Cell(count, people, largest)
    return blocks


def compute() -> Published:
    rules = rules_from_settings()
    published: Published = {}
    for departement, communes in _open_sites_by_commune().items():
        # Communes without an open site are known zeros: left out of the equation.
        total = sum(communes.values(), Cell(0, 0, 0))
        cells = {(departement, TOTAL): total}
        cells |= {(commune, TOTAL): cell for commune, cell in communes.items()}
        parents = {departement: None} | dict.fromkeys(communes, departement)
        status = protect(cells, hierarchy_equations(parents, {}, TOTAL), rules)
        for (territory, _), cell in cells.items():
            if not status[(territory, TOTAL)]:
                people = round_people(cell.people, rules.rounding)
                published[territory] = (cell.sites, people)
    return published
