#!/usr/bin/env bash
# On a Mac with Xcode: makes the iOS Xcode project, src-tauri/gen/apple, ready to build with
# `npm run tauri -- ios build` (the release pipeline runs this too).
#   1. `tauri ios init` (the CLI pinned in package.json) when the project is not there yet;
#      bundle.iOS.frameworks in tauri.conf.json (SystemConfiguration) goes in at this point,
#      so after changing it, delete src-tauri/gen/apple and run this again.
#   2. Confab's entitlements, src-tauri/Entitlements.ios.plist (multicast, for mDNS), merged
#      into the generated <app>_iOS.entitlements: Tauri has no setting for them. With
#      CONFAB_IOS_MULTICAST=0 they are left out (for a team Apple has not granted the
#      multicast entitlement; mDNS then finds no one on the LAN).
#   3. The app icons made by scripts/icons.sh (icons/ios) copied into the asset catalog.
# src-tauri/Info.ios.plist needs no step: `tauri ios build` merges it into the Info.plist.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(uname -s)" != Darwin ]; then
  echo "ios-init: the iOS project can only be made on macOS with Xcode" >&2
  exit 1
fi
if [ ! -x node_modules/.bin/tauri ]; then
  npm ci --no-audit --no-fund
fi
export TAURI_APP_PATH=src-tauri

if [ ! -d src-tauri/gen/apple ]; then
  npm run tauri -- ios init --ci
fi

entitlements="$(find src-tauri/gen/apple -maxdepth 2 -name '*_iOS.entitlements' | head -n 1)"
if [ -z "$entitlements" ]; then
  echo "ios-init: no *_iOS.entitlements in src-tauri/gen/apple" >&2
  exit 1
fi
if [ "${CONFAB_IOS_MULTICAST:-1}" = 0 ]; then
  echo "ios-init: CONFAB_IOS_MULTICAST=0: $entitlements left without the multicast entitlement"
else
  python3 - "$entitlements" src-tauri/Entitlements.ios.plist <<'EOF'
import plistlib
import sys

target, extra = sys.argv[1], sys.argv[2]
with open(target, "rb") as f:
    merged = plistlib.load(f)
with open(extra, "rb") as f:
    merged.update(plistlib.load(f))
with open(target, "wb") as f:
    plistlib.dump(merged, f)
EOF
  echo "ios-init: entitlements of src-tauri/Entitlements.ios.plist merged into $entitlements"
fi

appicon=src-tauri/gen/apple/Assets.xcassets/AppIcon.appiconset
if [ -d "$appicon" ]; then
  cp icons/ios/*.png "$appicon/"
  echo "ios-init: icons/ios copied into $appicon"
else
  echo "ios-init: no $appicon: the project keeps Tauri's default icons" >&2
fi
