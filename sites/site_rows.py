"""What a row of a site file holds: columns -> Site fields, cell text -> values.

The files are read by sites.importers (GeoJSON, GeoPackage, Shapefile and any GDAL
vector, CSV, XLSX), streamed; this module only knows sites. Choice values are read
by code or by French or English label ("closed_court", "closed by court decision",
"fermé par décision de justice", any case, with or without accents), dates as
ISO (2024-03-01) or French (01/03/2024), counts as whole numbers. A value that
cannot be read is an error of its row naming the field, never a silent blank.
"""

import contextlib
import datetime
import unicodedata
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.gis.geos import GEOSException, GEOSGeometry, Point
from django.utils import translation
from django.utils.translation import gettext as _

from sites.importers import Reading, RowFilter, _check_filter_columns, open_records
from sites.models import Site
from sites.services.accessibility import ImportRow
from territory.sources import SourceError

KEY_FIELDS = ("source_id", "commune_code", "lon", "lat", "wkt")
TEXT_FIELDS = (
    "name",
    "address",
    "address_details",
    "closure_reason",
    "population_source",
    "note",  # a journal note added to the site, not a field of it
)
CHOICE_FIELDS = (
    "kind",
    "status",
    "land_owner_type",
    "water",
    "toilets",
    "electricity",
    "waste",
    "pests",
    "fire_prevention",
)
DATE_FIELDS = ("opened_on", "declared_on", "closed_on", "population_date")
COUNT_FIELDS = (
    "people",
    "households",
    "women",
    "minors",
    "minors_0_3",
    "minors_3_6",
    "minors_6_12",
    "minors_12_18",
    "minors_in_school",
    "housed_count",
    "sheltered_count",
    "no_solution_count",
)
MAPPABLE_FIELDS = (
    *KEY_FIELDS,
    *TEXT_FIELDS,
    *CHOICE_FIELDS,
    *DATE_FIELDS,
    *COUNT_FIELDS,
)
# Columns read when the mapping does not name one: the field's own name, or the
# usual French column name (compared without case or accents).
FRENCH_COLUMNS = {
    "source_id": ["id", "identifiant"],
    "name": ["nom"],
    "commune_code": ["code_insee", "insee", "code_commune"],
    "address": ["adresse"],
    "kind": ["type", "nature"],
    "status": ["statut", "etat"],
    "opened_on": ["date_ouverture", "date_installation"],
    "declared_on": ["date_signalement"],
    "closed_on": ["date_fermeture"],
    "closure_reason": ["motif_fermeture"],
    "people": ["personnes", "nb_personnes"],
    "households": ["menages", "nb_menages"],
    "women": ["femmes"],
    "minors": ["mineurs", "nb_mineurs"],
    "population_date": ["date_estimation"],
    "population_source": ["source_estimation"],
    "water": ["eau"],
    "toilets": ["toilettes", "sanitaires"],
    "electricity": ["electricite"],
    "waste": ["dechets"],
    "pests": ["nuisibles"],
    "fire_prevention": ["incendie"],
    "note": ["commentaire"],
}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y")


class SiteReading(Reading):
    """A site file being read: `rows()` yields the kept rows, parsed as sites."""

    def rows(self) -> Iterator[ImportRow]:
        for number, props, point in self.records:
            if all(f.keeps(props) for f in self.filters):
                yield parse_row(number, props, point, self.mapping)
            else:
                self.skipped += 1


@contextlib.contextmanager
def open_site_rows(
    path: Path,
    mapping: dict[str, list[str]] | None = None,
    *,
    row_filter: list[str] | tuple[str, ...] = (),
    encoding: str | None = None,
) -> Iterator[SiteReading]:
    filters = [RowFilter.parse(text) for text in row_filter]
    with open_records(path, encoding) as (columns, records):
        effective = effective_mapping(mapping or {}, columns, path.name)
        _check_filter_columns(filters, columns, path.name)
        used = {c for cols in effective.values() for c in cols}
        used |= {f.column for f in filters}
        ignored = [c for c in columns if c not in used and not _is_coordinate(c)]
        yield SiteReading(columns, effective, ignored, filters, records=records)


def file_columns(path: Path, encoding: str | None = None) -> list[str]:
    """The columns of a file, for the web import's mapping step."""
    with open_records(path, encoding) as (columns, _records):
        return columns


def parse_mapping(pairs: list[str]) -> dict[str, list[str]]:
    """['name=nom', 'address=num+voie'] -> the explicit part of a mapping."""
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


def effective_mapping(
    explicit: dict[str, list[str]], columns: list[str], name: str
) -> dict[str, list[str]]:
    """The explicit mapping, and a default column for each field it leaves out.

    An explicitly empty field stays unmapped (the web form's way to unmap a default).
    """
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
    by_key = {_key(c): c for c in columns}
    mapping = {}
    for target in MAPPABLE_FIELDS:
        if target in explicit:
            mapping[target] = explicit[target]
            continue
        found = [by_key[k] for k in map(_key, _defaults(target)) if k in by_key]
        mapping[target] = found[:1]
    return {target: cols for target, cols in mapping.items() if cols}


def _defaults(target: str) -> list[str]:
    if target in ("lon", "lat", "wkt"):
        return []  # the readers take lon/lat/x/y/wkt columns by themselves
    return [target, *FRENCH_COLUMNS.get(target, [])]


def _is_coordinate(column: str) -> bool:
    return _key(column) in {"lon", "lng", "long", "longitude", "x", "lat", "latitude",
                            "y", "wkt", "geometry", "geom", "the_geom"}  # fmt: skip


# --- one row --------------------------------------------------------------------


def parse_row(
    number: int, props: dict, point: Point | None, mapping: dict[str, list[str]]
) -> ImportRow:
    def cell(name: str):
        cells = [props.get(column) for column in mapping.get(name, [])]
        if len(cells) == 1 and not isinstance(cells[0], str):
            return cells[0]  # an XLSX date or number, as the sheet holds it
        return " ".join(str(c).strip() for c in cells if c not in (None, "")).strip()

    errors: list[str] = []
    values: dict = {}
    for name in (*TEXT_FIELDS, *CHOICE_FIELDS, *DATE_FIELDS, *COUNT_FIELDS):
        if name in mapping:
            value = _parse(name, cell(name), errors)
            if value is not _ABSENT:
                values[name] = value
    if any(name in mapping for name in ("lon", "lat", "wkt")):
        point = _mapped_point(cell, mapping, errors)
    return ImportRow(
        number=number,
        values=values,
        point=point,
        source_id=_text(cell("source_id")),
        commune_code=_text(cell("commune_code")),
        errors=errors,
    )


_ABSENT = object()  # an empty choice cell: the site keeps its value (or the default)


def _parse(name: str, raw, errors: list[str]):
    text = _text(raw)
    try:
        if name in TEXT_FIELDS:
            return text
        if name in CHOICE_FIELDS:
            return _choice(name, text) if text else _ABSENT
        if name in DATE_FIELDS:
            return _date(raw, text)
        return _count(raw, text)
    except ValueError as exc:
        errors.append(f"{name}: {exc}")
        return _ABSENT


def _text(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # a code or id read as a number by a spreadsheet
    return str(raw).strip()


def _choice(name: str, text: str) -> str:
    found = _choices(name).get(_key(text))
    if found is None:
        codes = ", ".join(code for code, _label in Site._meta.get_field(name).choices)
        raise ValueError(
            _("“%(v)s” is not one of the values (%(codes)s, or their label)")
            % {"v": text, "codes": codes}
        )
    return found


@cache
def _choices(name: str) -> dict[str, str]:
    """Code, English label and French label -> code."""
    lookup = {}
    for code, label in Site._meta.get_field(name).choices:
        lookup[_key(code)] = code
        for language in ("en", "fr"):
            with translation.override(language):
                lookup.setdefault(_key(str(label)), code)
    return lookup


def _key(text: str) -> str:
    """Compared without case, accents, underscores, hyphens or repeated spaces."""
    plain = unicodedata.normalize("NFKD", str(text).casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return " ".join(plain.replace("_", " ").replace("-", " ").split())


def _date(raw, text: str) -> datetime.date | None:
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    if not text:
        return None
    for pattern in DATE_FORMATS:
        try:
            # Naive on purpose: a calendar date, with no time of day or zone.
            return datetime.datetime.strptime(text[:10], pattern).date()  # noqa: DTZ007
        except ValueError:
            continue
    raise ValueError(
        _("“%(v)s” is not a date (write 2024-03-01 or 01/03/2024)") % {"v": text}
    )


def _count(raw, text: str) -> int | None:
    if not text:
        return None
    try:
        value = Decimal(text.replace(" ", "").replace("\u202f", "").replace(",", "."))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value != value.to_integral_value() or value < 0:
        raise ValueError(_("“%(v)s” is not a whole number") % {"v": text})
    return int(value)


def _mapped_point(cell, mapping: dict, errors: list[str]) -> Point | None:
    if "wkt" in mapping and _text(cell("wkt")):
        try:
            geom = GEOSGeometry(_text(cell("wkt")), srid=settings.GEO_SRID)
        except (GEOSException, ValueError):
            geom = None
        if geom is None or geom.geom_type != "Point":
            errors.append(_("wkt: not a point (write POINT(2.35 48.85))"))
            return None
        return geom
    lon, lat = _text(cell("lon")), _text(cell("lat"))
    if not lon and not lat:
        return None
    try:
        return Point(
            float(lon.replace(",", ".")),
            float(lat.replace(",", ".")),
            srid=settings.GEO_SRID,
        )
    except ValueError:
        errors.append(
            _("lon/lat: “%(lon)s”, “%(lat)s” are not coordinates")
            % {"lon": lon, "lat": lat}
        )
        return None
