#!/usr/bin/env bash
# Browser libraries the maps need beyond django-leaflet's Leaflet, fetched from the npm
# registry at set-up time (never committed), pinned and checked against the registry's
# sha512 integrity. Only the files served are kept, under var/vendor/ (STATICFILES_DIRS).
# Idempotent: a package already extracted at its pinned version is left alone.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENDOR="$ROOT/var/vendor"
REGISTRY="${NPM_REGISTRY:-https://registry.npmjs.org}"

# name version sha512-integrity files-to-keep (paths inside the package)...
# Leaflet.VectorGrid has no LICENSE file: its licence (Beerware) and those of the
# bundled pbf and vector-tile (BSD) are stated in its README and package.json.
fetch() {
  local name=$1 version=$2 integrity=$3
  shift 3
  local target="$VENDOR/$name"
  if [[ -f "$target/.version" && "$(cat "$target/.version")" == "$version $integrity" ]]; then
    return 0
  fi
  local work
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  curl -fsSL --retry 3 -o "$work/package.tgz" \
    "$REGISTRY/$name/-/$name-$version.tgz"
  local actual
  actual="sha512-$(openssl dgst -sha512 -binary "$work/package.tgz" | base64 -w0)"
  if [[ "$actual" != "$integrity" ]]; then
    echo "fetch-vendor: $name $version does not match its pinned integrity" >&2
    echo "  expected $integrity" >&2
    echo "  got      $actual" >&2
    return 1
  fi
  tar -xzf "$work/package.tgz" -C "$work" "${@/#/package/}"
  rm -rf "$target" && mkdir -p "$target"
  for file in "$@"; do
    cp "$work/package/$file" "$target/$(basename "$file")"
  done
  echo "$version $integrity" >"$target/.version"
  echo "fetch-vendor: $name $version"
}

fetch leaflet.vectorgrid 1.3.0 \
  "sha512-kWmj1pKM+MVdo/7Mg5zsB3YrGZvo/uIuiANV9MvWUFOG+Y2xAJzrteDhoIcCgTjHSSRJ36xdeGdIQVhuWjnCZw==" \
  dist/Leaflet.VectorGrid.bundled.min.js README.md package.json
