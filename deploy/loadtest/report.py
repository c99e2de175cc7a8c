#!/usr/bin/env python3
"""The table of `make loadtest`: one row per endpoint group (locust's request
names), then the total; the rate reached against the one asked for, and the time
requests spent inside gunicorn (its access log), which tells queueing (all workers
busy) from slow answers. Exit code 1 when any request failed. Standard library only.

    python3 deploy/loadtest/report.py var/loadtest/result_stats.csv \
        [--target 50] [--access-log var/loadtest/run/gunicorn-access.log]
"""

import argparse
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


def percentiles(values: list[float]) -> str:
    values = sorted(values)
    at = {
        p: values[min(len(values) - 1, int(len(values) * p / 100))]
        for p in (50, 95, 99)
    }
    return ", ".join(f"p{p} {v:.0f} ms" for p, v in at.items())


def service_times(access_log: Path) -> list[float]:
    """Milliseconds per request in gunicorn: the "...us" field of its access log."""
    times = []
    for line in access_log.read_text(errors="replace").splitlines():
        field = next(
            (f for f in line.split() if f.endswith("us") and f[:-2].isdigit()), None
        )
        if field:
            times.append(int(field[:-2]) / 1000)
    return times


def main(
    path: Path, target: float | None = None, access_log: Path | None = None
) -> int:
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
    if target and total:
        print(f"\nrate reached: {total[3]} requests/s of {target:g} asked for")
    if access_log and access_log.exists():
        times = service_times(access_log)
        if times:
            print(f"time inside gunicorn ({len(times)} requests): {percentiles(times)}")
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
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "stats", type=Path, nargs="?", default=Path("var/loadtest/result_stats.csv")
    )
    parser.add_argument("--target", type=float)
    parser.add_argument("--access-log", type=Path)
    args = parser.parse_args()
    sys.exit(main(args.stats, args.target, args.access_log))
