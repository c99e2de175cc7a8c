from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sites.management.commands.import_accessibility_points import (
    _Progress,
    _refusal,
    add_import_arguments,
)
from sites.services.accessibility import ImportRefused, dataset_for
from sites.services.site_import import SiteImportResult, import_sites
from sites.site_rows import MAPPABLE_FIELDS, open_site_rows, parse_mapping
from territory.sources import SourceError


class Command(BaseCommand):
    help = (
        "Import sites from CSV, XLSX, GeoJSON, GeoPackage, Shapefile (zipped) or any "
        "GDAL vector file, optionally .gz/.xz/.zip. Keyed on (dataset, source id): "
        "a re-import changes nothing, a changed row updates its site (with its "
        "history, by --user). Status and closure dates are kept. All-or-nothing "
        "unless --partial; points must fall in a commune of France that --user "
        "administers. Columns named like the fields (or their usual French names: "
        "nom, statut, date_fermeture, code_insee...) are read by default."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_import_arguments(parser, MAPPABLE_FIELDS, example="pref92/campements")
        parser.add_argument(
            "--user",
            required=True,
            metavar="EMAIL",
            help="the local administrator the import acts as: every write is theirs "
            "in the sites' history and the audit log, and rows outside the "
            "communes they administer are rejected",
        )

    def handle(self, *args, **options) -> None:
        path = options["file"]
        user = _user(options["user"])
        try:
            result = self._import(path, user, options)
        except SourceError as exc:
            raise CommandError(str(exc)) from exc
        except PermissionDenied as exc:
            raise CommandError(f"{options['user']}: {exc}") from exc
        except ImportRefused as refused:
            raise CommandError(_refusal(refused.result)) from None
        for line in result.rejected:
            self.stderr.write(f"rejected {line}")
        prefix = "Dry run, nothing changed: " if options["dry_run"] else ""
        self.stdout.write(f"{path.name}: {prefix}{result.summary()}")

    def _import(self, path: Path, user, options) -> SiteImportResult:
        dataset = dataset_for(options["dataset"], options["title"])
        explicit = parse_mapping(options["map"]) if options["map"] else dataset.mapping
        row_filter = options["where"] or dataset.row_filter
        with open_site_rows(
            path, explicit, row_filter=row_filter, encoding=options["encoding"]
        ) as reading:
            dataset.mapping, dataset.row_filter = explicit, list(row_filter)
            with _Progress(self.stderr) as progress:
                return import_sites(
                    reading.rows(),
                    dataset=dataset,
                    acting_user=user,
                    partial=options["partial"],
                    dry_run=options["dry_run"],
                    progress=progress,
                    count_skipped=lambda: reading.skipped,
                )


def _user(email: str):
    user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        raise CommandError(f"--user {email}: no active account with this e-mail")
    return user
