#!/usr/bin/env bash
# Builds a release .deb under target/release/bundle/deb/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
export PATH="$HOME/.cargo/bin:$PATH"
ui/node_modules/.bin/tauri build --bundles deb "$@"
ls -l target/release/bundle/deb/*.deb
