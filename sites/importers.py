"""Reading accessibility-point files (GeoJSON, GeoPackage, any GDAL vector; CSV) into rows.

A mapping says which source column feeds which field. The default fits the
open-data format of Grand Paris Seine Ouest (`places-de-stationnement-pmr`):
id_pmr, code_insee, num_loc + rep_loc + localisation, comp_loc, aerien, domaine, annee_crea.
"""

import csv
import io
from pathlib import Path

from django.conf import settings
from django.contrib.gis.gdal import DataSource, GDALException, SpatialReference
from django.contrib.gis.geos import GEOSException, GEOSGeometry, Point

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
LON_NAMES = ("lon", "lng", "long", "longitude", "x")
LAT_NAMES = ("lat", "latitude", "y")
WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")
YES = {"oui", "yes", "true", "1", "o", "y"}
NO = {"non", "no", "false", "0", "n"}


def parse_mapping(pairs: list[str]) -> dict[str, list[str]]:
    """['address=num+voie', 'source_id=id'] -> overrides of the default mapping."""
    mapping = dict(DEFAULT_MAPPING)
    for pair in pairs:
        name, _sep, columns = pair.partition("=")
        mapping[name.strip()] = [c.strip() for c in columns.split("+") if c.strip()]
    return mapping


def read_rows(
    path: Path, mapping: dict[str, list[str]] | None = None
) -> list[ImportRow]:
    mapping = mapping or DEFAULT_MAPPING
    if path.suffix.lower() == ".csv":
        records = _csv_records(path)
    else:
        records = _gdal_records(path)
    return [_row(number, props, point, mapping) for number, props, point in records]


def _gdal_records(path: Path):
    with plain_file(path) as plain:
        try:
            layer = DataSource(str(plain))[0]
        except (GDALException, IndexError) as exc:
            raise SourceError(
                f"{path.name}: cannot be read as a spatial file ({exc})"
            ) from exc
        needs_transform = (
            layer.srs is not None
            and layer.srs.srid != settings.GEO_SRID
            and "WGS 84" not in (layer.srs.name or "")
        )
        records = []
        for number, feature in enumerate(layer, start=1):
            props = {name: feature.get(name) for name in feature.fields}
            records.append((number, props, _ogr_point(feature, needs_transform)))
    return records


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


def _csv_records(path: Path):
    with plain_file(path) as plain:
        text = _decoded(plain.read_bytes(), path.name)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # one column, or too little to tell: plain commas
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    try:
        # Line numbers as a spreadsheet shows them: the header is line 1.
        return [
            (number, row, _csv_point(row)) for number, row in enumerate(reader, start=2)
        ]
    except csv.Error as exc:
        raise SourceError(f"{path.name}: not a readable CSV file ({exc})") from exc


def _decoded(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 as spreadsheets often save it."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SourceError(f"{name}: unknown text encoding (save it as UTF-8)")


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
    try:
        return Point(
            float(lon.replace(",", ".")),
            float(lat.replace(",", ".")),
            srid=settings.GEO_SRID,
        )
    except (AttributeError, ValueError):
        return None


def _row(
    number: int, props: dict, point: Point | None, mapping: dict[str, list[str]]
) -> ImportRow:
    def joined(name: str) -> str:
        parts = [
            str(props.get(column) or "").strip() for column in mapping.get(name, [])
        ]
        return " ".join(p for p in parts if p)

    values = {}
    for name in ("address", "details", "domain"):
        values[name] = joined(name)[:255]
    values["open_air"] = _yes_no(joined("open_air"))
    for name in ("created_year", "spaces"):
        text = joined(name)
        if text:
            values[name] = text  # the model field converts and reports bad numbers
    source_id = joined("source_id") or (
        f"{point.x:.7f},{point.y:.7f}" if point else f"row-{number}"
    )
    return ImportRow(
        number=number,
        values=values,
        point=point,
        source_id=source_id,
        commune_code=joined("commune_code"),
    )


def _yes_no(text: str) -> bool | None:
    lowered = text.lower()
    return True if lowered in YES else False if lowered in NO else None
