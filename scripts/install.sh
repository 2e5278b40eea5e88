#!/usr/bin/env bash
# Install lonesim into ./.venv (Python >= 3.12; Mesa 3.5 needs it). Idempotent.
#   bash scripts/install.sh            # the package and its run-time dependencies
#   bash scripts/install.sh test       # plus what the tests need (pytest, Playwright for Python)
# Finds Python 3.12+ as: $LONESIM_PYTHON, pyenv's 3.12 (the repo's .python-version), python3.13,
# python3.12, or python3 when it is new enough.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
EXTRA="${1:-}"

ok_python() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

find_python() {
    local c
    for c in "${LONESIM_PYTHON:-}" "$HOME/.pyenv/versions/$(cat .python-version 2>/dev/null)/bin/python" \
             $(ls -d "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python 2>/dev/null) python3.13 python3.12 python3; do
        [ -n "$c" ] || continue
        if command -v "$c" >/dev/null 2>&1 && ok_python "$c"; then echo "$c"; return 0; fi
    done
    # pyenv shims need the version selected (the repo's .python-version does this inside the repo).
    if command -v pyenv >/dev/null 2>&1 && PYENV_VERSION=3.12.1 python3.12 -c '' >/dev/null 2>&1; then
        echo "env PYENV_VERSION=3.12.1 python3.12"; return 0
    fi
    return 1
}

if [ ! -x .venv/bin/python ] || ! ok_python .venv/bin/python; then
    PY="$(find_python)" || { echo "install.sh: no Python >= 3.12 found; set LONESIM_PYTHON=/path/to/python3.12" >&2; exit 1; }
    echo "install.sh: creating .venv with $PY"
    rm -rf .venv
    $PY -m venv .venv
    .venv/bin/python -m pip install -q --upgrade pip
fi

SPEC="."
[ "$EXTRA" = "test" ] && SPEC=".[test]"
# Skip pip when the installed set is already up to date with pyproject.toml (fast re-runs).
STAMP=".venv/.lonesim-installed-$EXTRA"
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ] || ! .venv/bin/python -c 'import sim, mesa' >/dev/null 2>&1; then
    .venv/bin/python -m pip install -q -e "$SPEC"
    touch "$STAMP"
fi
echo "install.sh: lonesim installed in $ROOT/.venv ($(.venv/bin/python --version))"
# Compile the numba kernels once, now, into their on-disk cache (~30 s of CPU on a fresh checkout;
# a second or so when the cache is already warm), so the first simulation starts at full speed.
.venv/bin/python -c 'from sim.warmup import warm_up; warm_up()'
