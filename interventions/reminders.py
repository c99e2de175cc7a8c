"""Yearly report reminders: the lead operator's members are mailed when a running
intervention has no report for the current year as the due date nears, and once
more when it has passed. `ReportReminder` records each, so a period gets one of each.
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction

from actors.mail import send_to_users
from actors.models import User
from interventions.models import Intervention, ReminderKind, ReportReminder


def due_date(year: int) -> datetime.date:
    month, day = (int(part) for part in settings.INTERVENTION_REPORT_DUE.split("-"))
    return datetime.date(year, month, day)


def to_remind(today: datetime.date) -> list[tuple[Intervention, str]]:
    """(intervention, kind) pairs owed a reminder today and not sent yet."""
    due = due_date(today.year)
    running = Intervention.objects.select_related("lead_operator", "territory")
    overdue = running.report_overdue(today, due)
    soon = running.report_due(today, due, settings.INTERVENTION_REPORT_NOTICE_DAYS)
    sent = set(
        ReportReminder.objects.filter(year=today.year).values_list(
            "intervention_id", "kind"
        )
    )
    pairs = [(i, ReminderKind.OVERDUE) for i in overdue]
    pairs += [(i, ReminderKind.DUE) for i in soon]
    return [(i, kind) for i, kind in pairs if (i.pk, kind) not in sent]


def send_reminders(today: datetime.date) -> int:
    """Mail every reminder owed today; returns how many interventions were reminded."""
    sent = 0
    for intervention, kind in to_remind(today):
        if _remind(intervention, kind, today):
            sent += 1
    return sent


def _remind(intervention: Intervention, kind: str, today: datetime.date) -> bool:
    members = list(
        User.objects.filter(
            organization=intervention.lead_operator_id,
            is_active=True,
            notify_report_reminders=True,  # their profile's choice
        )
    )
    try:
        with transaction.atomic():
            # The record first: a second run (or a concurrent one) stops here.
            ReportReminder.objects.create(
                intervention=intervention, year=today.year, kind=kind,
                recipients=len(members),
            )  # fmt: skip
            context = {
                "intervention": intervention,
                "kind": kind,
                "due": due_date(today.year),
                "url": f"{settings.SITE_URL}/interventions/{intervention.pk}/report/",
            }
            send_to_users(
                members,
                "interventions/mail/report_reminder",
                context,
                topic="notify_report_reminders",
            )
    except IntegrityError:
        return False
    return True
