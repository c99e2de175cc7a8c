from django.core.management.base import BaseCommand
from django.utils import timezone

from interventions.digests import send_daily_digests, send_weekly_digests


class Command(BaseCommand):
    help = "Daily: mail followers the news of what they follow (at most once a day) and local admins their weekly summary."

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        daily = send_daily_digests(now)
        weekly = send_weekly_digests(now)
        self.stdout.write(f"{daily} daily and {weekly} weekly digest(s) sent.")
