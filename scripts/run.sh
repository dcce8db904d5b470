#!/usr/bin/env bash
# Installs everything and launches Confab: the app on a machine with a display, the headless
# node (`confab run`) without one. Extra arguments go to `confab run`.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec cargo run --release --locked -p confab-app
else
  echo "run: no display found; starting the headless node"
  exec cargo run --release --locked --bin confab -- run "$@"
fi
