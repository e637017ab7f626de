#!/usr/bin/env bash
# Builds a release .deb under target/release/bundle/deb/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
export PATH="$HOME/.cargo/bin:$PATH"
# The Tauri CLI lives outside ui/'s lock file: the registry mirror here serves only
# Linux builds of its platform packages, which would leave ui/package-lock.json
# unusable for `npm ci` on other platforms.
if [ ! -x .tools/tauri-cli/node_modules/.bin/tauri ]; then
  npm install --prefix .tools/tauri-cli --no-audit --no-fund --loglevel=error @tauri-apps/cli@2.12.5
fi
.tools/tauri-cli/node_modules/.bin/tauri build --bundles deb "$@"
ls -l target/release/bundle/deb/*.deb
