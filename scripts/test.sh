#!/usr/bin/env bash
# Install everything the tests need, then run them. This is the command .ci/run calls.
#   - the package with its test extras (scripts/install.sh test)
#   - Debian's Chromium for the browser tests (scripts/install_chromium.sh)
#   - Solara's JavaScript/CSS from the npm registry, so the page renders offline (scripts/solara_offline.sh)
# then lints the code (ruff) and runs the tests.
# Extra arguments go to pytest (e.g. bash scripts/test.sh -m "not browser" -x).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/install.sh test
if ! command -v npm >/dev/null 2>&1; then
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q npm) >/dev/null
fi
bash scripts/install_chromium.sh
bash scripts/solara_offline.sh .venv/bin/python
export SOLARA_TELEMETRY_MIXPANEL_ENABLE=False
# Lint first (ruff, configured in pyproject.toml): a lint error fails the run like a failing test.
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
