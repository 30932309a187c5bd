#!/usr/bin/env bash
# Install everything Myoscope needs and run the whole test suite, browser tests included.
# Usage (from the repository root): bash scripts/test.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"

# The end-to-end tests drive Debian's Chromium through Playwright (Playwright's own
# browser download cannot be used offline).
if ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing and cannot be installed without root: apt-get install chromium" >&2
    exit 1
  fi
fi

exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
