#!/usr/bin/env python3
"""Fetch the browser libraries the maps need beyond django-leaflet's Leaflet.

From the npm registry at set-up time (never committed), pinned and checked against
the registry's sha512 `dist.integrity`; only the files served are kept, under
var/vendor/<package>/ (STATICFILES_DIRS). Idempotent: a package already extracted at
its pinned version is left alone. Standard library only (no curl, openssl or npm).
A kept path ending in "/" keeps that directory's tree (fonts, icons); a leading dist/
is dropped and the rest of each path kept, so the CSS's relative urls hold.
Test-only libraries (axe-core, for the accessibility tests) go to var/test-vendor/,
which is not served. Usage: deploy/fetch_vendor.py  (NPM_REGISTRY overrides
https://registry.npmjs.org).
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

VAR = Path(__file__).resolve().parent.parent / "var"
VENDOR = VAR / "vendor"
TEST_VENDOR = VAR / "test-vendor"
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
    # The State design system (DSFR): its CSS, JS, Marianne fonts, icons and
    # favicons, served as our own static files (licence: etalab-2.0 / MIT, in README).
    (
        "@gouvfr/dsfr",
        "1.15.3",
        "sha512-R9AALZc1LfZjtytWZMOaUIOHWTkllBZ/sZlsL8TpKZVgF3qUKXt/uNYh+L1D1Fh4p92ZqWxbtNcebsigBZe5pQ==",
        [
            "dist/dsfr.min.css",
            "dist/dsfr.module.min.js",
            "dist/dsfr.nomodule.min.js",
            "dist/utility/icons/icons.min.css",
            "dist/fonts/",
            "dist/icons/",
            "dist/favicon/",
            "README.md",
            "package.json",
        ],
    ),
]

# Used by the tests only (tests/browser/test_accessibility.py), never served.
TEST_PACKAGES = [
    (
        "axe-core",
        "4.14.1",
        "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
        ["axe.min.js", "LICENSE"],
    ),
]


def fetch(
    name: str, version: str, integrity: str, files: list[str], root: Path = VENDOR
) -> None:
    target = root / name
    stamp = target / ".version"
    if stamp.exists() and stamp.read_text().strip() == f"{version} {integrity}":
        return
    # A scoped package's tarball is named after its last part (@gouvfr/dsfr: dsfr-).
    url = f"{REGISTRY}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"
    if not url.startswith("https://"):
        sys.exit(f"fetch_vendor: refusing a registry that is not https: {url}")
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - https only
        data = response.read()
    digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if f"sha512-{digest}" != integrity:
        sys.exit(f"fetch_vendor: {name} {version} does not match its pinned integrity")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        contents = _kept(archive, files, name, version)
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for relative, content in contents.items():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            (target / relative).write_bytes(content)
    stamp.write_text(f"{version} {integrity}\n")
    print(f"fetch_vendor: {name} {version}")


def _kept(archive, files: list[str], name: str, version: str) -> dict[Path, bytes]:
    """Kept path (a leading dist/ dropped, so relative CSS urls hold) -> its bytes."""
    members = [m.name for m in archive.getmembers() if m.isfile()]
    kept: dict[Path, bytes] = {}
    for wanted in files:
        full = f"package/{wanted}"
        chosen = (
            [n for n in members if n.startswith(full)]
            if full.endswith("/")
            else [n for n in members if n == full]
        )
        if not chosen:
            sys.exit(f"fetch_vendor: {wanted} missing from {name} {version}")
        for member_name in chosen:
            relative = Path(member_name.removeprefix("package/").removeprefix("dist/"))
            if ".." in relative.parts:
                sys.exit(f"fetch_vendor: unsafe path {member_name} in {name}")
            kept[relative] = _read(archive, member_name)
    return kept


def _read(archive, member_name: str) -> bytes:
    member = archive.extractfile(member_name)
    if member is None:
        sys.exit(f"fetch_vendor: {member_name} is not a file")
    return member.read()


if __name__ == "__main__":
    for package in PACKAGES:
        fetch(*package)
    for package in TEST_PACKAGES:
        fetch(*package, root=TEST_VENDOR)
