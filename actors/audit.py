"""The audit log: one call per decision, write, export or sensitive read."""

from actors.models import AuditEvent
from actors.ratelimit import client_ip


def record(
    action: str, *, actor=None, target=None, request=None, **details
) -> AuditEvent:
    actor = (
        actor
        if actor is not None and getattr(actor, "is_authenticated", False)
        else None
    )
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_email=actor.email if actor else details.pop("actor_email", ""),
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        scope_path=target.scope_path() if hasattr(target, "scope_path") else "",
        details={key: str(value) for key, value in details.items()},
        # Anonymous visitors' addresses are personal data we do not need to keep.
        ip_address=client_ip(request) if actor else None,
    )
