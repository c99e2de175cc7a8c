"""Site exports (CSV, GeoJSON): the same scope as every exit, audited, no personal data.

Procedures go only to local admins of each site's territory.
"""

import csv
import io
import json

from actors.capabilities import SEE_PROCEDURES, can
from sites.history import TRACKED_FIELDS
from sites.models import Site

# Rows in one export, and sites rebuilt at a past date in one request (each replays
# its history): beyond, the user narrows by territory or bbox.
EXPORT_LIMIT = 50_000
AS_OF_LIMIT = 5_000

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


def site_row(site: Site) -> dict:
    row = {
        "id": site.pk,
        "commune_code": site.commune.code,
        "commune_name": site.commune.name,
        "longitude": round(site.point.x, 6),
        "latitude": round(site.point.y, 6),
        "version": site.version,
        "updated_at": site.updated_at.isoformat() if site.updated_at else "",
    }
    for name in EXPORT_FIELDS[7:]:
        value = getattr(site, name)
        row[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return row


def with_procedures(rows: list[dict], sites: list[Site], user) -> list[str]:
    """Add a procedures column when the user is local admin of at least one site."""
    allowed = {s.pk for s in sites if can(user, SEE_PROCEDURES, s)}
    if not allowed:
        return EXPORT_FIELDS
    procedures = {}
    for site in sites:
        if site.pk in allowed:
            procedures[site.pk] = "; ".join(
                f"{p.get_kind_display()} {p.started_on or ''} {p.decision_on or ''} {p.summary}".strip()
                for p in site.procedures.all()
            )
    for row in rows:
        row["procedures"] = procedures.get(row["id"], "")
    return [*EXPORT_FIELDS, "procedures"]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Text a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(rows: list[dict], fields: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue()


def to_geojson(rows: list[dict], fields: list[str]) -> str:
    features = [
        {
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
        for row in rows
    ]
    return json.dumps(
        {"type": "FeatureCollection", "features": features},
        ensure_ascii=False,
        default=str,
    )
