from django.core.management.base import BaseCommand, CommandError

from actors.demo import DEMO_PASSWORD, DemoDisabled, load_demo_accounts
from interventions.demo import load_demo_interventions
from sites.demo import load_demo_sites


class Command(BaseCommand):
    # Here, not in sites: interventions sit above sites and load after them.
    help = "Create the demo accounts, sites and interventions (only with DEMO_DATA_ENABLED=1, as `make run` sets)."

    def handle(self, *args, **options) -> None:
        try:
            rows = load_demo_accounts()
            report = load_demo_sites()
            interventions = load_demo_interventions()
        except DemoDisabled as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Demo accounts (password: {DEMO_PASSWORD}):")
        for email, role, territory in rows:
            self.stdout.write(f"  {email:30} {role:25} {territory}")
        self.stdout.write(report.summary())
        self.stdout.write(interventions.summary())
