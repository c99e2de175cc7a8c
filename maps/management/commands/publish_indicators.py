"""Publish the public indicator snapshot (monthly from cron, see README)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from maps.indicators.public import departements_with_sites, publish


class Command(BaseCommand):
    help = "Store the disclosure-controlled public indicators of a date (today by default)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            help="YYYY-MM-DD: figures as they were that day, from the site history",
        )

    def handle(self, *args, **options):
        day = timezone.localdate()
        if options["as_of"]:
            try:
                day = datetime.date.fromisoformat(options["as_of"])
            except ValueError as error:
                raise CommandError("--as-of takes a date YYYY-MM-DD") from error
        snapshot = publish(day, from_history=bool(options["as_of"]))
        rows = snapshot.rows
        published = sum(1 for r in rows if not r["suppressed"])
        self.stdout.write(
            f"Snapshot {snapshot.published_on}: {len(rows)} cells, {published} published, "
            f"{len(rows) - published} suppressed."
        )
        for key, count in snapshot.suppressed.items():
            self.stdout.write(f"  suppressed {key}: {count}")
        with_sites = departements_with_sites()
        shown = [
            r
            for r in rows
            if r["level"] == "departement"
            and r["indicator"] == "all"
            and not r["suppressed"]
        ]
        self.stdout.write(
            f"Départements with their total published: {len(shown)} of {len(with_sites)}."
        )
