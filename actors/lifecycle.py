"""GDPR account lifecycle and request reminders, run daily by management commands.

Inactive 6 months -> warning; a month later -> deactivated; 6 months after -> anonymised.
`now` is a parameter so tests can move the clock.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from actors import mail
from actors.audit import record
from actors.models import AccessRequest, AuditEvent, User
from actors.services import VERIFY_MAX_AGE, end_sessions, notify_reviewers


@dataclass
class LifecycleReport:
    warned: int = 0
    deactivated: int = 0
    anonymised: int = 0


def run_account_lifecycle(now: datetime) -> LifecycleReport:
    report = LifecycleReport()
    # A user who came back after the warning starts afresh.
    User.objects.filter(
        is_active=True,
        inactivity_warned_at__isnull=False,
        last_login__gt=F("inactivity_warned_at"),
    ).update(inactivity_warned_at=None)
    inactive_since = now - timedelta(days=settings.ACCOUNT_INACTIVE_DAYS)
    users = User.objects.annotate(last_seen=Coalesce("last_login", "date_joined"))
    for user in users.filter(
        is_active=True, last_seen__lt=inactive_since, inactivity_warned_at__isnull=True
    ):
        _warn(user, now)
        report.warned += 1
    grace_end = now - timedelta(days=settings.ACCOUNT_DEACTIVATE_AFTER_WARNING_DAYS)
    for user in users.filter(
        is_active=True, inactivity_warned_at__lt=grace_end, last_seen__lt=inactive_since
    ):
        _deactivate(user, now)
        report.deactivated += 1
    anonymise_before = now - timedelta(
        days=settings.ACCOUNT_ANONYMISE_AFTER_DEACTIVATION_DAYS
    )
    for user in User.objects.filter(
        deactivated_at__lt=anonymise_before, anonymised_at__isnull=True
    ):
        _anonymise(user, now)
        report.anonymised += 1
    return report


@transaction.atomic
def _warn(user: User, now: datetime) -> None:
    user.inactivity_warned_at = now
    user.save(update_fields=["inactivity_warned_at"])
    mail.send_to_users(
        [user],
        "actors/mail/inactive_warning",
        {"user": user, "days": settings.ACCOUNT_DEACTIVATE_AFTER_WARNING_DAYS},
        topic=None,  # their account is about to close: always told
    )
    record("user.inactivity_warned", target=user)


@transaction.atomic
def _deactivate(user: User, now: datetime) -> None:
    user.is_active = False
    user.deactivated_at = now
    user.save(update_fields=["is_active", "deactivated_at"])
    end_sessions(user)
    record("user.deactivated", target=user, reason="inactive")


@transaction.atomic
def _anonymise(user: User, now: datetime) -> None:
    """Erase the person everywhere we wrote their name or address, keep the facts."""
    old_email, alias = user.email, f"anonymised-{user.pk}@invalid"
    AccessRequest.objects.filter(email__iexact=old_email).update(
        email=alias, first_name="", last_name="", reason=""
    )
    # The audit log stays append-only in content; only the identity is replaced.
    AuditEvent.objects.filter(actor_email__iexact=old_email).update(actor_email=alias)
    for event in AuditEvent.objects.filter(details__user=old_email).only("details"):
        AuditEvent.objects.filter(pk=event.pk).update(
            details={**event.details, "user": alias}
        )
    user.email, user.first_name, user.last_name = alias, "", ""
    user.set_unusable_password()
    user.anonymised_at = now
    user.save()
    record("user.anonymised", target=user)


def purge_stale_requests(now: datetime) -> int:
    """Unverified requests are dropped once their link has expired; decided ones after a year."""
    unverified = AccessRequest.objects.filter(
        status="unverified", created_at__lt=now - VERIFY_MAX_AGE
    )
    decided = AccessRequest.objects.filter(
        status__in=["approved", "rejected"],
        decided_at__lt=now - timedelta(days=settings.ACCESS_REQUEST_RETENTION_DAYS),
    )
    return unverified.delete()[0] + decided.delete()[0]


def send_request_reminders(now: datetime) -> int:
    """Remind reviewers of requests waiting 3 days, then 10 days."""
    sent = 0
    for reminder_number, days in enumerate(
        settings.ACCESS_REQUEST_REMINDER_DAYS, start=1
    ):
        due = (
            AccessRequest.objects.pending()
            .filter(
                reminders_sent=reminder_number - 1,
            )
            .filter(Q(verified_at__lt=now - timedelta(days=days)))
        )
        for access_request in due.select_related("territory"):
            with transaction.atomic():
                notify_reviewers(access_request, "reminder")
                access_request.reminders_sent = reminder_number
                access_request.save(update_fields=["reminders_sent"])
            sent += 1
    return sent
