#!/usr/bin/env bash
# Regenerates every platform's icons from the one design, icons/source.svg, with the Tauri CLI
# pinned in package.json (`tauri icon`, run on icons/icons.json, which also names the Android
# adaptive-icon foreground: the same design shrunk into the launcher's safe zone).
#
#   icons/*.png, icon.ico, icon.icns       desktop (Linux .deb/.rpm/AppImage, Windows, macOS)
#   src-tauri/gen/android/app/src/main/res Android launcher icons (mipmaps, adaptive icon)
#   icons/ios/                             iOS app icons; copied into the Xcode project too
#                                          when src-tauri/gen/apple exists (after
#                                          `tauri ios init`, on a Mac: scripts/ios-init.sh)
#
# The CLI would put the Android and iOS icons beside its output folder's parent (it expects
# icons in src-tauri/icons), so it writes into a scratch folder and this script places them.
# TAURI=/path/to/tauri uses another copy of the CLI (it should be the same version).
set -euo pipefail
cd "$(dirname "$0")/.."

tauri="${TAURI:-}"
if [ -z "$tauri" ]; then
  if [ ! -x node_modules/.bin/tauri ]; then
    echo "icons: installing the pinned Tauri CLI (npm ci)"
    npm ci --no-audit --no-fund >/dev/null
  fi
  tauri=node_modules/.bin/tauri
fi
echo "icons: $("$tauri" --version), pinned $(node -p 'require("./package.json").devDependencies["@tauri-apps/cli"]')"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
if ! "$tauri" icon icons/icons.json --output "$scratch" >"$scratch/log" 2>&1; then
  cat "$scratch/log" >&2
  exit 1
fi

# Desktop. The Microsoft Store logos (Square*Logo.png, StoreLogo.png) are left out: the
# Windows packages are .msi and NSIS installers.
for f in 32x32.png 64x64.png 128x128.png 128x128@2x.png icon.png icon.ico icon.icns; do
  cp "$scratch/$f" "icons/$f"
done

# Android: the mipmaps and the adaptive icon's XML of the committed Gradle project.
res=src-tauri/gen/android/app/src/main/res
if [ -d "$res" ]; then
  cp -R "$scratch/android/." "$res/"
else
  echo "icons: $res is missing (no Android project): Android icons skipped" >&2
fi

# iOS: kept in icons/ios, since the Xcode project is generated on a Mac.
rm -rf icons/ios
cp -R "$scratch/ios" icons/ios
appicon=src-tauri/gen/apple/Assets.xcassets/AppIcon.appiconset
if [ -d "$appicon" ]; then
  cp icons/ios/*.png "$appicon/"
fi
echo "icons: desktop in icons/, Android in $res, iOS in icons/ios$([ -d "$appicon" ] && echo " and $appicon")"
