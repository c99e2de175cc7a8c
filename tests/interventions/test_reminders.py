import datetime

import pytest
from django.core import mail
from django.core.management import call_command

from interventions import reminders, services
from interventions.models import ReportReminder
from tests.factories import user_with
from tests.interventions.conftest import new_intervention

BEFORE = datetime.date(2026, 11, 10)  # within 30 days of the 30 November deadline
AFTER = datetime.date(2026, 12, 5)


@pytest.fixture
def due(world, settings):
    settings.INTERVENTION_REPORT_DUE = "11-30"
    settings.INTERVENTION_REPORT_NOTICE_DAYS = 30
    # The other operator has reported this year: it owes nothing.
    services.add_report(world.other_intervention, {"reported_on": datetime.date(2026, 3, 1),
                        "people": 3}, acting_user=world.other_member)  # fmt: skip
    mail.outbox.clear()
    return world


@pytest.fixture
def send_reminders(django_capture_on_commit_callbacks):
    """Run the reminders and the mail worker their commit starts."""

    def run(day: datetime.date) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return reminders.send_reminders(day)

    return run


def recipients() -> set[str]:
    return {address for message in mail.outbox for address in message.to}


def test_the_lead_operator_is_reminded_when_the_report_is_due_then_overdue(
    due, send_reminders
):
    due.member.language = "en"
    due.member.save()
    assert send_reminders(BEFORE) == 1
    assert recipients() == {due.member.email}
    mail.outbox.clear()
    assert send_reminders(AFTER) == 1
    assert recipients() == {due.member.email}
    assert mail.outbox[0].subject == "Report overdue: Médiation santé"  # their language


def test_reminders_go_once_per_period(due, send_reminders):
    send_reminders(BEFORE)
    send_reminders(BEFORE + datetime.timedelta(days=1))
    send_reminders(AFTER)
    call_command("intervention_reminders")  # today, whatever it is, adds no duplicate
    assert ReportReminder.objects.filter(year=2026).count() == 2
    assert len(mail.outbox) <= 3


def test_reminders_go_to_the_right_operators_only(due, send_reminders):
    colleague = user_with("contributor", "92012", organization=due.asso)
    new_intervention(due.admin, due.prefecture, code="92", title="Plan départemental")
    send_reminders(AFTER)
    assert recipients() == {due.member.email, colleague.email, due.admin.email}
    assert due.other_member.email not in recipients()


def test_no_reminder_before_the_notice_period_or_after_a_report(due, send_reminders):
    assert send_reminders(datetime.date(2026, 9, 1)) == 0
    services.add_report(due.intervention, {"reported_on": datetime.date(2026, 11, 1),
                        "people": 3}, acting_user=due.member)  # fmt: skip
    assert send_reminders(AFTER) == 0


def test_local_admins_see_the_overdue_list_of_their_territory(due, client, settings):
    settings.INTERVENTION_REPORT_DUE = "01-01"  # past, whatever day the test runs
    client.force_login(due.admin)
    overdue = list(client.get("/interventions/overdue/").context["overdue"])
    # The other intervention reported in 2026 only: overdue unless today is in 2026.
    assert due.intervention in overdue
    client.force_login(due.admin13)
    assert list(client.get("/interventions/overdue/").context["overdue"]) == []
