"""Intervention history, in the shape of sites/history.py: snapshots, diffs, `as_of`.

A snapshot holds the concrete fields and the ids of the related organizations and
sites (sorted lists), so a change of partners or linked sites shows in the log.
"""

import datetime

from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy, pgettext_lazy

from actors.models import Organization
from interventions.models import FundingSource, Intervention, InterventionRevision
from sites.history import diff, end_of
from sites.models import Site
from territory.models import Territory

TRACKED_FIELDS = [
    f
    for f in Intervention._meta.concrete_fields
    if f.name
    not in ("id", "version", "created_at", "updated_at", "created_by", "updated_by")
]
RELATIONS = ("partners", "pilots", "sites")


def snapshot(intervention: Intervention) -> dict:
    state = {
        f.attname: _plain(getattr(intervention, f.attname)) for f in TRACKED_FIELDS
    }
    if intervention.pk:
        for name in RELATIONS:
            ids = getattr(intervention, name).values_list("pk", flat=True)
            state[name] = sorted(ids)
    return state


def _plain(value):
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def record_revision(
    intervention: Intervention,
    *,
    by,
    action: str,
    before: dict | None,
    extra: dict | None = None,
) -> InterventionRevision:
    """Record the state after a change; `extra` describes a report or funding line."""
    after = snapshot(intervention)
    changes = diff(before or {}, after) if before is not None or not extra else {}
    return InterventionRevision.objects.create(
        intervention=intervention,
        version=intervention.version,
        at=timezone.now(),
        by=by,
        action=action,
        changes={**changes, **(extra or {})},
        snapshot=after,
    )


def from_snapshot(intervention: Intervention, revision: InterventionRevision):
    """An unsaved, read-only copy as it was at that revision (relations as id lists
    in `past_relations`)."""
    past = Intervention(
        pk=intervention.pk,
        version=revision.version,
        created_at=intervention.created_at,
        updated_at=revision.at,
    )
    for field in TRACKED_FIELDS:
        value = revision.snapshot.get(field.attname)
        if value is not None and type(field) is models.DateField:
            value = datetime.date.fromisoformat(value)
        setattr(past, field.attname, value)
    past.past_relations = {name: revision.snapshot.get(name, []) for name in RELATIONS}
    past.save = _refuse_save
    return past


def _refuse_save(*args, **kwargs):
    raise ValueError("A past state of an intervention is read-only.")


def as_of(interventions, day: datetime.date) -> list[Intervention]:
    """The interventions as they were at the end of that day (absent if not created)."""
    revisions = (
        InterventionRevision.objects.filter(
            intervention__in=interventions, at__lte=end_of(day)
        )
        .order_by("intervention_id", "-at", "-pk")
        .distinct("intervention_id")
    )
    by_id = {r.intervention_id: r for r in revisions}
    return [from_snapshot(i, by_id[i.pk]) for i in interventions if i.pk in by_id]


# Labels in context: "created" and "closed" agree with "intervention" in French.
ACTION_LABELS = {
    "created": pgettext_lazy("intervention", "created"),
    "updated": pgettext_lazy("intervention", "updated"),
    "closed": pgettext_lazy("intervention", "closed"),
    "reported": gettext_lazy("indicators reported"),
    "funded": gettext_lazy("funding line recorded"),
}
# Keys of `changes` that are not model fields: what a report or a funding line was.
EXTRA_LABELS = {
    "report": gettext_lazy("report of"),
    "funding": gettext_lazy("funding line"),
}


def history_rows(revisions) -> list[tuple]:
    """(revision, action label, changes) for the change log, names looked up once."""
    revisions = list(revisions)
    names = _relation_names(revisions)
    return [
        (r, ACTION_LABELS.get(r.action, r.action), readable_changes(r, names))
        for r in revisions
    ]


def _relation_names(revisions) -> dict[tuple[str, int], str]:
    ids: dict[str, set] = {"organizations": set(), "sites": set(), "territories": set()}
    for revision in revisions:
        for key, value in revision.changes.items():
            if key == "lead_operator_id":
                ids["organizations"].update(v for v in value if v)
            elif key == "territory_id":
                ids["territories"].update(v for v in value if v)
            elif key in RELATIONS:
                bucket = "sites" if key == "sites" else "organizations"
                ids[bucket].update(value[0] or [])
                ids[bucket].update(value[1] or [])
    names = {
        ("organizations", o.pk): o.name
        for o in Organization.objects.filter(pk__in=ids["organizations"])
    }
    names.update(
        (("sites", s.pk), str(s))
        for s in Site.objects.filter(pk__in=ids["sites"]).only("name", "address")
    )
    names.update(
        (("territories", t.pk), str(t))
        for t in Territory.objects.filter(pk__in=ids["territories"]).only(
            "name", "code"
        )
    )
    return names


def readable_changes(revision, names=None) -> list[tuple[str, str, str]]:
    """(label, old, new) in the reader's language; funding amounts never shown."""
    rows = []
    for key, value in revision.changes.items():
        if key in EXTRA_LABELS:
            rows.append((str(EXTRA_LABELS[key]), "", _extra(key, value)))
            continue
        old, new = value
        field = Intervention._meta.get_field(key.removesuffix("_id"))
        before, after = (_display(field, v, names or {}) for v in (old, new))
        if before != after:
            rows.append((str(field.verbose_name), before, after))
    return rows


def _extra(key: str, value) -> str:
    """What a report or funding line was, in the reader's language (stored as codes)."""
    if key == "report" and isinstance(value, str):
        return _date(value)
    if key == "funding" and isinstance(value, list):
        year, source = value
        return f"{year} · {dict(FundingSource.choices).get(source, source)}"
    return str(value)


def _date(value: str) -> str:
    try:
        return date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    except ValueError:
        return value


def _display(field, value, names: dict) -> str:
    if value in (None, "", []):
        return "∅"
    if isinstance(value, list):
        if field.name == "themes":
            labels = dict(field.base_field.choices)
            return ", ".join(str(labels.get(v, v)) for v in value)
        bucket = "sites" if field.name == "sites" else "organizations"
        return ", ".join(names.get((bucket, v), f"#{v}") for v in value)
    if field.name == "lead_operator":
        return names.get(("organizations", value), f"#{value}")
    if field.name == "territory":
        return names.get(("territories", value), f"#{value}")
    if type(field) is models.DateField:
        return _date(value)
    choices = dict(field.flatchoices) if field.choices else {}
    return str(choices.get(value, value))
