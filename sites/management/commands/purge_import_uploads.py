from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from sites.import_jobs import purge_uploads


class Command(BaseCommand):
    help = (
        "Delete the point-import uploads nobody confirmed within "
        "IMPORT_UPLOAD_MAX_AGE_HOURS (each web upload also does it); run it from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--hours", type=int, default=settings.IMPORT_UPLOAD_MAX_AGE_HOURS
        )

    def handle(self, *args, **options) -> None:
        purged = purge_uploads(options["hours"])
        self.stdout.write(f"{purged} unconfirmed uploads deleted")
