#!/usr/bin/env python3
"""Backups that prove themselves: `make backup` and `make restore FILE=...`.

backup   pg_dump (custom format) of the database, plus a manifest of row counts and a
         checksum per table taken in the very snapshot pg_dump reads, so the manifest
         describes exactly what the dump holds.
restore  pg_restore of a dump into the database (its objects are dropped and
         re-created), then the same checksums on the restored tables, compared with
         the manifest: any difference is printed and the exit code is 1.
checksum print the row count and checksum of every table.

The database is DATABASE_URL (a postgis:// or postgresql:// URL, as Django reads it),
or --database-url. Only psycopg and PostgreSQL's own client tools are used.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
from psycopg import sql

SCHEMA = "public"


def libpq_url(url: str) -> str:
    """Django's postgis:// scheme means postgresql:// to libpq (a conninfo string
    such as "host=... dbname=..." passes as it is)."""
    if "://" not in url:
        return url
    scheme, _, rest = url.partition("://")
    if scheme not in ("postgis", "postgres", "postgresql"):
        sys.exit(f"DATABASE_URL: unsupported scheme {scheme!r}")
    return f"postgresql://{rest}"


def tables(cursor) -> list[str]:
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename",
        [SCHEMA],
    )
    return [name for (name,) in cursor.fetchall()]


def checksums(cursor) -> dict[str, dict]:
    """Rows and an order-independent md5 of every table of the schema."""
    result = {}
    for table in tables(cursor):
        cursor.execute(
            sql.SQL(
                "SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' "
                "ORDER BY md5(t::text))), '') FROM {}.{} t"
            ).format(sql.Identifier(SCHEMA), sql.Identifier(table))
        )
        rows, digest = cursor.fetchone()
        result[table] = {"rows": rows, "md5": digest}
    return result


def backup(url: str, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    with psycopg.connect(url) as conn:
        # One snapshot for the dump and the manifest: writes that happen meanwhile are
        # in neither.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot(), current_database()")
            snapshot, name = cursor.fetchone()
            stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%SZ")
            dump = out_dir / f"{name}-{stamp}.dump"
            pg_dump = ["pg_dump", "-Fc", f"--snapshot={snapshot}", "-f", str(dump), url]
            subprocess.run(pg_dump, check=True)  # noqa: S603, S607 (PostgreSQL's own tool)
            manifest = checksums(cursor)
    manifest_path = dump.with_suffix(".json")
    manifest_path.write_text(
        json.dumps({"database": name, "tables": manifest}, indent=1, sort_keys=True)
    )
    total = sum(t["rows"] for t in manifest.values())
    print(f"{dump}: {len(manifest)} tables, {total} rows; manifest {manifest_path}")
    return dump


def compare(expected: dict[str, dict], found: dict[str, dict]) -> list[str]:
    problems = []
    for table in sorted(set(expected) | set(found)):
        want, got = expected.get(table), found.get(table)
        if want != got:
            problems.append(f"{table}: expected {want}, found {got}")
    return problems


def restore(url: str, dump: Path) -> int:
    manifest_path = dump.with_suffix(".json")
    if not dump.is_file() or not manifest_path.is_file():
        print(f"{dump}: no such dump, or its manifest {manifest_path} is missing")
        return 2
    expected = json.loads(manifest_path.read_text())["tables"]
    pg_restore = ["pg_restore", "--clean", "--if-exists", "--no-owner"]
    pg_restore += ["--exit-on-error", "-d", url, str(dump)]
    subprocess.run(pg_restore, check=True)  # noqa: S603, S607 (PostgreSQL's own tool)
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        problems = compare(expected, checksums(cursor))
    if problems:
        print("Restored data differ from the backup's manifest:")
        print("\n".join(problems))
        return 1
    total = sum(t["rows"] for t in expected.values())
    print(f"{dump}: restored and checked, {len(expected)} tables, {total} rows")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: DATABASE_URL")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("backup").add_argument(
        "--out", type=Path, default=Path("var/backups")
    )
    commands.add_parser("restore").add_argument("file", type=Path)
    commands.add_parser("checksum")
    options = parser.parse_args(argv)
    url = options.database_url or os.environ.get("DATABASE_URL")
    if not url:
        parser.error("no database: set DATABASE_URL or pass --database-url")
    url = libpq_url(url)
    if options.command == "backup":
        backup(url, options.out)
        return 0
    if options.command == "restore":
        return restore(url, options.file)
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        for table, figures in checksums(cursor).items():
            print(f"{table}\t{figures['rows']}\t{figures['md5']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
