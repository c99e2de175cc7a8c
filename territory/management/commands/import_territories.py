from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from lib.statistics import refresh_statistics
from territory import import_runs
from territory.cog import load_cog
from territory.models import Level, Territory
from territory.services import TerritoryImportError, import_files, import_reference
from territory.sources import REFERENCE_DIR


class Command(BaseCommand):
    help = (
        "Load France's territories: by default the shipped régions, départements, communes "
        "(COG 2018 outlines mapped to COG 2026 codes) and EPCI; or any GDAL-readable FILE "
        "(GeoJSON, GeoPackage, Shapefile..., any CRS) for one --level."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "files", nargs="*", type=Path, help="boundary files for --level"
        )
        parser.add_argument(
            "--level", choices=[Level.REGION, Level.DEPARTEMENT, Level.COMMUNE]
        )
        parser.add_argument(
            "--code-field", default="code", help="attribute holding the INSEE code"
        )
        parser.add_argument(
            "--name-field", default="nom", help="attribute holding the name"
        )
        parser.add_argument(
            "--cog",
            type=Path,
            default=REFERENCE_DIR / "cog",
            help="folder of COG lists",
        )
        parser.add_argument(
            "--source",
            type=Path,
            default=REFERENCE_DIR,
            help="folder shaped like data/reference",
        )
        parser.add_argument(
            "--departements", nargs="+", help="only the communes of these départements"
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when territories exist"
        )
        parser.add_argument(
            "--tolerance",
            type=float,
            default=1000,
            help="metres a feature's point on surface may lie outside its parent's outline (default 1000)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="import even when the same files were imported last and nothing was edited since",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="report what would be created, updated, unchanged or refused; change nothing",
        )

    def handle(self, *args, **options) -> None:
        if options["if_empty"] and Territory.objects.communes().exists():
            self.stdout.write("Territories already loaded; nothing to do.")
            return
        try:
            print_ = import_runs.fingerprint(*self._inputs(options))
            skippable = not (options["force"] or options["dry_run"])
            last = import_runs.unchanged_since(print_) if skippable else None
            if last:
                self.stdout.write(
                    f"Nothing to do: these files were imported on {last} with the same "
                    "options and the territories were not edited since (--force imports "
                    f"them again). That import:\n{last.summary}"
                )
                return
            reports = self._import(options)
        except (TerritoryImportError, FileNotFoundError) as exc:
            raise CommandError(f"Import refused, nothing was changed:\n{exc}") from exc
        summary = "\n".join(report.summary() for report in reports)
        self.stdout.write(summary)
        refused = sum(len(report.refused) for report in reports)
        if not options["dry_run"]:
            # Fresh statistics at once: until autovacuum analyses the new rows, the
            # planner guessed 939 communes of 34,875 and ANDed the level index with
            # the outline index (a commune found at a point: 34 ms, not 0.3 ms).
            refresh_statistics(Territory._meta.db_table)
            import_runs.record(print_, summary)
        if options["dry_run"]:
            if refused:
                raise CommandError(
                    f"Dry run: the import would be refused ({refused} problems above); nothing was changed."
                )
            self.stdout.write("Dry run: nothing was changed.")

    def _inputs(self, options) -> tuple[list[Path], dict]:
        """What an import reads: its files, and the options that change its outcome."""
        keys = ["level", "code_field", "name_field", "departements", "tolerance"]
        chosen = {key: options[key] for key in keys}
        if options["files"]:
            files = [*options["files"], *import_runs.files_under(options["cog"])]
            return files, chosen
        return import_runs.files_under(options["source"]), chosen

    def _import(self, options):
        if options["files"]:
            if not options["level"]:
                raise CommandError("--level is required with files")
            cog = load_cog(options["cog"])
            return [
                import_files(
                    options["level"],
                    options["files"],
                    cog=cog,
                    code_field=options["code_field"],
                    name_field=options["name_field"],
                    tolerance=options["tolerance"],
                    dry_run=options["dry_run"],
                )
            ]
        progress = lambda files: tqdm(files, desc="communes", unit="file", disable=None)  # noqa: E731
        return import_reference(
            departements=options["departements"],
            source=options["source"],
            progress=progress,
            tolerance=options["tolerance"],
            dry_run=options["dry_run"],
        )
