"""The audit log in words: translated event names, the object's name (linked when
the reader has a page for it) and changed fields by their labels."""

from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from actors.models import AuditEvent

ACTION_LABELS = {
    "access_request.created": _("Access requested"),
    "access_request.verified": _("Access request: e-mail address confirmed"),
    "access_request.approved": _("Access request approved"),
    "access_request.rejected": _("Access request rejected"),
    "accessibility_point.imported": _("Parking spaces imported"),
    "accessibility_point.reported": _("Parking space reported"),
    "accessibility_point.verified": _("Parking space verified"),
    "accessibility_point.removed": _("Parking space removed"),
    "accessibility.exported": _("Parking spaces exported"),
    "indicators.export": _("Indicator table downloaded"),
    "sites.export_downloaded": _("Prepared site export downloaded"),
    "interventions.export_downloaded": _("Prepared intervention export downloaded"),
    "public_report.converted": _("Public report taken into account"),
    "public_report.dismissed": _("Public report dismissed"),
    "api_token.issued": _("API token issued"),
    "charter.accepted": _("Usage charter accepted"),
    "follows.unsubscribed": _("Digest unsubscribed"),
    "free_text.names_confirmed": _("Words confirmed as not a resident's name"),
    "grant.created": _("Access granted"),
    "grant.revoked": _("Access revoked"),
    "intervention.created": _("Intervention created"),
    "intervention.updated": _("Intervention updated"),
    "intervention.closed": _("Intervention closed"),
    "intervention.funded": _("Intervention funding recorded"),
    "intervention.note_added": _("Note added to an intervention"),
    "intervention.reported": _("Intervention report filed"),
    "interventions.exported": _("Interventions exported"),
    "login.failed": _("Failed login"),
    "login.succeeded": _("Login"),
    "parking_rules.changed": _("Parking rules changed"),
    "public_report.submitted": _("Public report submitted"),
    "restricted_zone.created": _("Restricted zone drawn"),
    "restricted_zone.changed": _("Restricted zone changed"),
    "site.declared": _("Site declared"),
    "site.updated": _("Site updated"),
    "site.closed": _("Site closed"),
    "site.reopened": _("Site reopened"),
    "site.note_added": _("Note added to a site"),
    "site.procedure_added": _("Procedure added to a site"),
    "site.presence_declared": _("Presence on a site declared"),
    "site.presence_stopped": _("Presence on a site ended"),
    "sites.exported": _("Sites exported"),
    "sites.imported": _("Sites imported"),
    "user.anonymised": _("Account anonymised"),
    "user.deactivated": _("Account deactivated"),
    "user.inactivity_warned": _("Inactive account warned"),
    "user.notifications_changed": _("E-mail choices changed"),
}
# Pages of an event's object, by its model label.
DETAIL_URLS = {
    "sites.site": "sites:detail",
    "interventions.intervention": "interventions:detail",
    "actors.accessrequest": "actors:request-detail",
    "sites.publicreport": "reports:detail",
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


@dataclass
class Entry:
    event: AuditEvent
    label: str
    target_name: str
    target_url: str
    details: list[tuple[str, str]]


def readable(events: list[AuditEvent]) -> list[Entry]:
    """Entries for one page of events: one query per kind of object named."""
    names = _target_names(events)
    entries = []
    for event in events:
        model = _model(event.target_type)
        name = names.get((event.target_type, event.target_id), "")
        url_name = DETAIL_URLS.get(event.target_type)
        url = (
            reverse(url_name, args=[event.target_id])
            if url_name and name and event.target_id.isdigit()
            else ""
        )
        if not name and event.target_type:
            kind = model._meta.verbose_name if model else event.target_type
            name = f"{kind} {event.target_id}"
        entries.append(
            Entry(event, action_label(event.action), name, url, _details(event, model))
        )
    return entries


def _model(label: str):
    try:
        return apps.get_model(label) if label else None
    except (LookupError, ValueError):
        return None


def _target_names(events) -> dict[tuple[str, str], str]:
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.target_id.isdigit():
            wanted.setdefault(event.target_type, set()).add(int(event.target_id))
    names = {}
    for label, ids in wanted.items():
        model = _model(label)
        if model is None:
            continue
        for obj in model._default_manager.filter(pk__in=ids):
            names[(label, str(obj.pk))] = str(obj)
    return names


def _details(event: AuditEvent, model) -> list[tuple[str, str]]:
    """Each detail named in words; a list of field names given by their labels."""
    shown = []
    for key, value in event.details.items():
        if key == "fields" and model is not None:
            value = ", ".join(_field_label(model, name) for name in value.split(","))
        shown.append((str(DETAIL_LABELS.get(key, key.replace("_", " "))), value))
    return shown


def _field_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name.strip()).verbose_name)
    except FieldDoesNotExist:
        return name.strip()


DETAIL_LABELS = {
    "fields": _("changed fields"),
    "role": _("role"),
    "territory": _("territory"),
    "reason": _("reason"),
    "rows": _("rows"),
    "kind": _("kind"),
    "user": _("user"),
    "words": _("words"),
    "version": _("version"),
    "summary": _("summary"),
    "source": _("source"),
    "model": _("object"),
    "follows": _("follows"),
    "field": _("field"),
    "commune": _("commune"),
}
