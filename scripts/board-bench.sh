#!/usr/bin/env bash
# Whiteboards of 1,000 and 10,000 objects in the real window, release build: open time and
# pan/zoom frame times (requestAnimationFrame), with WebKitGTK's default renderer and with its
# shared-memory one (WEBKIT_DISABLE_DMABUF_RENDERER=1, which a machine without a GPU needs for
# smooth frames; see docs/BENCHMARKS.md). Figures go to docs/BENCHMARKS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export CONFAB_DHT=0 CONFAB_UPNP=0
cargo bench -p confab-app --bench board_frames
WEBKIT_DISABLE_DMABUF_RENDERER=1 cargo bench -p confab-app --bench board_frames
