#!/usr/bin/env python3
"""Fetch the browser libraries the maps need beyond django-leaflet's Leaflet.

From the npm registry at set-up time (never committed), pinned and checked against
the registry's sha512 `dist.integrity`; only the files served are kept, under
var/vendor/<package>/ (STATICFILES_DIRS). Idempotent: a package already extracted at
its pinned version is left alone. Standard library only (no curl, openssl or npm).
Usage: deploy/fetch_vendor.py  (NPM_REGISTRY overrides https://registry.npmjs.org).
"""

import base64
import hashlib
import io
import os
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "var" / "vendor"
REGISTRY = os.environ.get("NPM_REGISTRY", "https://registry.npmjs.org").rstrip("/")

# name, version, integrity, files kept (paths inside the package). Leaflet.VectorGrid
# has no LICENSE file: its licence (Beerware) and those of the bundled pbf and
# vector-tile (BSD) are stated in its README and package.json.
PACKAGES = [
    (
        "leaflet.vectorgrid",
        "1.3.0",
        "sha512-kWmj1pKM+MVdo/7Mg5zsB3YrGZvo/uIuiANV9MvWUFOG+Y2xAJzrteDhoIcCgTjHSSRJ36xdeGdIQVhuWjnCZw==",
        ["dist/Leaflet.VectorGrid.bundled.min.js", "README.md", "package.json"],
    ),
    # The API documentation page (/api/docs/), served from our own static files.
    (
        "swagger-ui-dist",
        "5.36.0",
        "sha512-Lt6/Kb0gXmLdiabLhvso4VdJP9V7qJWB0zh0gzeXUV3+CMOTzMmvpJRSXN7EAjfwixwmoi9ezDbLHiexC7lA9A==",
        ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "package.json"],
    ),
]


def fetch(name: str, version: str, integrity: str, files: list[str]) -> None:
    target = VENDOR / name
    stamp = target / ".version"
    if stamp.exists() and stamp.read_text().strip() == f"{version} {integrity}":
        return
    url = f"{REGISTRY}/{name}/-/{name}-{version}.tgz"
    if not url.startswith("https://"):
        sys.exit(f"fetch_vendor: refusing a registry that is not https: {url}")
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - https only
        data = response.read()
    digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if f"sha512-{digest}" != integrity:
        sys.exit(f"fetch_vendor: {name} {version} does not match its pinned integrity")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        contents = {f: archive.extractfile(f"package/{f}") for f in files}
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for path, member in contents.items():
            if member is None:
                sys.exit(f"fetch_vendor: {path} missing from {name} {version}")
            (target / Path(path).name).write_bytes(member.read())
    stamp.write_text(f"{version} {integrity}\n")
    print(f"fetch_vendor: {name} {version}")


if __name__ == "__main__":
    for package in PACKAGES:
        fetch(*package)
