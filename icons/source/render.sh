#!/usr/bin/env bash
# Renders Budbringer's mark (budbringer.svg, drawn by hand) to the 1024×1024
# source PNG and every platform size with `tauri icon`. The results are
# committed, so building never needs this; run it after changing the SVG.
# Needs rsvg-convert (Debian: librsvg2-bin) and the Tauri CLI that
# scripts/package.sh installs under .tools/tauri-cli.
set -euo pipefail
cd "$(dirname "$0")/../.."
tauri=.tools/tauri-cli/node_modules/.bin/tauri
[ -x "$tauri" ] || npm install --prefix .tools/tauri-cli --no-audit --no-fund --loglevel=error @tauri-apps/cli@2.12.5
rsvg-convert -w 1024 -h 1024 icons/source/budbringer.svg -o icons/source/budbringer-1024.png
"$tauri" icon icons/source/budbringer-1024.png -o icons
# A desktop app: no Android or iOS icons.
rm -rf icons/android icons/ios
# The UI's header mark and favicon are the same drawing.
cp icons/source/budbringer.svg ui/public/budbringer.svg
rsvg-convert -w 64 -h 64 icons/source/budbringer.svg -o ui/public/icon.png
