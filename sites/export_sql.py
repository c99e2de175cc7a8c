"""The sites CSV written by PostgreSQL: `COPY (SELECT ...) TO STDOUT (FORMAT csv)` over
the caller's own scoped and filtered queryset, streamed as PostgreSQL sends it.

A national export built row by row in Python took 119 times its COPY (issue: 57 s for
200,000 sites). Here the queryset's SQL (`visible_to`, the list's filter, its order) is
wrapped, never rewritten, and each cell is formatted in SQL exactly as sites.export's
Python writer formats it, so both give the same bytes: labels of codes in the active
language, dates in ISO, `updated_at` in local time without zone, coordinates as
Python prints `round(x, 6)`, spreadsheet formulas neutralised, procedures only where
the user may see them (`paths_where(user, SEE_PROCEDURES)`), CRLF line ends.
tests/sites/test_export_sql.py compares the two on varied data.

The Python writer stays for what SQL does not rebuild: sites at a past date (`as_of`
replays each site's history), XLSX cells, GeoJSON and GeoPackage layers.
"""

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import ExitStack

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import F, FloatField, Func, QuerySet
from django.utils import timezone
from django.utils.translation import get_language

from actors.capabilities import SEE_PROCEDURES, paths_where
from sites.export import FORMULA_STARTS, _choice_labels, labels, spreadsheet_safe
from sites.models import Site, SiteProcedure

CHUNK_BYTES = 64 * 1024  # what one chunk of the response holds at least
# The settings the cells' text relies on, for the COPY only: ISO dates, local times
# in the user's zone, shortest float digits (Python's repr), and no JIT (compiling
# the long cell expressions took 10 s of an 11 s national export).
SETTINGS = {"datestyle": "ISO, YMD", "extra_float_digits": "1", "jit": "off"}
# The queryset's columns that are not Site fields, named so none can clash with one.
COMPUTED = {
    "commune_code": "export_commune_code",
    "commune_name": "export_commune_name",
    "longitude": "export_x",
    "latitude": "export_y",
}
INTEGER_FIELDS = (
    "AutoField",
    "BigAutoField",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "BigIntegerField",
)
TEXT_FIELDS = ("CharField", "TextField")


def csv_chunks(
    sites: QuerySet, fields: list[str], user, note: str = ""
) -> Iterator[bytes]:
    """The CSV of sites.export.csv_lines, in chunks of bytes: the BOM and headers, the
    rows as PostgreSQL writes them, the note line if any. Labels, language and time
    zone are read now, not when a streamed response is read."""
    names = labels()
    head = ("\ufeff" + _line([names[f] for f in fields])).encode()
    tail = _line([note]).encode() if note else b""
    try:
        sql, params = copy_sql(sites, fields, user)
    except EmptyResultSet:  # `none()`, a user without grants: Django has no SQL
        return iter([head, tail] if tail else [head])
    zone = timezone.get_current_timezone_name()
    return _stream(sites.db, head, sql, params, zone, tail)


def _stream(  # noqa: PLR0913 (one COPY's whole context)
    alias: str,
    head: bytes,
    sql: str,
    params: list,
    zone: str,
    tail: bytes,
    rows: Callable[[Iterator[bytes]], Iterator[bytes]] | None = None,
) -> Iterator[bytes]:
    """head, the COPY's rows made into chunks by `rows` (CSV lines by default), tail."""
    rows = rows or _rows
    yield head
    connection = connections[alias]
    # Local settings last to the end of the outermost transaction: when that is the
    # caller's (a job, a test), they are put back after the COPY (a failure rolls
    # the caller's transaction back, and them with it).
    inside = connection.in_atomic_block
    with (
        transaction.atomic(using=alias, savepoint=False),
        connection.cursor() as cursor,
    ):
        before = _configure(cursor, {**SETTINGS, "timezone": zone})
        with _logged(cursor, sql, params), ExitStack() as stack:
            yield from rows(_copy(cursor, sql, params, stack))
        if inside:
            _configure(cursor, before)
    if tail:
        yield tail


def _copy(cursor, sql: str, params: list, stack: ExitStack):
    """The COPY started through the connection's execute wrappers, which see it as
    they see every query; psycopg's own copy(), as Django's passes no parameters."""

    def start(sql, params, many, context):
        with context["connection"].wrap_database_errors:
            return stack.enter_context(context["cursor"].cursor.copy(sql, params))

    return cursor._execute_with_wrappers(sql, params, many=False, executor=start)


def _configure(cursor, settings: dict[str, str]) -> dict[str, str]:
    """Set these for the transaction; returns the values they had."""
    reads = ", ".join(["current_setting(%s)"] * len(settings))
    writes = ", ".join(["set_config(%s, %s, true)"] * len(settings))
    cursor.execute(
        f"SELECT {reads}, {writes}",  # noqa: S608 (placeholders only)
        [*settings, *(x for pair in settings.items() for x in pair)],
    )
    return dict(zip(settings, cursor.fetchone(), strict=False))


def _rows(copy) -> Iterator[bytes]:
    """libpq hands a COPY one row at a time, ending in "\\n" (a newline inside a
    quoted cell is never the last byte): it becomes the "\\r\\n" Python's csv writes."""
    buffer = bytearray()
    for row in copy:
        buffer += row[:-1]
        buffer += b"\r\n"
        if len(buffer) >= CHUNK_BYTES:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


class _logged:
    """Record the COPY among the connection's queries when they are recorded (DEBUG,
    query-count tests): the psycopg cursor's copy() bypasses Django's wrapper."""

    def __init__(self, cursor, sql: str, params: list):
        self.debug = (
            cursor.debug_sql(sql, params)
            if isinstance(cursor, CursorDebugWrapper)
            else None
        )

    def __enter__(self):
        if self.debug is not None:
            self.debug.__enter__()

    def __exit__(self, *exc):
        return self.debug.__exit__(*exc) if self.debug is not None else False


def _line(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(values)
    return buffer.getvalue()


def copy_sql(sites: QuerySet, fields: list[str], user) -> tuple[str, list]:
    """`COPY (SELECT <cells> FROM (<the queryset's SQL>) s) TO STDOUT`, its parameters.

    The queryset keeps its ORDER BY, so PostgreSQL scans it as a subquery and keeps
    its order (a subquery with ORDER BY is never merged into the outer query)."""
    inner, inner_params = source_sql(sites, fields)
    cells, params = [], []
    for name in fields:
        cell, cell_params = _cell(name, user)
        cells.append(cell)
        params += cell_params
    select = ", ".join(cells)
    sql = f"COPY (SELECT {select} FROM ({inner}) s) TO STDOUT WITH (FORMAT csv)"  # noqa: S608 (our expressions, the queryset's SQL; values are parameters)
    return sql, [*params, *inner_params]


def source_sql(sites: QuerySet, fields: list[str]) -> tuple[str, list]:
    """The queryset's SQL (scope, filters, order) with the columns the cells read:
    the Site fields asked, and COMPUTED's under their names."""
    source = sites.prefetch_related(None).values(
        *[f for f in fields if f not in COMPUTED and f != "procedures"],
        export_commune_code=F("commune__code"),
        export_commune_name=F("commune__name"),
        export_commune_path=F("commune__path"),
        export_x=Func(F("point"), function="ST_X", output_field=FloatField()),
        export_y=Func(F("point"), function="ST_Y", output_field=FloatField()),
    )
    # The database the queryset reads (a replica for a request that may use one).
    return source.query.get_compiler(using=sites.db).as_sql()


def _cell(name: str, user) -> tuple[str, list]:
    """The SQL of one column's cells (with `s` the queryset's row), its parameters."""
    if name == "procedures":
        return _procedures(user)
    if name in ("longitude", "latitude"):
        return python_round_6(f"s.{COMPUTED[name]}"), []
    if name in COMPUTED:
        return safe_text(f"s.{COMPUTED[name]}"), []
    field = Site._meta.get_field(name)
    column = f"s.{connections[DEFAULT_DB_ALIAS].ops.quote_name(field.attname)}"
    kind = field.get_internal_type()
    if field.choices:
        return choice_label(column, _choice_labels(get_language())[name])
    if kind in INTEGER_FIELDS:
        return column, []
    if kind == "DateField":
        return date_text(column), []
    if kind == "DateTimeField":
        return local_datetime_text(column)
    if kind in TEXT_FIELDS:
        return safe_text(column), []
    raise TypeError(f"{name}: no SQL cell for a {kind}; add one beside its Python")


# --- cells, each as sites.export's Python writes it --------------------------------


def safe_text(text: str) -> str:
    """spreadsheet_safe(), and an empty cell (COPY quotes an empty string: "").
    ascii() reads the first character's code (0 for "") once, without a copy."""
    quoted = " ".join(f"WHEN {ord(c)} THEN '''' || {text}" for c in FORMULA_STARTS)
    return f"CASE ascii({text}) {quoted} WHEN 0 THEN NULL ELSE {text} END"


def choice_label(column: str, choices: dict[str, str]) -> tuple[str, list]:
    """The label of a code in the active language; an unknown code as it is."""
    whens, params = [], []
    for code, label in choices.items():
        whens.append("WHEN %s THEN %s")
        params += [code, spreadsheet_safe(str(label)) or None]
    # Codes compare byte by byte (COLLATE "C"): no locale looked up per cell.
    cases = " ".join(whens)
    return f'CASE {column} COLLATE "C" {cases} ELSE {safe_text(column)} END', params


def date_text(column: str) -> str:
    """str(date): ISO (the COPY's DateStyle, SESSION above)."""
    return f"{column}::text"


def local_datetime_text(column: str) -> tuple[str, list]:
    """str() of the naive local time (the COPY's TimeZone): PostgreSQL trims the
    microseconds' zeros ("10:05:09.5"), Python writes six digits or none."""
    local = f"{column}::timestamp::text"
    return (
        f"CASE WHEN length({local}) > 19 THEN rpad({local}, 26, '0') ELSE {local} END",
        [],
    )


def python_round_6(x: str) -> str:
    """str(round(x, 6)) of a float8, as Python prints it (2.35, 5.0, -0.0, 1e-05).

    round(x * 1e6) / 1e6 in floats is Python's answer unless x lies a hair from a
    half (x * 1e6 within 1e-5 of k + 0.5): there Python rounds the exact binary value
    (half to even), which `x::numeric` (15 digits) cannot see, so the exact value
    m * 2^e is read from the float's bits and compared with the half. Valid for
    |x| < 1e8 (coordinates). The float prints as Python's repr (shortest digits),
    with ".0" when whole.
    """
    rounded = python_round_6_number(x)
    return (
        f"{rounded}::text || "
        f"CASE WHEN {rounded} = trunc({rounded}) THEN '.0' ELSE '' END"
    )


def python_round_6_number(x: str) -> str:
    """round(x, 6) as a float8 (the number python_round_6 prints)."""
    scaled = f"({x} * 1000000.0)"
    near_half = f"abs({scaled} - floor({scaled}) - 0.5) < 0.00001"
    return (
        f"(CASE WHEN {near_half} THEN {_exact_round_6(x)} "
        f"ELSE round({scaled}) / 1000000.0 END)"
    )


def _exact_round_6(x: str) -> str:
    bits = f"('x' || encode(float8send({x}), 'hex'))::bit(64)::bigint"
    exponent = f"((({bits} >> 52) & 2047))"
    mantissa = (
        f"(({bits} & 4503599627370495) + "
        f"CASE WHEN {exponent} = 0 THEN 0 ELSE 4503599627370496 END)"
    )
    scale = f"power(2::numeric, 1075 - greatest({exponent}, 1))"
    size = f"abs({x})::numeric"  # 15 significant digits
    up, down = f"round({size}, 6)", f"trunc({size}, 6)"
    # Above, below or on the half: the exact m * 2^e against the decimal half.
    side = f"sign({mantissa} - {size} * {scale})"
    magnitude = (
        f"(CASE WHEN {size} - {down} <> 0.0000005 THEN {up} "
        f"WHEN {side} > 0 THEN {up} WHEN {side} < 0 THEN {down} "
        f"WHEN mod({down} * 1000000, 2) = 0 THEN {down} ELSE {up} END)::float8"
    )
    return f"(CASE WHEN {x} < 0 THEN -{magnitude} ELSE {magnitude} END)"


def _procedures(user, *, spreadsheet: bool = True) -> tuple[str, list]:
    """sites.export.add_procedures: "<kind> <started> <decision> <summary>" stripped,
    joined by "; " in the model's order, only under the user's SEE_PROCEDURES paths.
    In a spreadsheet an empty cell; otherwise "" where the user sees procedures and
    the site has none, null where the user does not see them (as Python's rows)."""
    table = connections[DEFAULT_DB_ALIAS].ops.quote_name(SiteProcedure._meta.db_table)
    kinds = {
        code: str(label)
        for code, label in SiteProcedure._meta.get_field("kind").flatchoices
    }
    kind, kind_params = choice_label_raw("p.kind", kinds)
    one = (
        f"btrim({kind} || ' ' || coalesce({date_text('p.started_on')}, '') || ' ' || "
        f"coalesce({date_text('p.decision_on')}, '') || ' ' || p.summary, %s)"
    )
    joined = (
        f"SELECT string_agg({one}, '; ' ORDER BY p.started_on, p.id) AS text "  # noqa: S608 (our SQL; values are parameters)
        f"FROM {table} p WHERE p.site_id = s.id"
    )
    text = safe_text("j.text") if spreadsheet else "j.text"
    # One hashed look-up per site; the aggregate only for sites with procedures.
    some = (
        f"s.id IN (SELECT site_id FROM {table}) "  # noqa: S608 (as above)
        f"THEN (SELECT {text} FROM ({joined}) j)"
    )
    seen = "s.export_commune_path ^@ ANY(%s::text[])"
    sql = (
        f"CASE WHEN {seen} AND {some} END"
        if spreadsheet
        else f"CASE WHEN {seen} THEN CASE WHEN {some} ELSE '' END END"
    )
    return sql, [paths_where(user, SEE_PROCEDURES), *kind_params, PYTHON_SPACES]


def choice_label_raw(column: str, choices: dict[str, str]) -> tuple[str, list]:
    """get_FOO_display(): the label, or the code when it has none."""
    whens, params = [], []
    for code, label in choices.items():
        whens.append("WHEN %s THEN %s")
        params += [code, label]
    return f"(CASE {column} {' '.join(whens)} ELSE {column} END)", params


# What str.strip() removes: every character Python calls whitespace.
PYTHON_SPACES = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
