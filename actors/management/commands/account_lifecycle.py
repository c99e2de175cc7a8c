from django.core.management.base import BaseCommand
from django.utils import timezone

from actors.lifecycle import (
    purge_stale_requests,
    run_account_lifecycle,
    send_request_reminders,
)


class Command(BaseCommand):
    help = "Daily: remind reviewers of waiting requests; warn, deactivate and anonymise inactive accounts."

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        reminders = send_request_reminders(now)
        report = run_account_lifecycle(now)
        purged = purge_stale_requests(now)
        self.stdout.write(
            f"{reminders} reminders sent; {report.warned} users warned, "
            f"{report.deactivated} deactivated, {report.anonymised} anonymised; {purged} old requests purged"
        )
