#!/usr/bin/env bash
# Start-up time to an interactive window and idle memory (PSS of the app and its WebKit
# processes) of Confab next to a bare Tauri window, both release builds, measured the same way
# under Xvfb and WebDriver. Figures go to docs/BENCHMARKS.md by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --profile bench -p confab-app --example bare_window
cargo bench -p confab-app --bench footprint
