#!/usr/bin/env python3
"""Build the reference data shipped in data/reference from ../shared/data.

Run once when the source data changes:  python3 deploy/build_reference_data.py
Geometries and their properties are kept as published (whitespace removed);
the COG lists keep only the fields the importers read. Everything is xz-compressed
so a clone alone can load France (about 10 MB). Standard library only.
"""

import argparse
import hashlib
import json
import lzma
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COG_FIELDS = {
    "communes.json": (
        "code", "nom", "type", "departement", "region", "chefLieu",
        "anciensCodes", "commune", "population", "zone",
    ),
    "departements.json": ("code", "nom", "region", "chefLieu", "zone"),
    "regions.json": ("code", "nom", "chefLieu", "zone"),
}  # fmt: skip


def write_xz(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(lzma.compress(payload, preset=9 | lzma.PRESET_EXTREME))


def minified(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def build_boundaries(source: Path, dest: Path) -> None:
    for level in ("regions", "departements"):
        document = json.loads((source / f"{level}-avec-outre-mer.geojson").read_bytes())
        write_xz(dest / f"{level}.geojson.xz", minified(document))
    for path in sorted((source / "communes").glob("communes-*.geojson")):
        code = path.stem.split("-")[1]
        write_xz(
            dest / "communes" / f"{code}.geojson.xz",
            minified(json.loads(path.read_bytes())),
        )


def build_cog(source: Path, dest: Path) -> None:
    for name, fields in COG_FIELDS.items():
        records = json.loads((source / name).read_bytes())
        kept = [{key: rec[key] for key in fields if key in rec} for rec in records]
        write_xz(dest / "cog" / f"{name}.xz", minified(kept))
    epcis = json.loads((source / "epci.json").read_bytes())
    kept = [
        {
            **{k: e[k] for k in ("code", "nom", "type")},
            "membres": [{"code": m["code"]} for m in e["membres"]],
        }
        for e in epcis
    ]
    write_xz(dest / "cog" / "epci.json.xz", minified(kept))


def copy_as_is(source: Path, dest: Path) -> None:
    for rel in ("accessibility/gpso-92-places-stationnement-pmr.geojson",
                "aggregates/dihal-etat-des-lieux-bidonvilles-2013-2017.csv"):  # fmt: skip
        write_xz(dest / f"{rel}.xz", (source / rel).read_bytes())


def write_manifest(dest: Path) -> None:
    lines = [
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(dest)}"
        for p in sorted(dest.rglob("*.xz"))
    ]
    (dest / "SHA256SUMS").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--dest", type=Path, default=ROOT / "data" / "reference")
    args = parser.parse_args()
    licence = args.dest / "LICENCE.md"
    kept_licence = licence.read_text() if licence.exists() else None
    shutil.rmtree(args.dest, ignore_errors=True)
    build_boundaries(args.source / "boundaries", args.dest)
    build_cog(args.source / "cog", args.dest)
    copy_as_is(args.source, args.dest)
    if kept_licence:
        licence.write_text(kept_licence)
    write_manifest(args.dest)


if __name__ == "__main__":
    main()
