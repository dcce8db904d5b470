#!/usr/bin/env bash
# A room of a million messages (CONFAB_ROOM_MESSAGES) in the real window, release build: click
# to newest message on screen, a page back, and memory against an empty room. Figures go to
# docs/BENCHMARKS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export CONFAB_DHT=0 CONFAB_UPNP=0
cargo bench -p confab-app --bench room
