"""Fresh planner statistics (and visibility map) after a bulk load."""

from django.db import connection


def refresh_statistics(*tables: str) -> None:
    """ANALYZE the tables, and VACUUM them too when not inside a transaction.

    VACUUM marks the pages all-visible: until autovacuum gets there, an index-only
    scan (communes by département, for instance) still reads every row it finds.
    It cannot run in a transaction (a test's, an atomic import's): ANALYZE only then.
    """
    command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{command} {connection.ops.quote_name(table)}")
