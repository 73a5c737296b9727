#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests, if it is not there yet.
# Used by .ci/run and by `make test-browser`; Playwright never downloads a
# browser of its own here (the network reaches package registries only).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "The browser tests need Debian's chromium, and installing it needs root:" >&2
        echo "  apt-get install chromium" >&2
        exit 1
    fi
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq chromium >/dev/null
