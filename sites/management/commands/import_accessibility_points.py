import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sites.importers import (
    DEFAULT_MAPPING,
    ENCODINGS,
    MAPPABLE_FIELDS,
    open_rows,
    parse_mapping,
)
from sites.models import PointSource
from sites.services.accessibility import (
    ImportRefused,
    ImportResult,
    dataset_for,
    import_points,
)
from territory.sources import SourceError


class Command(BaseCommand):
    help = (
        "Import accessibility points (disabled parking spaces) from GeoJSON, GeoPackage, "
        "Shapefile (zipped), any GDAL vector file, or CSV (lon/lat or WKT columns), "
        "optionally .gz/.xz/.zip. Keyed on (dataset, source id); all-or-nothing unless "
        "--partial; moving an existing point to another commune or by more than 50 m "
        "needs --confirm-moves. Default mapping (GPSO open data): "
        + ", ".join(
            f"{field}<-{'+'.join(cols)}" for field, cols in DEFAULT_MAPPING.items()
        )
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_import_arguments(parser, MAPPABLE_FIELDS, example="gpso/places-pmr")
        parser.add_argument(
            "--source", choices=PointSource.values, default=PointSource.OPEN_DATA
        )
        parser.add_argument(
            "--confirm-moves",
            action="store_true",
            help="apply the moves of existing points the file asks for",
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help="show a progress bar even when stderr is not a terminal",
        )

    def handle(self, *args, **options) -> None:
        path = options["file"]
        started = time.monotonic()
        try:
            result = self._import(path, options)
        except SourceError as exc:
            raise CommandError(str(exc)) from exc
        except ImportRefused as refused:
            raise CommandError(_refusal(refused.result)) from None
        for line in result.rejected:
            self.stderr.write(f"rejected {line}")
        for move in result.moves:
            self.stderr.write(f"moved {move.describe()}")
        prefix = "Dry run, nothing changed: " if options["dry_run"] else ""
        seconds = time.monotonic() - started
        self.stdout.write(f"{path.name}: {prefix}{result.summary()} ({seconds:.1f} s)")

    def _import(self, path: Path, options) -> ImportResult:
        dataset = dataset_for(options["dataset"], options["title"])
        explicit = parse_mapping(options["map"]) if options["map"] else dataset.mapping
        row_filter = options["where"] or dataset.row_filter
        with open_rows(
            path, explicit, row_filter=row_filter, encoding=options["encoding"]
        ) as reading:
            dataset.mapping, dataset.row_filter = explicit, list(row_filter)
            with _Progress(self.stderr, options["progress"]) as progress:
                return import_points(
                    reading.rows(),
                    dataset=dataset,
                    source=options["source"],
                    partial=options["partial"],
                    dry_run=options["dry_run"],
                    confirm_moves=options["confirm_moves"],
                    progress=progress,
                    count_skipped=lambda: reading.skipped,
                )


def add_import_arguments(parser: CommandParser, fields, *, example: str) -> None:
    """The arguments every dataset import takes (accessibility points, sites)."""
    parser.add_argument("file", type=Path)
    parser.add_argument(
        "--dataset",
        required=True,
        metavar="PUBLISHER/ID",
        help=f"the dataset the file is a version of, e.g. {example} "
        "(created on first import; its saved mapping and filter are reused)",
    )
    parser.add_argument("--title", default="", help="the dataset's title")
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="FIELD=COL[+COL]",
        help=f"read FIELD from these columns; fields: {', '.join(fields)}",
    )
    parser.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="COL=VALUE[/VALUE]",
        help="keep only the rows whose column holds one of the values "
        "(the others are counted as skipped)",
    )
    parser.add_argument(
        "--encoding",
        choices=list(ENCODINGS),
        help="the text encoding of the file (default: UTF-8; CSV: guessed)",
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


def _refusal(result: ImportResult) -> str:
    if result.moves_refused:
        lines = "\n".join(m.describe() for m in result.moves)
        more = result.move_count - len(result.moves)
        return (
            f"Import refused, nothing was changed: {result.move_count} existing points "
            f"would move to another commune or by more than 50 m:\n{lines}"
            + (f"\n... and {more} more" if more else "")
            + "\nCheck them, then run again with --confirm-moves."
        )
    lines = "\n".join(result.rejected)
    more = result.hidden_rejections()
    return (
        f"Import refused, nothing was changed ({result.rejected_count} bad rows):\n{lines}"
        + (f"\n... and {more} more" if more else "")
    )


class _Progress:
    """A progress bar on a terminal; elsewhere (logs, cron) one count line at the end."""

    def __init__(self, stream, forced: bool = False):
        self.stream = stream
        self.shown = forced or sys.stderr.isatty()
        self.bar = None
        self.done = 0
        self.started = time.monotonic()

    def __enter__(self):
        if self.shown:
            from tqdm import tqdm

            self.bar = tqdm(unit=" rows", file=sys.stderr, leave=False, mininterval=0.5)
        return self

    def __call__(self, done: int) -> None:
        if self.bar is not None:
            self.bar.update(done - self.done)
        self.done = done

    def __exit__(self, *exc_info) -> None:
        if self.bar is not None:
            self.bar.close()
        seconds = time.monotonic() - self.started
        rate = self.done / seconds if seconds else 0
        self.stream.write(
            f"{self.done} rows read in {seconds:.1f} s ({rate:,.0f} rows/s)"
        )
