#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (idempotent).
# `playwright install` cannot download browsers on this project's machines; the tests drive
# /usr/bin/chromium through Playwright's executable_path instead.
set -euo pipefail

CHROMIUM="${LONESIM_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
    echo "chromium already installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install_chromium.sh: not root and no sudo; install the 'chromium' package by hand" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-liberation
"$CHROMIUM" --version
