"""Bulk import of sites: the accessibility import's pipeline, writing through the
site services.

Rows are keyed on (dataset, source id): a re-import of the same file changes
nothing, a changed row updates its site. Each write goes through declare_site,
update_site, close_site or reopen_site, so an imported site has the same history
(revisions by the importer) and audit events as one typed in a form, and a closed
row arrives closed with its date. One transaction: any rejected row refuses the
whole file unless `partial`; a dry run rolls everything back. Points must fall in
a commune of France, and in one the importer administers.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from actors.audit import record
from actors.capabilities import IMPORT_ANY_SITES, IMPORT_SITES, can, require
from lib.names import prepare_texts
from sites.models import Dataset, Site, SiteStatus
from sites.services.accessibility import (
    ImportRefused,
    ImportResult,
    ImportRow,
    _apply_all,
    _message,
)
from sites.services.import_communes import Communes
from sites.services.site import (
    CLOSURE_FIELDS,
    add_note,
    close_site,
    declare_site,
    reopen_site,
    update_site,
)
from territory.extent import FRANCE_AREAS, nearest_area
from territory.models import Territory
from territory.sources import SourceError


@dataclass
class SiteImportResult(ImportResult):
    closed: int = 0  # created closed, or an open site closed by the file
    reopened: int = 0
    at_commune_centre: int = 0  # rows with a commune code but no coordinates

    def summary(self) -> str:
        text = pgettext(
            "site import", "%(c)s created, %(u)s updated, %(n)s unchanged, %(r)s rejected"
        ) % {"c": self.created, "u": self.updated, "n": self.unchanged, "r": self.rejected_count}  # fmt: skip
        if self.skipped:
            text += _(", %(s)s skipped by the row filter") % {"s": self.skipped}
        if self.closed:
            text += _(", %(n)s closed") % {"n": self.closed}
        if self.reopened:
            text += _(", %(n)s reopened") % {"n": self.reopened}
        if self.at_commune_centre:
            text += _(", %(n)s placed at their commune's centre") % {
                "n": self.at_commune_centre
            }
        return text


class _DryRun(Exception):
    pass


def import_sites(rows: Iterable[ImportRow], *, dataset: Dataset, acting_user, partial: bool = False,
                 dry_run: bool = False, progress: Callable[[int], None] | None = None,
                 count_skipped: Callable[[], int] | None = None) -> SiteImportResult:  # fmt: skip
    """Create, update, close or reopen the sites of `dataset`, keyed on source id.

    `dataset` may be unsaved: it is saved with the import (and rolled back with it).
    """
    require(acting_user, IMPORT_ANY_SITES)
    if dataset.pk is not None and dataset.points.exists():
        # One saved mapping per dataset: a points file's would be overwritten.
        raise SourceError(
            _("dataset %(key)s holds accessibility points: give the sites their own dataset")
            % {"key": dataset.key}
        )  # fmt: skip
    result = SiteImportResult()
    new_dataset = dataset.pk is None
    try:
        with transaction.atomic():
            dataset.last_imported_at = timezone.now()
            dataset.save()
            _apply_all(rows, _Batcher(dataset, acting_user, result), progress)
            result.skipped = count_skipped() if count_skipped else 0
            if result.rejected_count and not partial:
                raise ImportRefused(result)
            if dry_run:
                raise _DryRun
    except (_DryRun, ImportRefused) as stopped:
        if new_dataset:
            dataset.pk = None  # rolled back with the rest
        if isinstance(stopped, ImportRefused):
            raise
        return result
    result.applied = True
    record("sites.imported", actor=acting_user, target=dataset,
           dataset=dataset.key, summary=result.summary())  # fmt: skip
    return result


class _Batcher:
    def __init__(self, dataset: Dataset, acting_user, result: SiteImportResult):
        self.dataset, self.user, self.result = dataset, acting_user, result
        self.seen: dict[str, int] = {}  # source id -> row number, across batches
        self.communes = Communes()
        self.allowed: dict[int, bool] = {}
        self.counts: Counter[str] = Counter()

    def apply(self, batch: list[ImportRow]) -> int:
        if not batch:
            return 0
        existing = {
            site.source_id: site
            for site in Site.objects.filter(
                dataset=self.dataset, source_id__in=[r.source_id for r in batch]
            )
        }
        # The name guard reads a batch's free texts at once (spaCy's `pipe`, about
        # eight times faster than one text at a time), then each row's checks.
        prepare_texts(
            str(row.values[name])
            for row in batch
            for name in (*Site.free_text_fields, "note")
            if row.values.get(name)
        )
        for row in batch:  # the finder works on coordinates read once
            if row.point is not None and row.xy is None:
                row.xy = (row.point.x, row.point.y)
        self.communes.locate(
            [r.xy for r in batch if r.xy and not r.commune_code and in_france(r.point)]
        )  # fmt: skip
        for row in batch:
            self.counts = Counter()  # a row counts only once all its writes are done
            try:
                with transaction.atomic():  # a rejected row leaves nothing behind
                    self._apply(row, existing.get(row.source_id))
            except (ValidationError, PermissionDenied) as exc:
                self.result.reject(row.number, _message(exc))
                continue
            for name, count in self.counts.items():
                setattr(self.result, name, getattr(self.result, name) + count)
        return len(batch)

    def _apply(self, row: ImportRow, site: Site | None) -> None:
        if row.errors:  # "field: reason" each, found while reading the row
            raise ValidationError("; ".join(row.errors))
        if not row.source_id:
            raise ValidationError(
                {"source_id": _("empty: every row needs its identifier at the source")}
            )
        first = self.seen.setdefault(row.source_id, row.number)
        if first != row.number:
            raise ValidationError(
                {"source_id": _("%(id)s is repeated: rows %(a)s and %(b)s")
                 % {"id": row.source_id, "a": first, "b": row.number}}
            )  # fmt: skip
        point, commune = self._place(row)
        self._require_scope(commune)
        values = dict(row.values)
        note = values.pop("note", "")
        if site is None:
            data = values | {"point": point, "dataset": self.dataset}
            site = declare_site(
                data | {"source_id": row.source_id},
                acting_user=self.user,
                confirm_nearby=True,  # a file lists neighbouring sites on purpose
            )
            self.counts["created"] += 1
            self.counts["closed"] += not site.is_open
        else:
            self._require_scope(self.communes.by_id(site.commune_id))
            if not self._update(site, point, values, note):
                self.counts["unchanged"] += 1
                return
            self.counts["updated"] += 1
        if note and not site.notes.filter(text=note).exists():
            try:
                add_note(site, note, acting_user=self.user)
            except (
                ValidationError
            ) as exc:  # named after the mapped field, not the model's
                raise ValidationError({"note": exc.messages}) from None

    def _place(self, row: ImportRow) -> tuple[Point, Territory]:
        """The row's point and commune: in France, in a commune of the tree."""
        if row.point is None:
            if not row.commune_code:
                raise ValidationError(
                    {"point": _("no coordinates and no commune code")}
                )
            commune = self.communes._code(row.commune_code)
            if commune is None:
                raise ValidationError({"commune_code": _("the commune code %(c)s does not exist") % {"c": row.commune_code}})  # fmt: skip
            self.counts["at_commune_centre"] += 1
            return commune.geom.point_on_surface, commune
        if not in_france(row.point):
            name, km = nearest_area((row.point.x, row.point.y))
            raise ValidationError(
                {"point": _("(lon %(x)s, lat %(y)s) is outside France; the nearest French area is %(area)s, %(km)s km away")
                 % {"x": row.point.x, "y": row.point.y, "area": name,
                    "km": number_format(round(km), force_grouping=True)}}
            )  # fmt: skip
        try:
            return row.point, self.communes.for_row(row)
        except ValidationError as exc:
            if "point" in exc.message_dict:
                raise ValidationError(
                    {"point": _("(lon %(x)s, lat %(y)s) is not in a commune of France")
                     % {"x": row.point.x, "y": row.point.y}}
                ) from None  # fmt: skip
            raise

    def _require_scope(self, commune: Territory) -> None:
        if commune.pk not in self.allowed:
            self.allowed[commune.pk] = can(self.user, IMPORT_SITES, commune)
        if not self.allowed[commune.pk]:
            raise PermissionDenied(
                _("commune %(c)s: outside the territory you administer")
                % {"c": commune.code}
            )

    def _update(self, site: Site, point: Point, values: dict, note: str) -> bool:
        """Bring the site to the row through the site services; False if nothing changes."""
        changes = {
            n: v
            for n, v in values.items()
            if n not in CLOSURE_FIELDS and getattr(site, n) != v
        }
        if not site.point.equals_exact(point, 1e-9):
            changes["point"] = point
        closure = {n: v for n, v in values.items() if n in CLOSURE_FIELDS}
        reopening = not site.is_open and closure.get("status") == SiteStatus.OPEN
        new_note = bool(note) and not site.notes.filter(text=note).exists()
        if not (changes or _differs(site, closure) or new_note):
            return False
        write = {"acting_user": self.user}
        if reopening:
            site = reopen_site(site, expected_version=site.version, **write)
            self.counts["reopened"] += 1
        if changes:
            site = update_site(site, changes, expected_version=site.version, **write)
        if diffs := _differs(site, closure):
            if site.is_open and diffs.get("status", SiteStatus.OPEN) != SiteStatus.OPEN:
                self._close(site, closure)
            else:
                update_site(site, diffs, expected_version=site.version, **write)
        return True

    def _close(self, site: Site, closure: dict) -> None:
        def given(name: str):
            return closure.get(name, getattr(site, name))

        close_site(
            site, acting_user=self.user, expected_version=site.version,
            status=closure["status"], closed_on=given("closed_on"),
            reason=given("closure_reason"), housed=given("housed_count"),
            sheltered=given("sheltered_count"), no_solution=given("no_solution_count"),
        )  # fmt: skip
        self.counts["closed"] += 1


def _differs(site: Site, values: dict) -> dict:
    return {n: v for n, v in values.items() if getattr(site, n) != v}


def in_france(point: Point) -> bool:
    """Inside one of the boxes of France and its overseas départements (a quick
    first test: the commune lookup then says whether it is on French soil)."""
    return any(
        west <= point.x <= east and south <= point.y <= north
        for west, south, east, north in FRANCE_AREAS.values()
    )
