"""Reading accessibility-point files (GeoJSON, GeoPackage, Shapefile, any GDAL vector; CSV).

Rows are streamed, never loaded whole: a 100,000-row file costs the memory of one
batch. A mapping says which source columns feed which field; the default fits the
open-data format of Grand Paris Seine Ouest (`places-de-stationnement-pmr`):
id_pmr, code_insee, num_loc + rep_loc + localisation, comp_loc, aerien, domaine,
annee_crea. Columns named explicitly (`--map`, a dataset's saved mapping) must
exist in the file; default columns are used when present. A row filter keeps the
rows whose column holds one of the listed values; the others are counted.
"""

import codecs
import contextlib
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.contrib.gis.gdal import DataSource, GDALException, SpatialReference
from django.contrib.gis.geos import GEOSException, GEOSGeometry, Point
from django.utils.translation import gettext as _

from sites.services.accessibility import ImportRow
from territory.sources import SourceError, plain_file

DEFAULT_MAPPING = {
    "source_id": ["id_pmr"],
    "commune_code": ["code_insee"],
    "address": ["num_loc", "rep_loc", "localisation"],
    "details": ["comp_loc"],
    "open_air": ["aerien"],
    "domain": ["domaine"],
    "created_year": ["annee_crea"],
    "spaces": ["nb_places"],
}
# Every field a column can feed; lon/lat name the coordinate columns of a CSV.
MAPPABLE_FIELDS = (
    *DEFAULT_MAPPING,
    "length_m",
    "width_m",
    "lon",
    "lat",
)
TEXT_FIELDS = ("address", "details", "domain")
NUMBER_FIELDS = ("created_year", "spaces", "length_m", "width_m")
LON_NAMES = ("lon", "lng", "long", "longitude", "x")
LAT_NAMES = ("lat", "latitude", "y")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")
COORDINATE_NAMES = {*LON_NAMES, *LAT_NAMES, *WKT_NAMES}  # read by the CSV reader itself
YES = {"oui", "yes", "true", "1", "o", "y"}
NO = {"non", "no", "false", "0", "n"}
ENCODINGS = {
    "utf-8": "utf-8-sig",
    "latin-1": "cp1252",
}  # Windows-1252 is Latin-1's superset
CSV_SUFFIXES = (".csv", ".txt")


def parse_mapping(pairs: list[str]) -> dict[str, list[str]]:
    """['address=num+voie', 'source_id=id'] -> the explicit part of a mapping.

    An unknown target is an error naming it: a typo must not silently leave a
    field empty.
    """
    mapping: dict[str, list[str]] = {}
    for pair in pairs:
        name, _sep, columns = pair.partition("=")
        name = name.strip()
        if name not in MAPPABLE_FIELDS:
            raise SourceError(
                _("unknown field “%(name)s” in the mapping (known: %(known)s)")
                % {"name": name, "known": ", ".join(MAPPABLE_FIELDS)}
            )
        mapping[name] = [c.strip() for c in columns.split("+") if c.strip()]
    return mapping


@dataclass
class RowFilter:
    """`TYPE=GIG/GIC`: keep a row when the column holds one of the values (any case)."""

    column: str
    values: frozenset[str]
    text: str

    @classmethod
    def parse(cls, text: str) -> "RowFilter":
        column, sep, values = text.partition("=")
        kept = frozenset(v.strip().casefold() for v in values.split("/") if v.strip())
        if not sep or not column.strip() or not kept:
            raise SourceError(
                _("row filter “%(f)s”: write COLUMN=VALUE or COLUMN=VALUE1/VALUE2")
                % {"f": text}
            )
        return cls(column.strip(), kept, text.strip())

    def keeps(self, props: dict) -> bool:
        return str(props.get(self.column) or "").strip().casefold() in self.values


@dataclass
class Reading:
    """What a file holds, read as it is iterated: `rows` yields the kept rows."""

    columns: list[str]
    mapping: dict[str, list[str]]  # the effective mapping, explicit and default
    ignored_columns: list[str]
    filters: list[RowFilter]
    skipped: int = 0  # rows left out by the filter, counted as they go by
    records: Iterator = field(default_factory=lambda: iter(()))

    def rows(self) -> Iterator[ImportRow]:
        for number, props, point in self.records:
            if all(f.keeps(props) for f in self.filters):
                yield _row(number, props, point, self.mapping)
            else:
                self.skipped += 1


@contextlib.contextmanager
def open_rows(
    path: Path,
    mapping: dict[str, list[str]] | None = None,
    *,
    row_filter: list[str] | tuple[str, ...] = (),
    encoding: str | None = None,
) -> Iterator[Reading]:
    """The file's columns checked against the mapping and filter, its rows streamed."""
    filters = [RowFilter.parse(text) for text in row_filter]
    with _open_records(path, encoding) as (columns, records):
        effective = _effective_mapping(mapping or {}, columns, path.name)
        _check_filter_columns(filters, columns, path.name)
        used = {c for cols in effective.values() for c in cols}
        used |= {f.column for f in filters}
        used |= {c for c in columns if c.strip().lower() in COORDINATE_NAMES}
        ignored = [c for c in columns if c not in used]
        yield Reading(columns, effective, ignored, filters, records=records)


def read_rows(
    path: Path, mapping: dict[str, list[str]] | None = None, **options
) -> list[ImportRow]:
    """Every kept row at once: for small files and tests; imports stream `open_rows`."""
    with open_rows(path, mapping, **options) as reading:
        return list(reading.rows())


def file_columns(path: Path, encoding: str | None = None) -> list[str]:
    """The columns of a file, for the web import's mapping step."""
    with _open_records(path, encoding) as (columns, _records):
        return columns


def _effective_mapping(
    explicit: dict[str, list[str]], columns: list[str], name: str
) -> dict[str, list[str]]:
    missing = sorted(
        {c for cols in explicit.values() for c in cols if c not in columns}
    )
    if missing:
        raise SourceError(
            _("%(file)s: unknown columns %(missing)s (the file has: %(columns)s)")
            % {
                "file": name,
                "missing": ", ".join(missing),
                "columns": ", ".join(columns),
            }
        )
    effective = {
        target: [c for c in cols if c in columns]
        for target, cols in DEFAULT_MAPPING.items()
    }
    effective.update(explicit)
    return {target: cols for target, cols in effective.items() if cols}


def _check_filter_columns(filters: list[RowFilter], columns: list[str], name: str):
    for row_filter in filters:
        if row_filter.column not in columns:
            raise SourceError(
                _("%(file)s: the row filter names an unknown column %(c)s")
                % {"file": name, "c": row_filter.column}
            )


@contextlib.contextmanager
def _open_records(path: Path, encoding: str | None):
    if encoding is not None and encoding not in ENCODINGS:
        raise SourceError(
            _("unknown encoding %(e)s (use %(known)s)")
            % {"e": encoding, "known": " or ".join(ENCODINGS)}
        )
    limit = settings.IMPORT_MAX_EXPANDED_BYTES
    with plain_file(path, limit=limit) as plain:
        if plain.suffix.lower() in CSV_SUFFIXES:
            with _csv_records(plain, path.name, encoding) as opened:
                yield opened
        else:
            yield _gdal_records(plain, path.name, encoding)


# --- GDAL files -----------------------------------------------------------------


def _gdal_records(plain: Path, name: str, encoding: str | None):
    try:
        layer = DataSource(str(plain), encoding=ENCODINGS[encoding or "utf-8"])[0]
    except (GDALException, IndexError) as exc:
        raise SourceError(
            _("%(file)s: cannot be read as a spatial file (%(why)s)")
            % {"file": name, "why": exc}
        ) from exc
    needs_transform = (
        layer.srs is not None
        and layer.srs.srid != settings.GEO_SRID
        and "WGS 84" not in (layer.srs.name or "")
    )
    return list(layer.fields), _gdal_features(layer, name, needs_transform)


def _gdal_features(layer, name: str, needs_transform: bool):
    fields = list(layer.fields)
    for number, feature in enumerate(layer, start=1):
        try:
            props = {column: feature.get(column) for column in fields}
        except UnicodeDecodeError as exc:
            raise SourceError(_not_utf8(name, number, exc)) from None
        yield number, props, _ogr_point(feature, needs_transform)


def _not_utf8(name: str, number: int, exc: UnicodeDecodeError) -> str:
    return _(
        "%(file)s: feature %(n)s: the text is not UTF-8 (byte 0x%(byte)02x): the file is "
        "probably in Latin-1 (ISO-8859-1 / Windows-1252), as many French exports and "
        "Shapefiles without a .cpg file are; import it again with the encoding "
        "latin-1 (--encoding latin-1)"
    ) % {"file": name, "n": number, "byte": exc.object[exc.start]}


def _ogr_point(feature, needs_transform: bool) -> Point | None:
    try:
        geom = feature.geom
    except GDALException:
        return None
    if geom is None or geom.empty or geom.geom_type.name not in ("Point", "Point25D"):
        return None
    if needs_transform:
        geom.transform(SpatialReference(settings.GEO_SRID))
    return Point(geom.x, geom.y, srid=settings.GEO_SRID)


# --- CSV ------------------------------------------------------------------------


@contextlib.contextmanager
def _csv_records(plain: Path, name: str, encoding: str | None):
    codec = ENCODINGS[encoding] if encoding else _sniff_encoding(plain, name)
    with plain.open(encoding=codec, newline="") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
                sample, delimiters=",;\t"
            )
        except csv.Error:
            dialect = csv.excel  # one column, or too little to tell: plain commas
        reader = csv.DictReader(handle, dialect=dialect)
        columns = [c for c in (reader.fieldnames or []) if c]
        yield columns, _csv_rows(reader, name)


def _csv_rows(reader: csv.DictReader, name: str):
    try:
        # Line numbers as a spreadsheet shows them: the header is line 1.
        for number, row in enumerate(reader, start=2):
            yield number, row, _csv_point(row)
    except csv.Error as exc:
        raise SourceError(
            _("%(file)s: not a readable CSV file (%(why)s)")
            % {"file": name, "why": exc}
        ) from exc


def _sniff_encoding(path: Path, name: str) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 as spreadsheets often save it.

    One pass through the bytes with an incremental decoder: nothing is kept.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return ENCODINGS["latin-1"]
    return ENCODINGS["utf-8"]


def _csv_point(row: dict) -> Point | None:
    lowered = {k.strip().lower(): v for k, v in row.items() if k}
    for name in WKT_NAMES:
        if lowered.get(name):
            try:
                geom = GEOSGeometry(lowered[name], srid=settings.GEO_SRID)
            except (GEOSException, ValueError):
                return None
            return geom if geom.geom_type == "Point" else None
    lon = next((lowered[n] for n in LON_NAMES if lowered.get(n)), None)
    lat = next((lowered[n] for n in LAT_NAMES if lowered.get(n)), None)
    return _lon_lat_point(lon, lat)


def _lon_lat_point(lon, lat) -> Point | None:
    try:
        return Point(
            float(str(lon).replace(",", ".")),
            float(str(lat).replace(",", ".")),
            srid=settings.GEO_SRID,
        )
    except (TypeError, ValueError):
        return None


# --- one row --------------------------------------------------------------------


def _row(
    number: int, props: dict, point: Point | None, mapping: dict[str, list[str]]
) -> ImportRow:
    def joined(name: str) -> str:
        parts = [
            str(props.get(column) or "").strip() for column in mapping.get(name, [])
        ]
        return " ".join(p for p in parts if p)

    errors: list[str] = []
    values: dict = {name: joined(name) for name in TEXT_FIELDS if name in mapping}
    if "open_air" in mapping:
        values["open_air"] = _yes_no(joined("open_air"))
    for name in NUMBER_FIELDS:
        text = joined(name)
        if text:
            values[name] = _number(name, text, errors)
    if "lon" in mapping and "lat" in mapping:
        point = _lon_lat_point(joined("lon"), joined("lat"))
    source_id = joined("source_id") or (
        f"{point.x:.7f},{point.y:.7f}" if point else f"row-{number}"
    )
    return ImportRow(
        number=number,
        values=values,
        point=point,
        source_id=source_id,
        commune_code=joined("commune_code"),
        errors=errors,
    )


def _number(name: str, text: str, errors: list[str]) -> Decimal | int | str:
    """'2,5' as French files write it is 2.5; the model field checks range and digits."""
    try:
        value = Decimal(text.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        errors.append(_("%(f)s: “%(v)s” is not a number") % {"f": name, "v": text})
        return text
    if name in ("created_year", "spaces"):
        if value != value.to_integral_value():
            errors.append(
                _("%(f)s: “%(v)s” is not a whole number") % {"f": name, "v": text}
            )
        return int(value)
    return value


def _yes_no(text: str) -> bool | None:
    lowered = text.lower()
    return True if lowered in YES else False if lowered in NO else None


# --- shared by other imports (sites): any file above, XLSX too --------------------

XLSX_SUFFIXES = (".xlsx",)


@contextlib.contextmanager
def open_records(path: Path, encoding: str | None = None):
    """(columns, records) of a file, each record (number, properties, point or None).

    The readers of this module, plus Excel workbooks (first sheet, header on
    line 1), for imports that parse rows their own way.
    """
    try:
        if path.suffix.lower() in XLSX_SUFFIXES:
            with _xlsx_records(path) as (columns, records):
                yield columns, _decoded(records, path.name)
        else:
            with _open_records(path, encoding) as (columns, records):
                yield columns, _decoded(records, path.name)
    except UnicodeDecodeError as exc:  # in the header, before any row
        raise SourceError(_not_text(path.name, exc)) from None


def _decoded(records, name: str):
    """A file that is not text in the encoding chosen is an error naming it, not a 500."""
    try:
        yield from records
    except UnicodeDecodeError as exc:
        raise SourceError(_not_text(name, exc)) from None


def _not_text(name: str, exc: UnicodeDecodeError) -> str:
    return _(
        "%(file)s: not a text file in the chosen encoding (%(why)s): save it as CSV "
        "UTF-8, or choose Latin-1 / Windows-1252"
    ) % {"file": name, "why": exc.reason}


@contextlib.contextmanager
def _xlsx_records(path: Path):
    """Read-only mode streams the sheet's rows: the workbook is never loaded whole."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as exc:
        raise SourceError(
            _("%(file)s: cannot be read as an Excel workbook (%(why)s)")
            % {"file": path.name, "why": exc}
        ) from exc
    try:
        lines = workbook.worksheets[0].iter_rows(values_only=True)
        header = [str(c).strip() if c is not None else "" for c in next(lines, ())]
        yield [c for c in header if c], _xlsx_rows(lines, header)
    finally:
        workbook.close()


def _xlsx_rows(lines, header: list[str]):
    # Line numbers as the spreadsheet shows them: the header is line 1.
    for number, cells in enumerate(lines, start=2):
        props = {
            name: value for name, value in zip(header, cells, strict=False) if name
        }
        if all(value in (None, "") for value in props.values()):
            continue  # formatted but empty lines at the end of a sheet
        text = {k: "" if v is None else str(v) for k, v in props.items()}
        yield number, props, _csv_point(text)
