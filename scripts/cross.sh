#!/usr/bin/env bash
# Cross-target checks (issue 18): the headless `confab` binary builds for Windows and the app
# type-checks for it; the engine crates and the app type-check for Android. Installs the cross toolchains it needs;
# when one cannot be installed it says so in one line, skips the check that needs it, and
# still exits 0. Exits 1 if a check that ran failed. Uses $CARGO_TARGET_DIR as given.
set -euo pipefail
cd "$(dirname "$0")/.."

WINDOWS=x86_64-pc-windows-gnu
ANDROID=aarch64-linux-android
ENGINE=(confab-core confab-blobs confab-store confab-sync confab-net confab-node)

# --- What the checks need: Debian packages and Rust targets --------------------------------
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  # Without a terminal sudo must not wait for a password: it fails and the check is skipped.
  if [ -t 0 ]; then SUDO="sudo"; else SUDO="sudo -n"; fi
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep "install ok installed" >/dev/null; }

APT_PACKAGES=(
  # Windows: the MinGW linker and C compiler; nasm for aws-lc-sys's assembly
  gcc-mingw-w64-x86-64 nasm
  # Android: Debian's aarch64 C compiler and ar stand in for the NDK's (see below)
  gcc-aarch64-linux-gnu
)
# Only on Debian-like machines; elsewhere the commands below may come from anywhere.
missing=()
command -v dpkg-query >/dev/null 2>&1 || APT_PACKAGES=()
for p in "${APT_PACKAGES[@]}"; do
  installed "$p" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "cross: installing ${missing[*]}"
  { $SUDO apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
    >/dev/null 2>&1 || true
fi

has_target() { rustup target list --installed 2>/dev/null | grep -x "$1" >/dev/null; }
for t in "$WINDOWS" "$ANDROID"; do
  if ! has_target "$t" && command -v rustup >/dev/null 2>&1; then
    echo "cross: adding the Rust target $t"
    rustup target add "$t" >/dev/null 2>&1 || true
  fi
done

# Why a check cannot run, or nothing if it can.
lacking() { # target, then command:package pairs
  local t=$1 pair
  shift
  has_target "$t" || { echo "the Rust target $t is not installed"; return; }
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 ||
      { echo "${pair%%:*} (Debian package ${pair#*:}) is not installed"; return; }
  done
}

# --- The checks ---------------------------------------------------------------------------
failed=()
step() { # name, command...
  local name=$1 start
  shift
  echo "cross: $name: $*"
  start=$(date +%s)
  if "$@"; then
    echo "cross: $name: ok in $(($(date +%s) - start)) s"
  else
    echo "cross: $name: FAILED after $(($(date +%s) - start)) s"
    failed+=("$name")
  fi
}

why=$(lacking "$WINDOWS" x86_64-w64-mingw32-gcc:gcc-mingw-w64-x86-64 nasm:nasm)
if [ -n "$why" ]; then
  echo "cross: $why; skipping the Windows build of confab and check of the app"
else
  step "windows confab" cargo build --locked --target "$WINDOWS" --bin confab
  # The app for Windows: a type check only (its build and installer are not tried here).
  step "windows app" cargo check --locked --target "$WINDOWS" -p confab-app
fi

why=$(lacking "$ANDROID" aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu aarch64-linux-gnu-ar:binutils-aarch64-linux-gnu)
if [ -n "$why" ]; then
  echo "cross: $why; skipping the Android type checks"
else
  # A type check, not a build: nothing is linked, but build scripts compile the C code of
  # some dependencies (SQLite, ring, aws-lc). Debian's aarch64 Linux gcc and ar compile it
  # in place of the Android NDK's clang, which is enough to type-check the Rust; an APK needs
  # the NDK. glibc, unlike Android's libc, hides POSIX types such as pthread_rwlock_t from
  # aws-lc's strict C11 unless asked (aws-lc asks only when the target is Linux): hence
  # _GNU_SOURCE. The engine and the app are checked apart so a failure says which.
  export CC_aarch64_linux_android=aarch64-linux-gnu-gcc AR_aarch64_linux_android=aarch64-linux-gnu-ar
  export CFLAGS_aarch64_linux_android=-D_GNU_SOURCE
  engine=()
  for c in "${ENGINE[@]}"; do engine+=(-p "$c"); done
  step "android engine" cargo check --locked --target "$ANDROID" "${engine[@]}"
  step "android app" cargo check --locked --target "$ANDROID" -p confab-app
fi

if [ "${#failed[@]}" -gt 0 ]; then
  echo "cross: failed: ${failed[*]}"
  exit 1
fi
echo "cross: done"
