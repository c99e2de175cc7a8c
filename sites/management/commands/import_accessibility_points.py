from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sites.importers import DEFAULT_MAPPING, parse_mapping, read_rows
from sites.models import PointSource
from sites.services.accessibility import ImportRefused, import_points
from territory.sources import SourceError


class Command(BaseCommand):
    help = (
        "Import accessibility points (disabled parking spaces) from GeoJSON, GeoPackage, any "
        "GDAL vector file, or CSV (lon/lat or WKT columns). Idempotent on (source, source id); "
        "all-or-nothing unless --partial. Default mapping (GPSO open data): "
        + ", ".join(
            f"{field}<-{'+'.join(cols)}" for field, cols in DEFAULT_MAPPING.items()
        )
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--source", choices=PointSource.values, default=PointSource.OPEN_DATA
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COL[+COL]",
            help="override a column",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="report what would change, change nothing",
        )
        parser.add_argument(
            "--partial",
            action="store_true",
            help="import the good rows, report the others",
        )

    def handle(self, *args, **options) -> None:
        try:
            rows = read_rows(options["file"], parse_mapping(options["map"]))
            result = import_points(
                rows,
                source=options["source"],
                partial=options["partial"],
                dry_run=options["dry_run"],
            )
        except SourceError as exc:
            raise CommandError(str(exc)) from exc
        except ImportRefused as refused:
            lines = "\n".join(refused.result.rejected)
            raise CommandError(
                f"Import refused, nothing was changed ({len(refused.result.rejected)} bad rows):\n{lines}"
            ) from None
        for line in result.rejected:
            self.stderr.write(f"rejected {line}")
        prefix = "Dry run, nothing changed: " if options["dry_run"] else ""
        self.stdout.write(f"{options['file'].name}: {prefix}{result.summary()}")
