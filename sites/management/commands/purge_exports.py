"""Delete export files older than EXPORT_RETENTION_DAYS (the worker also does it
daily): for cron, or by hand after lowering the setting."""

from django.core.management.base import BaseCommand

from sites.jobs import purge_expired_exports


class Command(BaseCommand):
    help = "Delete finished export files older than EXPORT_RETENTION_DAYS."

    def handle(self, *args, **options):
        purged = purge_expired_exports()
        self.stdout.write(f"{purged} export file(s) purged")
