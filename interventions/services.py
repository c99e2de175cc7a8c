"""Writes to interventions: create, update, report, fund, close, journal, presence, follow.

Each is atomic, checks a named capability with `require()`, validates through
`full_clean()` (the personal-data guard included), records a revision and an audit
event. Forms, API, admin, demo data and tests all call these.
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.audit import record
from actors.capabilities import (
    ADD_INTERVENTION,
    CHANGE_INTERVENTION,
    CLOSE_INTERVENTION,
    CLOSE_SITE,
    DECLARE_PRESENCE,
    FOLLOW,
    NOTE_INTERVENTION,
    REPORT_INTERVENTION,
    can,
    require,
)
from interventions.history import record_revision, snapshot
from interventions.models import (
    CLOSED_STATUSES,
    Follow,
    Funding,
    Intervention,
    InterventionNote,
    InterventionReport,
    InterventionRevision,
    SitePresence,
)
from sites.models import Site

RELATIONS = ("partners", "pilots", "sites")
EDITABLE = {
    "title", "themes", "lead_operator", "territory", "location_kind", "location_text",
    "started_on", "ended_on", "status", "goals", *RELATIONS,
}  # fmt: skip


class StaleEdit(Exception):
    """The intervention changed since the version the user edited."""

    def __init__(self, current_version: int, changed_fields: list[str]):
        self.current_version = current_version
        self.changed_fields = changed_fields
        labels = [_label(name) for name in changed_fields]
        super().__init__(
            _(
                "This intervention was changed by someone else since you opened it (now version %(v)s; changed: %(f)s)."
            )
            % {"v": current_version, "f": ", ".join(labels) or "-"}
        )


def _label(name: str) -> str:
    field = Intervention._meta.get_field(name)
    # A reverse relation (reports, funding) has no verbose_name: a 500 on a stale PATCH.
    return str(getattr(field, "verbose_name", None) or name)


def _split(data: dict) -> tuple[dict, dict]:
    unknown = set(data) - EDITABLE
    if unknown:
        raise ValidationError(
            {f: _("This field cannot be changed here.") for f in sorted(unknown)}
        )
    fields = {k: v for k, v in data.items() if k not in RELATIONS}
    relations = {k: list(v) for k, v in data.items() if k in RELATIONS}
    return fields, relations


def _check_status(fields: dict) -> None:
    if fields.get("status") in CLOSED_STATUSES:
        raise ValidationError(
            {"status": _("Close the intervention to mark it completed or stopped.")}
        )


def _check_sites(sites, intervention: Intervention, acting_user) -> None:
    """Linked sites: only those the author may see, inside the territory."""
    ids = [s.pk for s in sites]
    seen = set(
        Site.objects.visible_to(acting_user)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )
    inside = Site.objects.filter(pk__in=seen).within(intervention.territory)
    allowed = set(inside.values_list("pk", flat=True))
    refused = [s for s in sites if s.pk not in allowed]
    if refused:
        # A site the author cannot see is named by its number only: no name leaks.
        names = [str(s) if s.pk in seen else f"#{s.pk}" for s in refused]
        raise ValidationError(
            {
                "sites": _(
                    "These sites cannot be linked (not visible to you or outside the territory): %(sites)s."
                )
                % {"sites": ", ".join(names)}
            }
        )


def _set_relations(intervention: Intervention, relations: dict) -> None:
    for name, objects in relations.items():
        getattr(intervention, name).set(objects)


@transaction.atomic
def create_intervention(data: dict, *, acting_user, request=None) -> Intervention:
    fields, relations = _split(data)
    _check_status(fields)
    intervention = Intervention(
        **fields, created_by=acting_user, updated_by=acting_user
    )
    if intervention.territory_id is None:
        raise ValidationError({"territory": _("Choose the territory.")})
    require(acting_user, ADD_INTERVENTION, intervention, _refuse_add())
    intervention.full_clean()
    _check_sites(relations.get("sites", []), intervention, acting_user)
    intervention.save()
    _set_relations(intervention, relations)
    record_revision(intervention, by=acting_user, action="created", before=None)
    record(
        "intervention.created", actor=acting_user, target=intervention, request=request
    )
    return intervention


def _refuse_add() -> str:
    return _(
        "You can only create interventions led by your organization, inside your territory."
    )


@transaction.atomic
def update_intervention(
    intervention: Intervention,
    data: dict,
    *,
    acting_user,
    expected_version,
    request=None,
) -> Intervention:
    """Apply changed fields, refusing a stale edit (someone saved in between)."""
    intervention = _locked(intervention, expected_version)
    fields, relations = _split(data)
    _check_status(fields)
    require(acting_user, CHANGE_INTERVENTION, intervention, _refuse_change())
    before = snapshot(intervention)
    for name, value in fields.items():
        setattr(intervention, name, value)
    # The new lead operator or territory must still be the editor's to change.
    require(acting_user, CHANGE_INTERVENTION, intervention, _refuse_change())
    if "sites" in relations:
        relations["sites"] = _kept_sites(intervention, relations["sites"], acting_user)
    _set_relations(intervention, relations)
    return _save_new_version(intervention, acting_user, "updated", before, request)


def _refuse_change() -> str:
    return _("You cannot change this intervention.")


def _kept_sites(intervention: Intervention, chosen, acting_user) -> list:
    """New links need sites the editor sees; links to sites they cannot see stay."""
    current = set(intervention.sites.values_list("pk", flat=True))
    _check_sites([s for s in chosen if s.pk not in current], intervention, acting_user)
    hidden = intervention.sites.exclude(
        pk__in=Site.objects.visible_to(acting_user).values("pk")
    )
    return [*chosen, *hidden]


@transaction.atomic
def close_intervention(
    intervention: Intervention, *, acting_user, expected_version, status: str,
    ended_on: datetime.date, request=None,
) -> Intervention:  # fmt: skip
    intervention = _locked(intervention, expected_version)
    require(acting_user, CLOSE_INTERVENTION, intervention, _refuse_change())
    if status not in CLOSED_STATUSES:
        raise ValidationError({"status": _("Choose completed or stopped.")})
    before = snapshot(intervention)
    intervention.status, intervention.ended_on = status, ended_on
    return _save_new_version(intervention, acting_user, "closed", before, request)


def _locked(intervention: Intervention, expected_version) -> Intervention:
    current = (
        Intervention.objects.select_for_update()
        .select_related("territory")
        .get(pk=intervention.pk)
    )
    try:
        expected_version = int(expected_version)
    except (TypeError, ValueError):
        raise ValidationError(
            {"version": _("The version you edited is required.")}
        ) from None
    if expected_version != current.version:
        changed = InterventionRevision.objects.filter(
            intervention=current, version__gt=expected_version
        ).values_list("changes", flat=True)
        names = {name.removesuffix("_id") for change in changed for name in change}
        fields = {f.name for f in Intervention._meta.get_fields()}
        raise StaleEdit(current.version, sorted(names & fields))
    return current


def _save_new_version(
    intervention: Intervention, acting_user, action: str, before: dict, request
) -> Intervention:
    intervention.full_clean()
    intervention.version += 1
    intervention.updated_by = acting_user
    intervention.save()
    revision = record_revision(
        intervention, by=acting_user, action=action, before=before
    )
    record(
        f"intervention.{action}",
        actor=acting_user,
        target=intervention,
        request=request,
        fields=",".join(sorted(revision.changes)),
    )
    return intervention


@transaction.atomic
def add_report(
    intervention: Intervention, data: dict, *, acting_user, request=None
) -> InterventionReport:
    require(
        acting_user,
        REPORT_INTERVENTION,
        intervention,
        _("Only the lead operator and the territory's administrators report here."),
    )
    report = InterventionReport(
        intervention=intervention, created_by=acting_user, **data
    )
    report.full_clean()
    report.save()
    _touch(intervention, acting_user, "reported", report=report.reported_on.isoformat())
    record(
        "intervention.reported", actor=acting_user, target=intervention, request=request
    )
    return report


@transaction.atomic
def set_funding(
    intervention: Intervention, data: dict, *, acting_user, request=None
) -> Funding:
    """Create or update the line of one year and source (one line each)."""
    require(acting_user, CHANGE_INTERVENTION, intervention, _refuse_change())
    line = Funding.objects.filter(
        intervention=intervention,
        year=data.get("year"),
        source_kind=data.get("source_kind"),
    ).first() or Funding(intervention=intervention)
    for name, value in data.items():
        setattr(line, name, value)
    line.full_clean()
    line.save()
    # The history says which line changed, never the amounts: it is read by all.
    _touch(intervention, acting_user, "funded", funding=[line.year, line.source_kind])
    record(
        "intervention.funded", actor=acting_user, target=intervention, request=request
    )
    return line


def _touch(intervention: Intervention, acting_user, action: str, **extra) -> None:
    # The snapshot is of the saved state, not of the caller's possibly older copy.
    current = Intervention.objects.get(pk=intervention.pk)
    record_revision(current, by=acting_user, action=action, before=None, extra=extra)
    Intervention.objects.filter(pk=intervention.pk).update(updated_at=timezone.now())


@transaction.atomic
def add_note(
    intervention: Intervention, text: str, *, acting_user, visible_to=(), request=None
) -> InterventionNote:
    require(acting_user, NOTE_INTERVENTION, intervention, _refuse_change())
    note = InterventionNote(
        intervention=intervention,
        author=acting_user,
        author_organization=acting_user.organization,
        text=text.strip(),
    )
    note.full_clean()
    note.save()
    note.visible_to.set(visible_to)
    record(
        "intervention.note_added",
        actor=acting_user,
        target=intervention,
        request=request,
    )
    return note


@transaction.atomic
def declare_presence(
    site: Site, *, acting_user, started_on: datetime.date, request=None
) -> SitePresence:
    """The acting user's organization declares it works on the site."""
    require(
        acting_user,
        DECLARE_PRESENCE,
        site,
        _("Only contributors of this territory, for their organization, declare this."),
    )
    presence = SitePresence(
        site=site,
        organization=acting_user.organization,
        started_on=started_on,
        declared_by=acting_user,
    )
    presence.full_clean()
    presence.save()
    record("site.presence_declared", actor=acting_user, target=site, request=request)
    return presence


@transaction.atomic
def stop_presence(
    presence: SitePresence, *, acting_user, ended_on: datetime.date, request=None
) -> SitePresence:
    own = acting_user.organization_id == presence.organization_id
    if not (own and can(acting_user, DECLARE_PRESENCE, presence.site)) and not can(
        acting_user, CLOSE_SITE, presence.site
    ):
        raise PermissionDenied(
            _("Only the organization or the territory's administrators stop this.")
        )
    presence.ended_on = ended_on
    presence.full_clean()
    presence.save()
    record(
        "site.presence_stopped",
        actor=acting_user,
        target=presence.site,
        request=request,
    )
    return presence


@transaction.atomic
def follow(target, *, acting_user) -> Follow:
    """Follow a site or an intervention the user may read."""
    require(acting_user, FOLLOW, target, _("You cannot follow this."))
    key = "site" if isinstance(target, Site) else "intervention"
    follow_, _created = Follow.objects.get_or_create(user=acting_user, **{key: target})
    return follow_


@transaction.atomic
def unfollow(target, *, acting_user) -> None:
    key = "site" if isinstance(target, Site) else "intervention"
    Follow.objects.filter(user=acting_user, **{key: target}).delete()
