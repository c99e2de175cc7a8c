"""Reading boundary files and COG lists, whatever their format or compression."""

import contextlib
import ctypes
import gzip
import json
import lzma
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.gis.gdal import (
    DataSource,
    GDALException,
    OGRGeometry,
    SpatialReference,
)
from django.contrib.gis.gdal.libgdal import lgdal
from django.utils.translation import gettext as _

REFERENCE_DIR = Path(settings.BASE_DIR) / "data" / "reference"
# Both open a compressed file like `open`; typed loosely, as their overloads differ.
OPENERS: dict[str, Callable[..., Any]] = {".xz": lzma.open, ".gz": gzip.open}


@dataclass
class Feature:
    number: int  # 1-based position in the file, for error messages
    code: str
    name: str
    wkb: bytes
    # Bounding box in the file's own CRS (x_min, y_min, x_max, y_max), before any
    # transformation: says whether "metres" were in fact degrees.
    source_extent: tuple[float, float, float, float] | None = None


class SourceError(Exception):
    """A file that cannot be imported; the message names file, feature and reason."""


# In an archive, the file that holds the data (a Shapefile's .shp brings its .dbf).
ARCHIVE_MAIN_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".csv")
COPY_CHUNK = 1 << 20


@contextlib.contextmanager
def plain_file(path: Path, limit: int | None = None) -> Iterator[Path]:
    """The file itself, or a decompressed temporary copy of a .xz / .gz / .zip file.

    With `limit` (bytes), a file that expands beyond it is refused while it is
    being expanded: a small archive of zeros cannot fill the disk.
    """
    opener = OPENERS.get(path.suffix.lower())
    if opener is None and path.suffix.lower() != ".zip":
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="terrain-import-") as tmp:
        if opener is None:
            yield _unzipped(path, Path(tmp), limit)
            return
        target = Path(tmp) / path.stem
        try:
            with opener(path, "rb") as src, target.open("wb") as dst:
                _copy_capped(src, dst, limit, path.name)
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise SourceError(f"{path.name}: cannot be decompressed ({exc})") from exc
        yield target


def _copy_capped(src, dst, limit: int | None, name: str) -> None:
    written = 0
    while chunk := src.read(COPY_CHUNK):
        written += len(chunk)
        if limit is not None and written > limit:
            raise SourceError(too_large(name, limit))
        dst.write(chunk)


def too_large(name: str, limit: int) -> str:
    return _(
        "%(file)s: expands to more than %(mb)s MB once decompressed; the import "
        "stopped there: split it into smaller files"
    ) % {"file": name, "mb": limit // 1_000_000}


def _unzipped(path: Path, folder: Path, limit: int | None) -> Path:
    """Members of a .zip written under `folder`, capped; the data file among them."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceError(f"{path.name}: not a readable zip file ({exc})") from exc
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if limit is not None and sum(m.file_size for m in members) > limit:
            raise SourceError(too_large(path.name, limit))
        written = 0
        for member in members:
            # Flattened, and the name cleaned: an archive cannot write outside `folder`.
            target = folder / Path(member.filename).name
            try:
                with archive.open(member) as src, target.open("wb") as dst:
                    _copy_capped(
                        src, dst, None if limit is None else limit - written, path.name
                    )
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise SourceError(f"{path.name}: cannot be unzipped ({exc})") from exc
            written += target.stat().st_size
    for suffix in ARCHIVE_MAIN_SUFFIXES:
        found = sorted(folder.glob(f"*{suffix}"))
        if found:
            return found[0]
    raise SourceError(
        f"{path.name}: no {', '.join(ARCHIVE_MAIN_SUFFIXES)} file in the archive"
    )


def read_json(path: Path) -> Any:  # JSON: its shape is the caller's to know
    opener = OPENERS.get(path.suffix, open)
    with opener(path, "rb") as handle:
        return json.load(handle)


def read_features(
    path: Path, code_field: str = "code", name_field: str = "nom"
) -> tuple[list[Feature], list[str]]:
    """Every polygon feature of a GDAL-readable file, in WGS84, with its problems.

    Returns (features, errors): nothing is half-read, the caller decides.
    """
    features: list[Feature] = []
    errors: list[str] = []
    with plain_file(path) as plain:
        try:
            layer = DataSource(str(plain))[0]
        except (GDALException, IndexError) as exc:
            raise SourceError(
                f"{path}: cannot be read as a spatial file ({exc})"
            ) from exc
        to_wgs84 = _transform_to_wgs84(layer.srs)
        area = area_of_use(layer.srs) if to_wgs84 is not None else None
        for number, ogr_feature in enumerate(layer, start=1):
            feature, error = _read_one(
                ogr_feature, number, code_field, name_field, to_wgs84
            )
            if feature is not None and area is not None:
                error = _outside_area(feature, area, layer.srs)
            if error:
                errors.append(f"{path.name}: feature {number}: {error}")
            elif feature is not None:
                features.append(feature)
    return features, errors


def _transform_to_wgs84(srs: SpatialReference | None):
    if srs is None:
        return None  # GeoJSON without crs member is WGS84 by definition
    if srs.srid == settings.GEO_SRID or srs.name in ("WGS 84", "WGS 84 (CRS84)"):
        return None
    return SpatialReference(settings.GEO_SRID)


@dataclass
class AreaOfUse:
    name: str
    extent: tuple[float, float, float, float]  # WGS84 west, south, east, north


def area_of_use(srs: SpatialReference | None) -> AreaOfUse | None:
    """Where the CRS is valid, from PROJ's database (None when PROJ does not know)."""
    if srs is None:
        return None
    bounds = [ctypes.c_double() for _ in range(4)]
    name = ctypes.c_char_p()
    get_area = lgdal.OSRGetAreaOfUse
    if not get_area(srs.ptr, *map(ctypes.byref, bounds), ctypes.byref(name)):
        return None
    west, south, east, north = (bound.value for bound in bounds)
    return AreaOfUse((name.value or b"").decode(), (west, south, east, north))


def _outside_area(feature: "Feature", area: AreaOfUse, srs) -> str | None:
    """Coordinates a CRS cannot have: most often lon/lat in a file declaring a projection."""
    west, south, east, north = area.extent
    margin = 0.5  # degrees: PROJ's areas are drawn tight around the land
    x_min, y_min, x_max, y_max = OGRGeometry(memoryview(feature.wkb)).extent
    if (
        x_min >= west - margin
        and x_max <= east + margin
        and y_min >= south - margin
        and y_max <= north + margin
    ):
        return None
    crs = f"EPSG:{srs.srid}" if srs.srid else srs.name
    message = (
        f"code {feature.code}: outside the valid area of its declared CRS {crs} "
        f"({area.name})"
    )
    if (
        srs.projected
        and feature.source_extent
        and _looks_like_degrees(feature.source_extent)
    ):
        message += (
            "; its coordinates look like longitude/latitude (WGS84), not "
            f"{crs} metres: declare the file's real CRS"
        )
    return message


def _looks_like_degrees(extent: tuple[float, float, float, float]) -> bool:
    x_min, y_min, x_max, y_max = extent
    return -180 <= x_min <= x_max <= 180 and -90 <= y_min <= y_max <= 90


def _read_one(
    ogr_feature, number, code_field, name_field, to_wgs84
) -> tuple[Feature | None, str | None]:
    fields = set(ogr_feature.fields)
    code = (
        str(ogr_feature.get(code_field) or "").strip() if code_field in fields else ""
    )
    if not code:
        return None, f"no '{code_field}' value"
    name = (
        str(ogr_feature.get(name_field) or "").strip() if name_field in fields else ""
    )
    try:
        geom: OGRGeometry | None = ogr_feature.geom
    except GDALException:
        geom = None
    if geom is None or geom.empty:
        return None, f"code {code}: no usable geometry"
    if geom.geom_type.name not in (
        "Polygon",
        "MultiPolygon",
        "Polygon25D",
        "MultiPolygon25D",
    ):
        return None, f"code {code}: geometry is a {geom.geom_type.name}, not a polygon"
    source_extent = geom.extent
    if to_wgs84 is not None:
        try:
            geom.transform(to_wgs84)
        except GDALException:
            return None, f"code {code}: coordinates cannot be transformed to WGS84"
    geom.set_3d(False)
    return Feature(number, code, name, bytes(geom.wkb), source_extent), None
