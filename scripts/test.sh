#!/usr/bin/env bash
# Installs everything and runs Confab's whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# The suite never reaches for the public network: no node joins the public DHT or searches
# for a home router (each test helper says so too; tests that need a DHT build their own
# inside network namespaces).
export CONFAB_DHT=0 CONFAB_UPNP=0

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

# cargo-deny is needed only here, so the launch command does not build it.
CARGO_DENY_VERSION="0.20.2"
if ! cargo deny --version 2>/dev/null | grep -q "$CARGO_DENY_VERSION"; then
  echo "test: installing cargo-deny $CARGO_DENY_VERSION"
  cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked
fi
# Supply chain (deny.toml): sources, licences and banned crates need no network. Advisories
# need the RustSec database from GitHub, which some machines (these among them) cannot reach.
cargo deny --locked check bans licenses sources
if timeout 20 git ls-remote https://github.com/rustsec/advisory-db HEAD >/dev/null 2>&1; then
  cargo deny --locked check advisories
else
  echo "test: the RustSec advisory database (github.com) is unreachable: advisories NOT checked"
fi

cargo nextest run --workspace --locked --profile ci

# Other platforms (issue 18): `confab.exe` built and the app type-checked for Windows, the
# engine and the app type-checked for Android (each says in one line when its toolchain cannot
# be installed here), and the release workflow linted.
./scripts/cross.sh
./scripts/actionlint.sh
