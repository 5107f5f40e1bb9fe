#!/usr/bin/env bash
# Re-vendor pinned front-end assets into static/vendor/ from the npm registry.
# Idempotent: running it again with the same pins produces identical files.
# Uses `npm pack` in a temp dir (no node_modules left in the repo), then
# regenerates static/vendor/VERSIONS.txt with sha256 of every vendored file.
set -euo pipefail

BOOTSTRAP_VERSION="5.3.9"
CHARTJS_VERSION="4.6.1"
AXE_CORE_VERSION="4.14.1"
SWAGGER_UI_VERSION="5.35.0"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR_DIR="$REPO_ROOT/static/vendor"

TMP_DIR="$(mktemp -d)"
trap 'rm -rf "$TMP_DIR"' EXIT

# fetch NAME VERSION -> prints the extracted package dir
fetch() {
    local name="$1" version="$2" dest="$TMP_DIR/$1"
    mkdir -p "$dest"
    local tarball
    tarball="$(cd "$dest" && npm pack --silent "${name}@${version}" 2>/dev/null | tail -n 1)"
    tar -xzf "$dest/$tarball" -C "$dest"
    echo "$dest/package"
}

# copy_file SRC DESTDIR
# Also copies the source map that SRC names in a sourceMappingURL comment:
# Django's ManifestStaticFilesStorage (WhiteNoise's CompressedManifest...)
# rewrites those references and collectstatic fails if the map is missing.
copy_file() {
    mkdir -p "$2"
    install -m 0644 "$1" "$2/$(basename "$1")"
    local map
    map="$(grep -aoE 'sourceMappingURL=[^ *]+' "$1" | tail -n 1 | cut -d= -f2- || true)"
    if [[ -n "$map" ]]; then
        install -m 0644 "$(dirname "$1")/$map" "$2/$map"
    fi
}

# find_license PKGDIR -> path of the package's license file
find_license() {
    local f
    for f in LICENSE LICENSE.md LICENSE.txt license LICENCE; do
        if [[ -f "$1/$f" ]]; then echo "$1/$f"; return; fi
    done
    echo "no LICENSE file found in $1" >&2
    exit 1
}

# --- bootstrap ---
pkg="$(fetch bootstrap "$BOOTSTRAP_VERSION")"
rm -rf "$VENDOR_DIR/bootstrap"
copy_file "$pkg/dist/css/bootstrap.min.css" "$VENDOR_DIR/bootstrap"
copy_file "$pkg/dist/js/bootstrap.bundle.min.js" "$VENDOR_DIR/bootstrap"
install -m 0644 "$(find_license "$pkg")" "$VENDOR_DIR/bootstrap/LICENSE"

# --- chart.js ---
pkg="$(fetch chart.js "$CHARTJS_VERSION")"
rm -rf "$VENDOR_DIR/chartjs"
if [[ -f "$pkg/dist/chart.umd.min.js" ]]; then
    copy_file "$pkg/dist/chart.umd.min.js" "$VENDOR_DIR/chartjs"
else
    copy_file "$pkg/dist/chart.umd.js" "$VENDOR_DIR/chartjs"
fi
install -m 0644 "$(find_license "$pkg")" "$VENDOR_DIR/chartjs/LICENSE"

# --- axe-core ---
pkg="$(fetch axe-core "$AXE_CORE_VERSION")"
rm -rf "$VENDOR_DIR/axe-core"
copy_file "$pkg/axe.min.js" "$VENDOR_DIR/axe-core"
install -m 0644 "$(find_license "$pkg")" "$VENDOR_DIR/axe-core/LICENSE"

# --- swagger-ui-dist (the API reference at /api/docs/) ---
pkg="$(fetch swagger-ui-dist "$SWAGGER_UI_VERSION")"
rm -rf "$VENDOR_DIR/swagger-ui"
copy_file "$pkg/swagger-ui-bundle.js" "$VENDOR_DIR/swagger-ui"
copy_file "$pkg/swagger-ui.css" "$VENDOR_DIR/swagger-ui"
install -m 0644 "$(find_license "$pkg")" "$VENDOR_DIR/swagger-ui/LICENSE"

# --- VERSIONS.txt ---
{
    echo "# Vendored front-end assets. Regenerate with scripts/vendor_assets.sh"
    echo "# package version file sha256"
    for entry in "bootstrap:$BOOTSTRAP_VERSION:bootstrap" \
                 "chart.js:$CHARTJS_VERSION:chartjs" \
                 "axe-core:$AXE_CORE_VERSION:axe-core" \
                 "swagger-ui-dist:$SWAGGER_UI_VERSION:swagger-ui"; do
        IFS=: read -r name version dir <<<"$entry"
        (cd "$VENDOR_DIR" && find "$dir" -type f | LC_ALL=C sort) | while read -r f; do
            sum="$(sha256sum "$VENDOR_DIR/$f" | cut -d' ' -f1)"
            echo "$name $version $f $sum"
        done
    done
} >"$VENDOR_DIR/VERSIONS.txt"

echo "Vendored into $VENDOR_DIR:"
cat "$VENDOR_DIR/VERSIONS.txt"
