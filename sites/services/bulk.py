"""Bulk writes through PostgreSQL's COPY, for imports of tens of thousands of rows.

`bulk_create` sends a batch as one INSERT with twenty parameters a row, and
`bulk_update` as one CASE per field whose branches PostgreSQL walks for every
row (quadratic in the batch). COPY streams the rows instead: creating points
costs one statement a batch, updating them three (COPY into a scratch table,
UPDATE ... FROM, TRUNCATE), whatever the batch's size.

Model instances are saved as `save()` would: each field's `pre_save` (auto_now
dates) and `get_db_prep_save`; geometries go as hex EWKB, exact to the bit.
"""

import datetime
from collections.abc import Iterable, Sequence

from django.contrib.gis.db.models import GeometryField
from django.db import connection
from django.db.models import Field, Model

PLAIN = {str, int, bool, datetime.datetime}


def copy_create(model: type[Model], objs: Sequence[Model]) -> None:
    """INSERT `objs` (without primary keys) in one COPY; their `pk` stays None."""
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    rows = ([_prepared(f, obj, add=True) for f in fields] for obj in objs)
    with connection.cursor() as cursor:
        _copy(cursor, model._meta.db_table, [f.column for f in fields], rows)


def copy_update(
    model: type[Model], objs: Sequence[Model], names: Iterable[str]
) -> None:
    """UPDATE the fields `names` of `objs` (saved instances) in three statements."""
    if not objs:
        return
    opts = model._meta
    fields = [opts.get_field(name) for name in names]
    columns = [opts.pk.column, *(f.column for f in fields)]
    quoted = [connection.ops.quote_name(c) for c in columns]
    table, scratch = opts.db_table, f"_copy_update_{opts.db_table}"
    rows = ([obj.pk, *(_prepared(f, obj, add=False) for f in fields)] for obj in objs)
    with connection.cursor() as cursor:
        # The scratch table lives for the transaction; empty after each use.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {scratch} ON COMMIT DROP AS "  # noqa: S608 - model names
            f"SELECT {', '.join(quoted)} FROM {table} WITH NO DATA"
        )
        _copy(cursor, scratch, columns, rows)
        assignments = ", ".join(f"{c} = s.{c}" for c in quoted[1:])
        cursor.execute(
            f"UPDATE {table} t SET {assignments} FROM {scratch} s "  # noqa: S608 - model names
            f"WHERE t.{quoted[0]} = s.{quoted[0]}"
        )
        cursor.execute(f"TRUNCATE {scratch}")


def _prepared(field: Field, obj: Model, *, add: bool):
    value = field.pre_save(obj, add)
    if isinstance(field, GeometryField):
        if value is None:
            return None
        if value.srid is None:
            value = value.clone()
            value.srid = field.srid
        return value.hexewkb.decode()
    if value is None or type(value) in PLAIN:
        return value  # psycopg adapts them; get_db_prep_save is slow on dates
    return field.get_db_prep_save(value, connection)


def _copy(cursor, table: str, columns: list[str], rows: Iterable[list]) -> None:
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    # The psycopg cursor: Django's debug wrapper does not wrap copy().
    with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
