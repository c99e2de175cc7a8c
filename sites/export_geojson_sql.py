"""The sites GeoJSON written by PostgreSQL: each Feature built by `json_build_object`
over the caller's own scoped and filtered queryset (sites.export_sql.source_sql), sent
through a COPY as PostgreSQL writes it.

Built in Python a national export (200,000 sites, 217 MB) took 62 s against 1.1 s
for the CSV. The document is sites.export.geojson_chunks's, value for value: codes
(not labels), numbers as numbers, dates in ISO, `updated_at` in local time without
zone, coordinates rounded as Python's round(x, 6), procedures only where the user
may see them. Only the spacing differs. tests/sites/test_export_geojson_sql.py
compares the two parsed documents.
"""

from collections.abc import Iterator

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.utils import timezone

from sites.export_sql import (
    CHUNK_BYTES,
    COMPUTED,
    INTEGER_FIELDS,
    TEXT_FIELDS,
    _procedures,
    _stream,
    local_datetime_text,
    python_round_6_number,
    source_sql,
)
from sites.models import Site

HEAD = b'{"type": "FeatureCollection", "features": ['
TAIL = b"]}"
# json_build_object takes at most 100 arguments: 50 properties.
MAX_PROPERTIES = 50


def geojson_chunks_sql(sites: QuerySet, fields: list[str], user) -> Iterator[bytes]:
    """The FeatureCollection in chunks of bytes; the time zone is read now, not when
    a streamed response is read."""
    try:
        sql, params = features_copy_sql(sites, fields, user)
    except EmptyResultSet:  # `none()`, a user without grants: Django has no SQL
        return iter([HEAD + TAIL])
    zone = timezone.get_current_timezone_name()
    return _stream(sites.db, HEAD, sql, params, zone, TAIL, rows=_features)


def features_copy_sql(sites: QuerySet, fields: list[str], user) -> tuple[str, list]:
    """`COPY (SELECT <one Feature's JSON> FROM (<the queryset's SQL>) s)`, in CSV (its
    only escape, a doubled quote, is undone exactly by _features)."""
    inner, inner_params = source_sql(sites, fields)
    names = [f for f in fields if f not in ("longitude", "latitude")]
    if len(names) > MAX_PROPERTIES:
        raise ValueError(f"{len(names)} properties: json_build_object takes 50")
    pairs, params = [], []
    for name in names:
        value, value_params = _value(name, user)
        pairs.append(f"'{name}', {value}")
        params += value_params
    x, y = python_round_6_number("s.export_x"), python_round_6_number("s.export_y")
    feature = (
        "json_build_object('type', 'Feature', 'id', s.id, 'geometry', "
        f"json_build_object('type', 'Point', 'coordinates', json_build_array({x}, {y})), "
        f"'properties', json_build_object({', '.join(pairs)}))"
    )
    sql = f"COPY (SELECT {feature} FROM ({inner}) s) TO STDOUT WITH (FORMAT csv)"  # noqa: S608 (our expressions, the queryset's SQL; values are parameters)
    return sql, [*params, *inner_params]


def _value(name: str, user) -> tuple[str, list]:
    """The SQL of one property's value (with `s` the queryset's row), its parameters."""
    if name == "procedures":
        return _procedures(user, spreadsheet=False)
    if name in COMPUTED:
        return f"s.{COMPUTED[name]}", []
    field = Site._meta.get_field(name)
    column = f"s.{connections[DEFAULT_DB_ALIAS].ops.quote_name(field.attname)}"
    kind = field.get_internal_type()
    if kind in (*INTEGER_FIELDS, *TEXT_FIELDS, "DateField"):  # JSON dates are ISO
        return column, []
    if kind == "DateTimeField":  # isoformat(): "T" between the date and the time
        text, text_params = local_datetime_text(column)
        return f"overlay(({text}) placing 'T' from 11)", text_params
    raise TypeError(f"{name}: no GeoJSON value for a {kind}; add one beside its Python")


def _features(copy) -> Iterator[bytes]:
    """Each COPY row is one Feature as a quoted CSV cell ("...""..."" ...\\n): the
    Features joined by commas, in chunks of at least CHUNK_BYTES."""
    buffer = bytearray()
    separator = b""
    for row in copy:
        buffer += separator
        buffer += bytes(row[1:-2]).replace(b'""', b'"')
        separator = b","
        if len(buffer) >= CHUNK_BYTES:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)
