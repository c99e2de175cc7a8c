"""Site exports (CSV, XLSX, GeoJSON, GeoPackage): the same scope and filters as every
exit, audited, no personal data.

Spreadsheets (CSV with a BOM so Excel reads the accents, XLSX with date cells) carry
labels in the user's language and translated codes; GeoJSON and GeoPackage keep the
API's field names and codes, for GIS tools. Procedures go only to local admins of
each site's territory.
"""

import csv
import datetime
import io
import json
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from django.db.models import F, FloatField, Func, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook

from actors.capabilities import SEE_PROCEDURES, can
from actors.predicates import is_any_local_admin
from sites.history import TRACKED_FIELDS
from sites.models import AccessibilityKind, AccessibilityPoint, Site, SiteKind
from territory.models import without_boundaries

# Sites rebuilt at a past date in one request (each replays its history): beyond,
# the user narrows by territory or bbox.
AS_OF_LIMIT = 5_000
FORMATS = ("csv", "xlsx", "geojson", "gpkg")
# (format, its name for people): the export links of the list page and the map.
FORMAT_LABELS = [
    ("csv", "CSV"),
    ("xlsx", "XLSX"),
    ("geojson", "GeoJSON"),
    ("gpkg", "GeoPackage"),
]
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
}

EXPORT_FIELDS = [
    "id",
    "commune_code",
    "commune_name",
    "longitude",
    "latitude",
    "version",
    "updated_at",
] + [
    f.attname
    for f in TRACKED_FIELDS
    if f.attname not in ("point", "footprint", "commune_id")
]
CHOICE_FIELDS = {
    f.attname for f in TRACKED_FIELDS if f.choices and f.attname in EXPORT_FIELDS
}


def labels() -> dict[str, str]:
    """Column headers in the active language: the fields' verbose names."""
    names = {
        "id": "id",
        "commune_code": _("commune code"),
        "commune_name": _("commune"),
        "longitude": _("longitude"),
        "latitude": _("latitude"),
        "version": _("version"),
        "updated_at": str(Site._meta.get_field("updated_at").verbose_name),
        "procedures": _("procedures"),
    }
    for name in EXPORT_FIELDS[7:]:
        names[name] = str(Site._meta.get_field(name).verbose_name)
    return names


def site_row(site: Site) -> dict:
    """Typed values (dates stay dates) under the API's field names, codes as codes."""
    updated = site.updated_at
    row = {
        "id": site.pk,
        "commune_code": site.commune.code,
        "commune_name": site.commune.name,
        "longitude": round(site.point.x, 6),
        "latitude": round(site.point.y, 6),
        "version": site.version,
        "updated_at": timezone.localtime(updated).replace(tzinfo=None)
        if updated
        else None,
    }
    for name in EXPORT_FIELDS[7:]:
        row[name] = getattr(site, name)
    return row


def displayed(site: Site, row: dict) -> dict:
    """The row as a spreadsheet shows it: codes become their labels."""
    shown = dict(row)
    labels = _choice_labels(get_language())
    for name in CHOICE_FIELDS:
        if row.get(name):
            shown[name] = labels[name].get(row[name], row[name])
    return shown


@lru_cache(maxsize=16)
def _choice_labels(language: str | None) -> dict[str, dict]:
    """Each choice field's labels in the active language, translated once: Django's
    `get_FOO_display` rebuilds and hashes the choices on every call (12 s of a
    5,000-site export)."""
    return {
        name: {
            value: str(label) for value, label in Site._meta.get_field(name).flatchoices
        }
        for name in CHOICE_FIELDS
    }


def export_fields(user) -> list[str]:
    """The procedures column for local admins; filled only where they are one."""
    return [*EXPORT_FIELDS, "procedures"] if is_any_local_admin(user) else EXPORT_FIELDS


def add_procedures(rows: list[dict], sites: list[Site], user) -> None:
    for row, site in zip(rows, sites, strict=True):
        if can(user, SEE_PROCEDURES, site):
            row["procedures"] = "; ".join(
                f"{p.get_kind_display()} {p.started_on or ''} {p.decision_on or ''} {p.summary}".strip()
                for p in site.procedures.all()
            )


def with_procedures(rows: list[dict], sites: list[Site], user) -> list[str]:
    """Add a procedures column when the user is local admin somewhere."""
    fields = export_fields(user)
    if "procedures" in fields:
        add_procedures(rows, sites, user)
    return fields


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Text a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value):
    if value is None:
        return ""
    return spreadsheet_safe(value)


def csv_lines(
    rows: Iterable[dict],
    fields: list[str],
    note: str = "",
    names: dict[str, str] | None = None,
) -> Iterator[str]:
    """UTF-8 with a byte-order mark (Excel), labelled headers, one line at a time."""
    names = names or labels()
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(values)
        return buffer.getvalue()

    yield "\ufeff" + line([names[f] for f in fields])
    for row in rows:
        yield line([_cell(row.get(f)) for f in fields])
    if note:
        yield line([note])


def _json_default(value):
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return str(value)


def _feature(row: dict, fields: list[str]) -> dict:
    return {
        "type": "Feature",
        "id": row["id"],
        "geometry": {
            "type": "Point",
            "coordinates": [row["longitude"], row["latitude"]],
        },
        "properties": {
            k: row.get(k) for k in fields if k not in ("longitude", "latitude")
        },
    }


def geojson_chunks(
    rows: Iterable[dict], fields: list[str], note: str = ""
) -> Iterator[str]:
    head = {"type": "FeatureCollection"}
    if note:
        head["note"] = note
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ['
    for index, row in enumerate(rows):
        text = json.dumps(
            _feature(row, fields), ensure_ascii=False, default=_json_default
        )
        yield ("," if index else "") + text
    yield "]}"


def to_geojson(rows: list[dict], fields: list[str], note: str = "") -> str:
    return "".join(geojson_chunks(rows, fields, note))


def to_xlsx(rows: Iterable[dict], fields: list[str], note: str = "") -> bytes:
    names = labels()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Sites")[:31])
    sheet.append([names[f] for f in fields])
    for row in rows:
        # openpyxl stores text starting with "=" as a formula: neutralised first.
        sheet.append([spreadsheet_safe(row.get(f)) for f in fields])
    if note:
        workbook.create_sheet(_("Note")[:31]).append([note])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# OGR field types, written beside each CSV the GeoPackage is built from (a .csvt
# file): GDAL then types every column as declared instead of guessing from values
# (a column empty in every row would otherwise become text).
OGR_TYPES = {
    "AutoField": "Integer",
    "BigAutoField": "Integer",
    "IntegerField": "Integer",
    "PositiveIntegerField": "Integer",
    "PositiveSmallIntegerField": "Integer",
    "SmallIntegerField": "Integer",
    "BigIntegerField": "Integer64",
    "DecimalField": "Real",
    "FloatField": "Real",
    "DateField": "Date",
    "DateTimeField": "DateTime",
    "BooleanField": "Integer(Boolean)",
}
COMPUTED_TYPES = {
    "id": "Integer",
    "version": "Integer",
    "longitude": "Real",
    "latitude": "Real",
}


def ogr_types(model, fields: list[str]) -> list[str]:
    """The OGR type of each field: from the model where it is one, else text."""
    model_fields = {f.attname: f for f in model._meta.concrete_fields}
    return [
        COMPUTED_TYPES.get(name)
        or OGR_TYPES.get(
            type(model_fields[name]).__name__ if name in model_fields else "", "String"
        )
        for name in fields
    ]


def _gpkg_value(value):
    """A CSV cell GDAL reads back as the declared type (no formula quoting here:
    a GeoPackage is not a spreadsheet)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value


def to_gpkg(
    rows: Iterable[dict],
    fields: list[str],
    types: list[str],
    layers: list[tuple[str, str]],
    note: str = "",
) -> bytes:
    """A GeoPackage written by GDAL's ogr2ogr, one layer per kind: `layers` are the
    (code, label) of every kind, each a layer named by its code, even when empty, so
    a QGIS project reading one keeps working; fields typed as `types` say."""
    with tempfile.TemporaryDirectory() as folder:
        sources = _layer_sources(Path(folder), rows, fields, types, layers)
        target = Path(folder, "export.gpkg")
        for index, (code, label) in enumerate(layers):
            command = ["ogr2ogr", *(["-update"] if index else ["-f", "GPKG"])]
            command += [str(target), str(sources[code]), "-nln", code, "-nlt", "POINT"]
            command += ["-a_srs", "EPSG:4326", "-lco", "FID=fid"]
            command += ["-lco", f"IDENTIFIER={label}"]
            command += ["-oo", "X_POSSIBLE_NAMES=longitude"]
            command += ["-oo", "Y_POSSIBLE_NAMES=latitude"]
            command += ["-oo", "KEEP_GEOM_COLUMNS=NO"]
            if note:
                command += ["-lco", f"DESCRIPTION={note}"]
            subprocess.run(command, check=True, capture_output=True, timeout=600)  # noqa: S603 (fixed arguments)
        return target.read_bytes()


def _layer_sources(folder: Path, rows, fields, types, layers) -> dict[str, Path]:
    """One CSV (and its .csvt of types) per layer, the rows streamed into them."""
    paths = {code: folder / f"{code}.csv" for code, _label in layers}
    files = {code: path.open("w", encoding="utf-8", newline="") for code, path in paths.items()}  # fmt: skip
    try:
        writers = {code: csv.writer(file) for code, file in files.items()}
        for code, writer in writers.items():
            writer.writerow(fields)
            paths[code].with_suffix(".csvt").write_text(
                ",".join(f'"{t}"' for t in types) + "\n", encoding="utf-8"
            )
        for row in rows:
            writers[row["kind"]].writerow([_gpkg_value(row.get(f)) for f in fields])
    finally:
        for file in files.values():
            file.close()
    return paths


def sites_gpkg(rows: Iterable[dict], fields: list[str], note: str = "") -> bytes:
    """The sites GeoPackage: one layer per site kind."""
    types = ogr_types(Site, fields)
    return to_gpkg(rows, fields, types, list(SiteKind.choices), note)


def export_rows(sites: Iterable[Site], fields: list[str], user, spreadsheet: bool):
    """Rows one site at a time (a streamed export never holds them all)."""
    for site in sites:
        row = site_row(site)
        if "procedures" in fields:
            add_procedures([row], [site], user)
        yield displayed(site, row) if spreadsheet else row


# Accessibility points: public information, the same writers.
POINT_FIELDS = [
    "id", "commune_code", "longitude", "latitude", "kind", "spaces", "length_m",
    "width_m", "surface", "open_air", "address", "details", "domain",
    "created_year", "status", "source", "source_id", "verified_at",
]  # fmt: skip
POINT_CHOICES = ("kind", "surface", "status", "source")


def point_labels() -> dict[str, str]:
    names = {
        "id": "id",
        "commune_code": _("commune code"),
        "longitude": _("longitude"),
        "latitude": _("latitude"),
    }
    for name in POINT_FIELDS[4:]:
        names[name] = str(AccessibilityPoint._meta.get_field(name).verbose_name)
    return names


def export_points(points: QuerySet) -> QuerySet:
    """The points as point_row reads them: coordinates read by PostGIS (a GEOS point
    per row cost more than the rest of the row), no commune outline."""
    return points.defer("point", *without_boundaries("commune")).annotate(
        export_x=Func(F("point"), function="ST_X", output_field=FloatField()),
        export_y=Func(F("point"), function="ST_Y", output_field=FloatField()),
    )


def point_row(point, spreadsheet: bool) -> dict:
    """A point of export_points() as the exports write it."""
    row = {
        "id": point.pk,
        "commune_code": point.commune.code,
        "longitude": round(point.export_x, 6),
        "latitude": round(point.export_y, 6),
    }
    for name in POINT_FIELDS[4:]:
        value = getattr(point, name)
        if name in POINT_CHOICES and spreadsheet and value:
            value = _point_choice_labels(get_language())[name].get(value, value)
        elif isinstance(value, datetime.datetime):
            value = timezone.localtime(value).replace(tzinfo=None)
        elif value is not None and name in ("length_m", "width_m"):
            value = float(value)
        row[name] = value
    return row


@lru_cache(maxsize=16)
def _point_choice_labels(language: str | None) -> dict[str, dict]:
    """As _choice_labels, for the points' choice fields."""
    return {
        name: {
            value: str(label)
            for value, label in AccessibilityPoint._meta.get_field(name).flatchoices
        }
        for name in POINT_CHOICES
    }


def points_gpkg(rows: Iterable[dict], note: str = "") -> bytes:
    """The accessibility points GeoPackage: one layer per point kind."""
    types = ogr_types(AccessibilityPoint, POINT_FIELDS)
    return to_gpkg(rows, POINT_FIELDS, types, list(AccessibilityKind.choices), note)
