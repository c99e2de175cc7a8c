#!/usr/bin/env python3
"""The table of `make loadtest`: one row per endpoint group (locust's request
names), then the total. Exit code 1 when any request failed. Standard library only.

    python3 deploy/loadtest/report.py var/loadtest/result_stats.csv
"""

import csv
import sys
from pathlib import Path

COLUMNS = ("requests", "rps", "p50 ms", "p95 ms", "p99 ms", "errors")


def rows_of(path: Path) -> tuple[list[list[str]], list[str]]:
    groups, total = [], []
    with path.open(newline="") as stats:
        for row in csv.DictReader(stats):
            cells = [
                row["Request Count"],
                f"{float(row['Requests/s']):.1f}",
                row["50%"],
                row["95%"],
                row["99%"],
                row["Failure Count"],
            ]
            if row["Name"] == "Aggregated":
                total = ["total", "", *cells]
            else:
                groups.append([row["Name"], row["Type"], *cells])
    return sorted(groups), total


def main(path: Path) -> int:
    if not path.exists():
        print(
            f"no results in {path}: see {path.parent / 'locust.log'}", file=sys.stderr
        )
        return 1
    groups, total = rows_of(path)
    header = ["endpoint group", "method", *COLUMNS]
    table = [header, *groups, total]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]

    def line(row: list[str]) -> str:
        left = [cell.ljust(width) for cell, width in zip(row[:2], widths, strict=False)]
        right = [
            cell.rjust(width) for cell, width in zip(row[2:], widths[2:], strict=False)
        ]
        return "  ".join(left + right)

    rule = "  ".join("-" * width for width in widths)
    print(line(header), rule, *map(line, groups), rule, line(total), sep="\n")
    errors = int(total[-1]) if total else 1
    failures = path.with_name(path.name.replace("_stats", "_failures"))
    if errors:
        print(f"\n{errors} failed requests (details: {failures})")
        with failures.open(newline="") as rows:
            for row in csv.DictReader(rows):
                print(
                    f"  {row['Occurrences']} x {row['Method']} {row['Name']}: {row['Error']}"
                )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(
        main(
            Path(sys.argv[1] if len(sys.argv) > 1 else "var/loadtest/result_stats.csv")
        )
    )
