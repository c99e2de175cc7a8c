"""OGC API - Features Part 2 (CRS by reference): the coordinate systems offered.

Storage is WGS 84 longitude/latitude (SRID 4326, the axis order of CRS84). EPSG:4326
as the OGC defines it is latitude first, so its coordinates are swapped; Lambert-93
(EPSG:2154) and Web Mercator (EPSG:3857) are easting, northing, in metres.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"


@dataclass(frozen=True)
class Crs:
    uri: str
    srid: int
    lat_first: bool = False  # EPSG:4326's axis order
    precision: int = 6  # decimals: 6 for degrees (~0.1 m), 2 for metres (1 cm)


CRSS = [
    Crs(CRS84, 4326),
    Crs(f"{EPSG}4326", 4326, lat_first=True),
    Crs(f"{EPSG}2154", 2154, precision=2),
    Crs(f"{EPSG}3857", 3857, precision=2),
]
BY_URI = {crs.uri: crs for crs in CRSS}
STORAGE = BY_URI[CRS84]
URIS = [crs.uri for crs in CRSS]


def parse(value: str | None, parameter: str) -> Crs:
    """The CRS a parameter names (its URI, or `EPSG:2154` / `[EPSG:2154]` /
    `OGC:CRS84` for short); anything else is a 400 naming the parameter."""
    if value is None:  # `crs=` is a 400: the schema's enum has no empty value
        return STORAGE
    text = value.strip().strip("[]")
    authority, _sep, code = text.partition(":")
    if authority.upper() == "EPSG" and code.isdigit():
        text = f"{EPSG}{code}"
    elif authority.upper() == "OGC" and code.upper() == "CRS84":
        text = CRS84
    crs = BY_URI.get(text)
    if crs is None:
        raise ValidationError(
            {
                parameter: _(
                    "Unsupported coordinate system %(crs)s: use one of %(uris)s."
                )
                % {"crs": value, "uris": ", ".join(URIS)}
            }
        )
    return crs


def bbox_in_storage(
    numbers: list[float], crs: Crs
) -> tuple[tuple[float, float, float, float], int]:
    """(minx, miny, maxx, maxy) in the CRS's x/y order, and its SRID: the lookup
    transforms it to the stored coordinates."""
    a, b, c, d = numbers
    return ((b, a, d, c) if crs.lat_first else (a, b, c, d)), crs.srid


def header(crs: Crs) -> str:
    return f"<{crs.uri}>"
