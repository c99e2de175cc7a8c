from django.core.management.base import BaseCommand
from django.utils import timezone

from interventions.reminders import send_reminders


class Command(BaseCommand):
    help = "Daily: remind lead operators of yearly intervention reports due or overdue (once per period)."

    def handle(self, *args, **options) -> None:
        count = send_reminders(timezone.localdate())
        self.stdout.write(f"{count} intervention(s) reminded.")
