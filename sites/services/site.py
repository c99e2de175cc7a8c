"""Writes to sites: declare, update, close, reopen, journal notes, procedures.

Each is atomic, checks the territory scope, records a revision and an audit event.
Forms, API, admin and imports all call these.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from actors.audit import record
from actors.capabilities import (
    CHANGE_SITE,
    CLOSE_SITE,
    DECLARE_SITE,
    SEE_PROCEDURES,
    can,
    require,
)
from sites.history import record_revision, snapshot
from sites.models import Site, SiteNote, SiteProcedure, SiteRevision, SiteStatus
from territory.models import Territory

# Fields a contributor may not set through update_site: closure has its own service.
CLOSURE_FIELDS = {
    "status",
    "closed_on",
    "closure_reason",
    "housed_count",
    "sheltered_count",
    "no_solution_count",
}
SYSTEM_FIELDS = {
    "id",
    "pk",
    "commune",
    "commune_id",
    "version",
    "created_by",
    "updated_by",
    "created_at",
    "updated_at",
}


class NearbySites(Exception):
    """Open sites close to a new one: the user must confirm it is not a duplicate."""

    def __init__(self, sites):
        self.sites = list(sites)
        super().__init__(
            _("There are open sites less than %(m)s m away.")
            % {"m": settings.SITE_DUPLICATE_METRES}
        )


class StaleEdit(Exception):
    """The site changed since the version the user edited."""

    def __init__(self, current_version: int, changed_fields: list[str]):
        self.current_version = current_version
        self.changed_fields = changed_fields  # field names, for the API
        labels = [
            str(Site._meta.get_field(name).verbose_name) for name in changed_fields
        ]
        super().__init__(
            _(
                "This site was changed by someone else since you opened it (now version %(v)s; changed: %(f)s)."
            )
            % {"v": current_version, "f": ", ".join(labels) or "-"}
        )


def _require(user, capability: str, obj) -> None:
    require(user, capability, obj, _("You cannot change sites in this territory."))


@transaction.atomic
def declare_site(
    data: dict, *, acting_user, confirm_nearby: bool = False, request=None
) -> Site:
    """A new site; one declared closed (an import, the API) is then closed by
    `close_site`, so its history reads "declared, closed" and closing needs the
    close capability, as on an existing site."""
    closure = {k: data[k] for k in CLOSURE_FIELDS if data.get(k) not in (None, "")}
    if closure.get("status") == SiteStatus.OPEN:
        del closure["status"]  # the default: nothing to close
    data = {k: v for k, v in data.items() if k not in SYSTEM_FIELDS | CLOSURE_FIELDS}
    site = Site(**data)
    if site.point is None:
        raise ValidationError({"point": _("A location is required.")})
    site.point.srid = site.point.srid or settings.GEO_SRID
    site.commune = Territory.objects.commune_at(site.point)
    _require(acting_user, DECLARE_SITE, site.commune)
    if not confirm_nearby:
        nearby = (
            Site.objects.visible_to(acting_user)
            .open()
            .nearby(site.point, settings.SITE_DUPLICATE_METRES)
        )
        if nearby.exists():
            raise NearbySites(nearby[:10])
    site.created_by = site.updated_by = acting_user
    site.full_clean()
    site.save()
    record_revision(site, by=acting_user, action="declared", before=None)
    record("site.declared", actor=acting_user, target=site, request=request)
    if closure:
        site = _close_declared(site, closure, acting_user, request)
    return site


def _close_declared(site: Site, closure: dict, acting_user, request) -> Site:
    status = closure.get("status", SiteStatus.OPEN)
    if status == SiteStatus.OPEN:
        # Closure facts on an open site: the model's own message, on its field.
        name = sorted(closure)[0]
        raise ValidationError({name: _("An open site has no closure date.")
                               if name == "closed_on" else
                               _("Only a closed site has this field.")})  # fmt: skip
    if not can(acting_user, CLOSE_SITE, site):
        raise ValidationError(
            {"status": _("Only a local administrator of this territory can declare a closed site; declare it open.")}
        )  # fmt: skip
    return close_site(
        site, acting_user=acting_user, expected_version=site.version, status=status,
        closed_on=closure.get("closed_on"), reason=closure.get("closure_reason", ""),
        housed=closure.get("housed_count"), sheltered=closure.get("sheltered_count"),
        no_solution=closure.get("no_solution_count"), request=request,
    )  # fmt: skip


@transaction.atomic
def update_site(
    site: Site, data: dict, *, acting_user, expected_version: int, request=None
) -> Site:
    """Apply changed fields, refusing a stale edit (someone saved in between)."""
    site = _locked(site, expected_version)
    allowed_closure = can(acting_user, CLOSE_SITE, site)
    forbidden = set(data) & (
        SYSTEM_FIELDS | (set() if allowed_closure else CLOSURE_FIELDS)
    )
    if forbidden:
        raise ValidationError(
            {f: _("This field cannot be changed here.") for f in sorted(forbidden)}
        )
    _require(acting_user, CHANGE_SITE, site)
    before = snapshot(site)
    for name, value in data.items():
        setattr(site, name, value)
    if "point" in data:
        site.commune = Territory.objects.commune_at(site.point)
        _require(acting_user, CHANGE_SITE, site)
    return _save_new_version(site, acting_user, "updated", before, request)


@transaction.atomic
def close_site(site: Site, *, acting_user, expected_version: int, status: str, closed_on, reason: str = "",
               housed: int | None = None, sheltered: int | None = None, no_solution: int | None = None,
               request=None) -> Site:  # fmt: skip
    site = _locked(site, expected_version)
    _require(acting_user, CLOSE_SITE, site)
    if status == SiteStatus.OPEN:
        raise ValidationError({"status": _("Choose how the site was closed.")})
    before = snapshot(site)
    site.status, site.closed_on, site.closure_reason = status, closed_on, reason
    site.housed_count, site.sheltered_count, site.no_solution_count = (
        housed,
        sheltered,
        no_solution,
    )
    return _save_new_version(site, acting_user, "closed", before, request)


@transaction.atomic
def reopen_site(
    site: Site, *, acting_user, expected_version: int, request=None
) -> Site:
    site = _locked(site, expected_version)
    _require(acting_user, CLOSE_SITE, site)
    before = snapshot(site)
    site.status, site.closed_on, site.closure_reason = SiteStatus.OPEN, None, ""
    site.housed_count = site.sheltered_count = site.no_solution_count = None
    return _save_new_version(site, acting_user, "reopened", before, request)


def _locked(site: Site, expected_version: int) -> Site:
    current = Site.objects.select_for_update().select_related("commune").get(pk=site.pk)
    try:
        expected_version = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError(
            {"version": _("The version you edited is required.")}
        ) from None
    if expected_version != current.version:
        changed = SiteRevision.objects.filter(
            site=current, version__gt=expected_version
        ).values_list("changes", flat=True)
        fields = sorted({name for change in changed for name in change})
        raise StaleEdit(
            current.version,
            [f.removesuffix("_id") for f in fields if _is_field(f)],
        )
    return current


def _is_field(name: str) -> bool:
    try:
        Site._meta.get_field(name.removesuffix("_id"))
    except Exception:  # noqa: BLE001 - any unknown key is simply not shown
        return False
    return True


def _save_new_version(
    site: Site, acting_user, action: str, before: dict, request
) -> Site:
    site.full_clean()
    site.version += 1
    site.updated_by = acting_user
    site.save()
    revision = record_revision(site, by=acting_user, action=action, before=before)
    record(
        f"site.{action}",
        actor=acting_user,
        target=site,
        request=request,
        fields=",".join(sorted(revision.changes)),
    )
    return site


@transaction.atomic
def add_note(
    site: Site, text: str, *, acting_user, visible_to=(), request=None
) -> SiteNote:
    _require(acting_user, CHANGE_SITE, site)
    note = SiteNote(
        site=site,
        author=acting_user,
        author_organization=acting_user.organization,
        text=text.strip(),
    )
    note.full_clean()
    note.save()
    note.visible_to.set(visible_to)
    record("site.note_added", actor=acting_user, target=site, request=request)
    return note


@transaction.atomic
def add_procedure(
    site: Site, data: dict, *, acting_user, request=None
) -> SiteProcedure:
    _require(acting_user, SEE_PROCEDURES, site)
    procedure = SiteProcedure(site=site, **data)
    procedure.full_clean()
    procedure.save()
    record(
        "site.procedure_added",
        actor=acting_user,
        target=site,
        request=request,
        kind=procedure.kind,
    )
    return procedure
