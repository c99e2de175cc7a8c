"""Writes to accessibility: points (report, verify, remove, import), rules, zones.

Imports are keyed on (dataset, source id): two publishers' "261" are two points.
They are idempotent, all-or-nothing unless `partial`, refuse to move an existing
point to another commune or farther than IMPORT_MOVE_METRES unless confirmed,
and report every rejected row with its number and the reason.
"""

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
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
    can,
    require,
)
from lib.free_text import check_free_text
from lib.names import prepare_texts
from lib.pii import find_personal_data
from sites.models import AccessibilityPoint, Dataset, PointSource, PointStatus
from sites.services.bulk import copy_create, copy_update
from sites.services.import_communes import Communes
from territory.models import Territory
from territory.sources import SourceError

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

BATCH_SIZE = 2000  # rows validated, looked up and written together
SHOWN_LINES = 200  # rejected rows and moves kept for the report; beyond, counted


@dataclass
class ImportRow:
    number: int  # 1-based feature or line number in the file
    values: dict  # model field -> value
    point: Point | None
    source_id: str
    commune_code: str = ""
    errors: list[str] = field(default_factory=list)  # found while reading the row
    # The point's coordinates, read once per row by the import (GEOS reads are slow).
    xy: tuple[float, float] | None = None


@dataclass
class Move:
    """An existing point that the file puts elsewhere: shown, and applied only if confirmed."""

    number: int
    source_id: str
    from_commune: str
    to_commune: str
    metres: float

    def describe(self) -> str:
        if self.from_commune != self.to_commune:
            return _("row %(n)s: point %(id)s moves from commune %(a)s to %(b)s (%(m)s m)") % {
                "n": self.number, "id": self.source_id, "a": self.from_commune,
                "b": self.to_commune, "m": round(self.metres),
            }  # fmt: skip
        return _("row %(n)s: point %(id)s moves %(m)s m within commune %(a)s") % {
            "n": self.number, "id": self.source_id, "m": round(self.metres), "a": self.from_commune,
        }  # fmt: skip


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # rows left out by the row filter
    rejected: list[str] = field(default_factory=list)
    rejected_count: int = 0
    moves: list[Move] = field(default_factory=list)
    move_count: int = 0
    moves_refused: bool = False
    applied: bool = False

    def summary(self) -> str:
        text = _("%(c)s created, %(u)s updated, %(n)s unchanged, %(r)s rejected") % {
            "c": self.created, "u": self.updated, "n": self.unchanged, "r": self.rejected_count,
        }  # fmt: skip
        if self.skipped:
            text += _(", %(s)s skipped by the row filter") % {"s": self.skipped}
        if self.move_count:
            text += _(", %(m)s moved") % {"m": self.move_count}
        return text

    def reject(self, row_number: int, why: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < SHOWN_LINES:
            self.rejected.append(
                _("row %(n)s: %(why)s") % {"n": row_number, "why": why}
            )

    def hidden_rejections(self) -> int:
        return self.rejected_count - len(self.rejected)

    def add_move(self, move: Move) -> None:
        self.move_count += 1
        if len(self.moves) < SHOWN_LINES:
            self.moves.append(move)


class ImportRefused(Exception):
    def __init__(self, result: ImportResult):
        self.result = result
        lines = result.rejected or [m.describe() for m in result.moves]
        super().__init__("\n".join(lines))


class _DryRun(Exception):
    pass


def dataset_for(key: str, title: str = "") -> Dataset:
    """`publisher/identifier` -> the dataset, or a new unsaved one (saved by its import)."""
    publisher, _sep, identifier = key.strip().partition("/")
    dataset = Dataset.objects.filter(publisher=publisher, identifier=identifier).first()
    if dataset is None:
        dataset = Dataset(publisher=publisher, identifier=identifier, title=title)
        try:
            dataset.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            raise SourceError(
                _(
                    "dataset “%(key)s”: write PUBLISHER/IDENTIFIER, e.g. gpso/places-pmr (%(why)s)"
                )
                % {"key": key, "why": _message(exc)}
            ) from None
    elif title and title != dataset.title:
        dataset.title = title
    return dataset


def import_points(rows: Iterable[ImportRow], *, dataset: Dataset, source: str = PointSource.OPEN_DATA,
                  partial: bool = False, dry_run: bool = False, confirm_moves: bool = False,
                  acting_user=None, progress: Callable[[int], None] | None = None,
                  count_skipped: Callable[[], int] | None = None) -> ImportResult:  # fmt: skip
    """Create or update the points of `dataset`, keyed on their source id.

    One transaction: rows are streamed and written in batches, and a refusal (a
    rejected row without `partial`, a move without `confirm_moves`) or a dry run
    rolls every batch back. `dataset` may be unsaved: it is saved with the import.
    """
    result = ImportResult()
    new_dataset = dataset.pk is None
    try:
        with transaction.atomic():
            dataset.last_imported_at = timezone.now()
            dataset.save()
            _apply_all(rows, _Batcher(dataset, source, acting_user, result), progress)
            result.skipped = count_skipped() if count_skipped else 0
            if result.rejected_count and not partial:
                raise ImportRefused(result)
            if dry_run:
                raise _DryRun
            if result.move_count and not confirm_moves:
                result.moves_refused = True
                raise ImportRefused(result)
    except (_DryRun, ImportRefused) as stopped:
        if new_dataset:
            dataset.pk = None  # rolled back with the rest
        if isinstance(stopped, ImportRefused):
            raise
        return result
    result.applied = True
    if acting_user is not None:
        record(
            "accessibility_point.imported",
            actor=acting_user,
            target=dataset,
            dataset=dataset.key,
            source=source,
            summary=result.summary(),
        )
    return result


def _apply_all(rows, batcher: "_Batcher", progress) -> None:
    done = 0
    batch: list[ImportRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH_SIZE:
            done += batcher.apply(batch)
            batch = []
            if progress:
                progress(done)
    done += batcher.apply(batch)
    if progress:
        progress(done)


class _Batcher:
    """Looks up, checks and writes one batch of rows; remembers what earlier batches saw."""

    def __init__(self, dataset, source, acting_user, result: ImportResult):
        self.dataset, self.source, self.acting_user = dataset, source, acting_user
        self.result = result
        self.seen: dict[str, int] = {}  # source id -> row number, across batches
        self.communes = Communes()
        self.allowed: dict[int, bool] = {}  # commune id -> may the user import there
        self.now = timezone.now()
        self.texts = _TextGuard()
        self.field_names = [f.name for f in AccessibilityPoint._meta.concrete_fields]

    def apply(self, batch: list[ImportRow]) -> int:
        if not batch:
            return 0
        existing = {
            p.source_id: p
            for p in AccessibilityPoint.objects.filter(
                dataset=self.dataset, source_id__in=[r.source_id for r in batch]
            ).only("source_id", "commune", *UPDATED_FIELDS)
        }
        for row in batch:
            row.xy = (row.point.x, row.point.y) if row.point else None
        self.communes.locate([r.xy for r in batch if r.xy and not r.commune_code])
        self.communes.preload({p.commune_id for p in existing.values()})
        self.texts.prepare([r for r in batch if r.source_id not in existing])
        to_create, to_update = [], []
        for row in batch:
            point = self._checked(row, existing)
            if point is None:
                continue
            (to_update if point.pk else to_create).append(point)
        copy_create(AccessibilityPoint, to_create)
        copy_update(AccessibilityPoint, to_update, UPDATED_FIELDS)
        self.result.created += len(to_create)
        self.result.updated += len(to_update)
        return len(batch)

    def _checked(self, row: ImportRow, existing) -> AccessibilityPoint | None:
        first = self.seen.setdefault(row.source_id, row.number)
        try:
            if row.errors:
                raise ValidationError(row.errors)
            if first != row.number:
                raise ValidationError(
                    _("the id %(id)s is repeated: rows %(a)s and %(b)s")
                    % {"id": row.source_id, "a": first, "b": row.number}
                )
            point = self._point_for(row, existing.get(row.source_id))
        except (ValidationError, PermissionDenied) as exc:
            self.result.reject(row.number, _message(exc))
            return None
        if point is None:
            self.result.unchanged += 1
        return point

    def _point_for(self, row: ImportRow, point) -> AccessibilityPoint | None:
        if row.point is None:
            raise ValidationError({"point": _("no coordinates")})
        commune = self.communes.for_row(row)
        if point is None:
            point = AccessibilityPoint(
                dataset=self.dataset, source=self.source, source_id=row.source_id,
                status=PointStatus.VERIFIED,
            )  # fmt: skip
        else:
            # An existing point is only changed by an admin of where it stands now.
            self._require_scope(self.communes.by_id(point.commune_id))
        self._require_scope(commune)
        if point.pk is None:
            self._set(point, row, commune)
            self._clean(point, row)
            return point
        before = _fingerprint(point, point.point.coords)
        old_place = (point.commune_id, point.point)
        self._set(point, row, commune)
        # A row equal to what is stored was checked when it was stored: a
        # re-import of an unchanged file costs no cleaning and no text guard.
        if before == _fingerprint(point, row.xy):
            return None
        self._clean(point, row)
        if before == _fingerprint(point, row.xy):
            return None
        self._note_move(row, old_place, commune)
        point.updated_at = self.now
        return point

    @staticmethod
    def _set(point: AccessibilityPoint, row: ImportRow, commune: Territory) -> None:
        for name, value in row.values.items():
            setattr(point, name, value)
        point.point, point.commune = row.point, commune

    def _clean(self, point: AccessibilityPoint, row: ImportRow) -> None:
        """The fields the file set, then the free-text guard through the import's cache."""
        cleaned = {*row.values, "point", "source_id"}
        try:
            point.clean_fields(
                exclude=[f for f in self.field_names if f not in cleaned]
            )
        except ValidationError as exc:
            raise ValidationError(exc.message_dict | self.texts.errors(point)) from None
        if errors := self.texts.errors(point):
            raise ValidationError(errors)

    def _note_move(self, row: ImportRow, old_place, commune: Territory) -> None:
        old_commune_id, old_point = old_place
        metres = _metres(old_point, row.point)
        if old_commune_id != commune.pk or metres > settings.IMPORT_MOVE_METRES:
            self.result.add_move(
                Move(row.number, row.source_id,
                     self.communes.by_id(old_commune_id).code, commune.code, metres)
            )  # fmt: skip

    def _require_scope(self, commune: Territory) -> None:
        if self.acting_user is None:
            return
        if commune.pk not in self.allowed:
            self.allowed[commune.pk] = can(self.acting_user, IMPORT_POINTS, commune)
        if not self.allowed[commune.pk]:
            raise PermissionDenied(
                _("outside your territory (%(c)s)") % {"c": commune.code}
            )


class _TextGuard:
    """The free-text guard of lib.free_text, with the name check asked once per street.

    Identifiers (e-mail, phone, NIR...) are looked for in every value. The probable-
    name check runs a language model (about 15 ms a text): its answer is kept for the
    text without its digits, as house numbers name nobody and a file repeats its
    streets ("12 RUE DU FIEF", "14 RUE DU FIEF").
    """

    HOUSE_NUMBERS = re.compile(r"\d+")

    def __init__(self):
        self._seen: dict[tuple[str, str], list] = {}

    def prepare(self, batch: list[ImportRow]) -> None:
        """Hand the batch's new streets to the language model at once (lib.names)."""
        new: dict[tuple[str, str], str] = {}
        for row in batch:
            for name in AccessibilityPoint.free_text_fields:
                text = row.values.get(name) or ""
                key = (name, self.HOUSE_NUMBERS.sub("", text))
                if text and key not in self._seen:
                    new.setdefault(key, text)
        prepare_texts(new.values())

    def errors(self, point: AccessibilityPoint) -> dict[str, list]:
        errors: dict[str, list] = {}
        for name in point.free_text_fields:
            text = getattr(point, name) or ""
            if not text or find_personal_data(text):
                check_free_text(errors, name, text, point)
                continue
            key = (name, self.HOUSE_NUMBERS.sub("", text))
            if key not in self._seen:
                found: dict[str, list] = {}
                check_free_text(found, name, text, point)
                self._seen[key] = found.get(name, [])
            if self._seen[key]:
                errors[name] = self._seen[key]
        return errors


UPDATED_FIELDS = [*POINT_FIELDS, "point", "commune", "updated_at"]


def _fingerprint(point: AccessibilityPoint, xy) -> tuple:
    """What an import compares; `xy`, the location's coordinates, read once by the caller."""
    values = tuple(str(getattr(point, name)) for name in POINT_FIELDS)
    return (*values, tuple(xy), point.commune_id)


def _metres(a: Point, b: Point) -> float:
    """Great-circle distance (haversine); enough to tell 50 m from a kerb's width."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a.x, a.y, b.x, b.y))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


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
