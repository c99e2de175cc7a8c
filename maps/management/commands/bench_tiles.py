"""Benchmark: N synthetic sites, the z5 tiles of France for a national user, then gone.

Everything happens in one transaction that is rolled back: no data is left behind.
"""

import math
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from actors.models import Grant, User
from actors.roles import Role
from maps import tiles
from maps.tiles import Tile
from sites.models import Site
from territory.models import Level, Territory

# Paris, for a few deeper tiles beside the national view.
PARIS = (2.3522, 48.8566)


class Command(BaseCommand):
    help = "Render the z5 site tiles of France over N synthetic sites (rolled back)."

    def add_arguments(self, parser):
        parser.add_argument("--sites", type=int, default=200_000)

    def handle(self, *args, sites: int, **options):
        with transaction.atomic():
            self.stdout.write(f"Creating {sites} synthetic sites...")
            started = time.perf_counter()
            make_sites(sites)
            self.stdout.write(f"  done in {time.perf_counter() - started:.1f} s")
            user = national_user()
            rows = [measure(user, tile) for tile in benchmark_tiles()]
            transaction.set_rollback(True)
        self.stdout.write(f"{'tile':<16}{'features':>10}{'bytes':>10}{'ms':>9}")
        for tile, count, size, ms in rows:
            self.stdout.write(f"{tile:<16}{count:>10}{size:>10}{ms:>9.1f}")
        biggest = max(rows, key=lambda row: row[2])
        self.stdout.write(f"Largest tile: {biggest[0]}, {biggest[2]} bytes.")


def make_sites(count: int) -> None:
    """Copies of one real site spread over every commune, by one INSERT ... SELECT."""
    communes = Territory.objects.communes()
    # Paris where France is loaded; any commune in a partial (test) reference.
    commune = communes.filter(code="75056").first() or communes.first()
    if commune is None:
        raise CommandError("No commune: import the territories first.")
    template = Site.objects.create(
        point=commune.geom.point_on_surface, commune=commune, name="bench"
    )
    copied = [
        str(f.column)
        for f in Site._meta.concrete_fields
        if f.column not in ("id", "point", "commune_id", "people")
    ]
    columns = ", ".join(copied)
    source = ", ".join(f"t.{c}" for c in copied)
    table, territories = Site._meta.db_table, Territory._meta.db_table
    srid = settings.GEO_SRID
    sql = f"""
WITH c AS (
    SELECT id, ST_PointOnSurface(COALESCE(display_geom, geom)) AS pt,
           row_number() OVER (ORDER BY id) - 1 AS n
    FROM {territories} WHERE level = 'commune'
), total AS (SELECT count(*) AS n FROM c)
INSERT INTO {table} ({columns}, point, commune_id, people)
SELECT {source},
       ST_SetSRID(ST_MakePoint(ST_X(c.pt) + (random() - 0.5) * 0.01,
                               ST_Y(c.pt) + (random() - 0.5) * 0.01), {srid}),
       c.id, (random() * 200)::int
FROM {table} t, generate_series(1, %s) g, total
JOIN c ON true
WHERE t.id = %s AND c.n = (g * 7919) %% total.n"""  # noqa: S608 (model names only)
    with connection.cursor() as cursor:
        cursor.execute(sql, [count - 1, template.pk])
        cursor.execute(f"ANALYZE {table}")


def national_user() -> User:
    user = User.objects.create_user("bench-tiles@example.invalid")
    nation = Territory.objects.get(level=Level.NATION)
    Grant.objects.create(user=user, role=Role.NATIONAL, territory=nation)
    return user


def tile_at(lon: float, lat: float, z: int) -> Tile:
    side = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * side
    return Tile(z, int((lon + 180) / 360 * side), int(y))


def benchmark_tiles() -> list[Tile]:
    """Every z5 tile holding a département (mainland and overseas), then Paris deeper."""
    departements = Territory.objects.of_level(Level.DEPARTEMENT)
    points = [d.geom.point_on_surface for d in departements.only("geom")]
    national = sorted({tile_at(p.x, p.y, 5) for p in points}, key=str)
    return national + [tile_at(*PARIS, z) for z in (8, 11, 13)]


def measure(user, tile: Tile) -> tuple[str, int | str, int, float]:
    started = time.perf_counter()
    data = tiles.render(tiles.sites_tile(Site.objects.visible_to(user), tile))
    ms = (time.perf_counter() - started) * 1000
    return f"{tile.z}/{tile.x}/{tile.y}", feature_count(data), len(data), ms


def feature_count(data: bytes) -> int | str:
    try:  # a dev dependency: the table shows "-" where it is not installed
        import mapbox_vector_tile
    except ImportError:
        return "-"
    decoded = mapbox_vector_tile.decode(data) if data else {}
    return sum(len(layer["features"]) for layer in decoded.values())
