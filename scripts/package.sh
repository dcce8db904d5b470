#!/usr/bin/env bash
# Builds the Debian package with the Tauri CLI from npm (version pinned in package.json and
# package-lock.json). Prints the path of the .deb. Install it with `sudo apt-get install
# ./<path>`; it provides /usr/bin/confab-app and a desktop entry.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if ! command -v npm >/dev/null 2>&1; then
  echo "package: installing nodejs and npm"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
npm ci --no-audit --no-fund
TAURI_APP_PATH=src-tauri npx --no-install tauri build --bundles deb
target="${CARGO_TARGET_DIR:-target}"
ls -1 "$target"/release/bundle/deb/*.deb
