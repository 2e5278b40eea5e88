#!/usr/bin/env bash
# Fill Solara's CDN proxy cache from the npm registry, so the visualization page renders with no
# internet access (idempotent).
#
# Solara serves its JavaScript and CSS through /_solara/cdn/<package>@<version>/<file>; on a cache miss
# it downloads from a public CDN, which this project's machines cannot reach, and the page stays blank.
# The cache is `solara.server.settings.assets.proxy_cache_dir` (<venv>/share/solara/cdn/ by default), laid
# out as <cache>/<package>@<version-as-requested>/<file inside the npm tarball>. So for each package the
# page requests we run `npm pack <package>@<version>` and unpack the tarball there without its leading
# `package/` folder.
#
# The list of packages is read from the installed solara (its page template and the Vue widgets the
# SolaraViz page uses: the grid layout and the Vega-Lite/Altair chart), so it follows solara upgrades.
# A fixed list, checked against the requests a browser made for solara 1.64.1 + ipyvue<2, is the fallback.
#
# Usage: scripts/solara_offline.sh [VENV_PYTHON] [EXTRA_PACKAGE@VERSION ...]
#   VENV_PYTHON defaults to .venv/bin/python in the repository root.
#   Extra specs (e.g. katex@0.16.9 for math in Markdown) are added to the list.
#   LONESIM_SOLARA_OFFLINE_FORCE=1 re-downloads packages that are already cached.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${1:-$ROOT/.venv/bin/python}"
if [ $# -gt 0 ]; then shift; fi

if [ ! -x "$PY" ]; then
    echo "solara_offline.sh: python not found at $PY (pass the venv python as first argument)" >&2
    exit 1
fi
# absolute, but not through the symlink: the venv's python must stay the venv's python
PY="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")"
if ! command -v npm >/dev/null 2>&1; then
    echo "solara_offline.sh: npm is needed (Debian: apt-get install -y npm)" >&2
    exit 1
fi

# Print "<cache dir>" then one "<package>@<version>" per line.
# Run from / so that nothing in the current folder shadows a module (solara has a comm.py, for one).
LIST="$(cd / && "$PY" - "$@" <<'PYEOF'
import pathlib
import re
import sys

import solara
import solara.server.settings as server_settings

root = pathlib.Path(solara.__file__).parent
cache = pathlib.Path(server_settings.assets.proxy_cache_dir)
print(cache)

try:
    import ipyvue

    vue3 = int(ipyvue.__version__.split(".")[0]) >= 3
except Exception:
    vue3 = False

# What the browser asked for with solara 1.64.1, ipyvue 1.x (checked with Chromium's failed requests).
fallback = [
    "@widgetti/solara-vuetify-app@10.1.1",
    "requirejs@2.3.6",
    "font-awesome@4.5.0",
    "@widgetti/vue-grid-layout@2.3.13-alpha.2",
    "vega@5",
    "vega-lite@5",
    "vega-embed@6",
]

pattern = re.compile(r"(?:\{\{\s*cdn\s*\}\}|getCdn\(\)\})/((?:@[\w.-]+/)?[\w.-]+)@([\w.+-]+)/")
sources = [
    root / "server" / "templates" / "solara.html.j2",
    root / "widgets" / "vue" / ("gridlayout_v3.vue" if vue3 else "gridlayout.vue"),
    root / "widgets" / "vue" / "vegalite.vue",
]
found = []
for src in sources:
    try:
        text = src.read_text(encoding="utf-8")
    except OSError:
        continue
    for name, version in pattern.findall(text):
        # the page template names both the Vue 2 and the Vue 3 app; only one is loaded
        if name == "@widgetti/solara-vuetify3-app" and not vue3:
            continue
        if name == "@widgetti/solara-vuetify-app" and vue3:
            continue
        found.append(f"{name}@{version}")

fa = getattr(server_settings.assets, "fontawesome_path", "")
m = re.match(r"/?((?:@[\w.-]+/)?[\w.-]+)@([\w.+-]+)/", fa or "")
if m and getattr(server_settings.assets, "fontawesome_enabled", True):
    found.append(f"{m.group(1)}@{m.group(2)}")

specs = []
for spec in found + (fallback if len(found) < 4 else []) + sys.argv[1:]:
    if spec not in specs:
        specs.append(spec)
print("\n".join(specs))
PYEOF
)"

CACHE="$(printf '%s\n' "$LIST" | sed -n '1p')"
SPECS="$(printf '%s\n' "$LIST" | sed -n '2,$p')"
mkdir -p "$CACHE"
echo "solara CDN cache: $CACHE"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

fetched=0
for spec in $SPECS; do
    dest="$CACHE/$spec"
    marker="$dest/.lonesim-npm-pack"
    if [ -f "$marker" ] && [ "${LONESIM_SOLARA_OFFLINE_FORCE:-0}" != "1" ]; then
        echo "  cached   $spec ($(cat "$marker"))"
        continue
    fi
    pack_dir="$WORK/pack-$fetched"
    mkdir -p "$pack_dir"
    # npm pack resolves a range such as vega@5 to the newest matching version, as the CDN does.
    (cd "$pack_dir" && npm pack --silent --loglevel=error "$spec" >/dev/null)
    tarball="$(ls "$pack_dir"/*.tgz | head -n 1)"
    unpack="$pack_dir/unpacked"
    mkdir -p "$unpack"
    tar -xzf "$tarball" -C "$unpack" --strip-components=1 --no-same-owner
    mkdir -p "$dest"
    cp -a "$unpack/." "$dest/"
    basename "$tarball" > "$marker"
    echo "  fetched  $spec -> $(basename "$tarball")"
    fetched=$((fetched + 1))
done

# Check that the files the page loads first are in place.
missing=0
for spec in $SPECS; do
    if [ ! -f "$CACHE/$spec/package.json" ]; then
        echo "solara_offline.sh: $spec is missing from $CACHE" >&2
        missing=1
    fi
done
exit $missing
