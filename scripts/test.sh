#!/usr/bin/env bash
# Installs everything and runs Confab's whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

if cargo fmt --version >/dev/null 2>&1; then
  cargo fmt --all --check
else
  echo "test: rustfmt is not installed; skipping the format check"
fi
if cargo clippy --version >/dev/null 2>&1; then
  cargo clippy --workspace --all-targets --locked -- -D warnings
else
  echo "test: clippy is not installed; skipping lints"
fi

cargo nextest run --workspace --locked --profile ci
