"""Writes to accessibility: points (report, verify, remove, import), rules, zones.

Imports are idempotent on (source, source id), all-or-nothing unless `partial`,
and report every rejected row with its number and the reason.
"""

from dataclasses import dataclass, field

from django.contrib.gis.geos import MultiPolygon, Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.audit import record
from actors.capabilities import (
    IMPORT_POINTS,
    REPORT_POINT,
    SET_PARKING_RULES,
    VERIFY_POINT,
    require,
)
from lib.free_text import check_free_text
from sites.models import AccessibilityPoint, PointSource, PointStatus
from territory.models import Territory

POINT_FIELDS = (
    "spaces",
    "length_m",
    "width_m",
    "surface",
    "open_air",
    "address",
    "details",
    "domain",
    "created_year",
)


@transaction.atomic
def report_point(data: dict, *, acting_user, request=None) -> AccessibilityPoint:
    """A contributor reports a space; a local admin verifies it later."""
    point = AccessibilityPoint(
        status=PointStatus.REPORTED, reported_by=acting_user, **data
    )
    point.commune = Territory.objects.commune_at(point.point)
    require(
        acting_user,
        REPORT_POINT,
        point.commune,
        _("You cannot report points in this territory."),
    )
    point.full_clean()
    point.save()
    record(
        "accessibility_point.reported", actor=acting_user, target=point, request=request
    )
    return point


@transaction.atomic
def set_point_status(
    point: AccessibilityPoint, status: str, *, acting_user, request=None
) -> AccessibilityPoint:
    """Verify or remove: local admins of the commune only."""
    require(
        acting_user,
        VERIFY_POINT,
        point,
        _("Only a local administrator can verify or remove a point."),
    )
    point.status = status
    if status == PointStatus.VERIFIED:
        point.verified_by, point.verified_at = acting_user, timezone.now()
    point.save()
    record(
        f"accessibility_point.{status}",
        actor=acting_user,
        target=point,
        request=request,
    )
    return point


# --- imports ------------------------------------------------------------------


@dataclass
class ImportRow:
    number: int  # 1-based feature or line number in the file
    values: dict  # model field -> value
    point: Point | None
    source_id: str
    commune_code: str = ""


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[str] = field(default_factory=list)
    applied: bool = False

    def summary(self) -> str:
        text = _("%(c)s created, %(u)s updated, %(n)s unchanged, %(r)s rejected") % {
            "c": self.created, "u": self.updated, "n": self.unchanged, "r": len(self.rejected),
        }  # fmt: skip
        return text


class ImportRefused(Exception):
    def __init__(self, result: ImportResult):
        self.result = result
        super().__init__("\n".join(result.rejected))


class _DryRun(Exception):
    pass


def import_points(rows: list[ImportRow], *, source: str = PointSource.OPEN_DATA, partial: bool = False,
                  dry_run: bool = False, acting_user=None) -> ImportResult:  # fmt: skip
    """Create or update points keyed on (source, source id); see the module docstring."""
    result = ImportResult()
    try:
        with transaction.atomic():
            _apply_rows(rows, source, acting_user, result)
            if result.rejected and not partial:
                raise ImportRefused(result)
            if dry_run:
                raise _DryRun
    except _DryRun:
        return result
    result.applied = True
    if acting_user is not None:
        record(
            "accessibility_point.imported",
            actor=acting_user,
            source=source,
            summary=result.summary(),
        )
    return result


def _apply_rows(rows, source, acting_user, result: ImportResult) -> None:
    communes = _communes_by_code({r.commune_code for r in rows if r.commune_code})
    existing = {
        p.source_id: p
        for p in AccessibilityPoint.objects.select_related("commune").filter(
            source=source, source_id__in=[r.source_id for r in rows]
        )
    }
    for row in rows:
        try:
            point = _point_for(row, source, existing, communes, acting_user)
        except (ValidationError, PermissionDenied) as exc:
            result.rejected.append(
                _("row %(n)s: %(why)s") % {"n": row.number, "why": _message(exc)}
            )
            continue
        if point is None:
            result.unchanged += 1
            continue
        is_new = point.pk is None
        point.save()
        existing[row.source_id] = point
        result.created += is_new
        result.updated += not is_new


def _point_for(
    row, source, existing, communes, acting_user
) -> AccessibilityPoint | None:
    if row.point is None:
        raise ValidationError({"point": _("no coordinates")})
    point = existing.get(row.source_id) or AccessibilityPoint(
        source=source, source_id=row.source_id, status=PointStatus.VERIFIED
    )
    before = {name: getattr(point, name) for name in POINT_FIELDS} | {
        "point": point.point and point.point.ewkt
    }
    # An existing point is only changed by an admin of where it stands now.
    if point.pk is not None:
        _require_import_scope(acting_user, point.commune)
    for name, value in row.values.items():
        setattr(point, name, value)
    point.point = row.point
    point.commune = _commune_for(row, communes)
    _require_import_scope(acting_user, point.commune)
    point.full_clean(exclude=["reported_by", "verified_by"], validate_unique=False)
    after = {name: getattr(point, name) for name in POINT_FIELDS} | {
        "point": point.point.ewkt
    }
    if point.pk is not None and before == after:
        return None
    return point


def _commune_for(row: ImportRow, communes: dict[str, Territory]) -> Territory:
    """The file's INSEE code when the point lies in that commune; else a spatial join."""
    commune = communes.get(row.commune_code)
    if commune is None:
        return Territory.objects.commune_at(row.point)
    if not commune.tolerant_geom.intersects(row.point):
        raise ValidationError(
            {
                "commune_code": _("the point is not in commune %(c)s")
                % {"c": commune.code}
            }
        )
    return commune


def _require_import_scope(acting_user, commune: Territory) -> None:
    if acting_user is not None:
        message = _("outside your territory (%(c)s)") % {"c": commune.code}
        require(acting_user, IMPORT_POINTS, commune, message)


def _communes_by_code(codes: set[str]) -> dict[str, Territory]:
    communes = (
        Territory.objects.communes()
        .filter(code__in=codes)
        .only("id", "code", "path", "geom")
    )
    for commune in communes:
        # About 100 m of slack: boundaries are simplified, sources place points on kerbs.
        commune.tolerant_geom = commune.geom.buffer(0.001).prepared
    return {commune.code: commune for commune in communes}


def _message(exc) -> str:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items()
        )
    return " ".join(getattr(exc, "messages", [str(exc)]))


@transaction.atomic
def set_parking_rules(commune: Territory, data: dict, *, acting_user, request=None):
    """Record a commune's disabled-parking rules: its local admins only."""
    from sites.models import ParkingRules

    require(
        acting_user,
        SET_PARKING_RULES,
        commune,
        _("Only a local administrator of this commune can change its rules."),
    )
    rules, _created = ParkingRules.objects.get_or_create(commune=commune)
    for name, value in data.items():
        setattr(rules, name, value)
    rules.full_clean()
    rules.save()
    record("parking_rules.changed", actor=acting_user, target=rules, request=request)
    return rules


@transaction.atomic
def save_restricted_zone(
    commune: Territory, data: dict, *, zone=None, acting_user, request=None
):
    """Create or change a commune's restricted traffic zone: its local admins only.

    The area must lie in the commune (about 100 m of slack for simplified
    boundaries), and the name and rules go through the free-text guard.
    """
    from sites.models import RestrictedZone

    require(
        acting_user,
        SET_PARKING_RULES,
        commune,
        _("Only a local administrator of this commune can change its zones."),
    )
    if zone is not None and zone.commune_id != commune.pk:
        raise PermissionDenied(_("This zone belongs to another commune."))
    creating = zone is None
    zone = zone or RestrictedZone(commune=commune)
    for name, value in data.items():
        setattr(zone, name, value)
    _check_zone_area(zone, commune)
    errors: dict[str, list] = {}
    check_free_text(errors, "rules", zone.rules)
    if errors:
        raise ValidationError(errors)
    zone.full_clean()  # the model's clean() guards the name the same way
    zone.save()
    event = "restricted_zone.created" if creating else "restricted_zone.changed"
    record(event, actor=acting_user, target=zone, request=request)
    return zone


def _check_zone_area(zone, commune: Territory) -> None:
    geom = zone.geom
    if geom is None or geom.empty:
        raise ValidationError({"geom": _("Draw the zone on the map.")})
    if geom.geom_type == "Polygon":
        zone.geom = geom = MultiPolygon(geom, srid=geom.srid)
    if not geom.valid:
        repaired = geom.buffer(0)
        if repaired.empty or repaired.geom_type not in ("Polygon", "MultiPolygon"):
            raise ValidationError({"geom": _("This area cannot be repaired.")})
        zone.geom = geom = (
            repaired
            if repaired.geom_type == "MultiPolygon"
            else MultiPolygon(repaired, srid=geom.srid)
        )
    if not commune.geom.buffer(0.001).contains(geom):
        raise ValidationError(
            {
                "geom": _("The zone must lie in the commune %(name)s.")
                % {"name": commune.name}
            }
        )
