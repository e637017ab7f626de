#!/usr/bin/env bash
# Sets up what is missing, builds and starts Budbringer (in the built-in
# practice sandbox until you choose another environment in Setup).
# Extra arguments go to cargo, e.g. scripts/run.sh --release
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
export PATH="$HOME/.cargo/bin:$PATH"
cargo build "$@" -p budbringer --bin budbringer
bin="target/debug/budbringer"
for a in "$@"; do [ "$a" = "--release" ] && bin="target/release/budbringer"; done
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found: starting Budbringer on a virtual screen (Xvfb). Run this from a desktop session to see the window." >&2
  exec xvfb-run -a -s "-screen 0 1280x800x24" "$bin"
fi
exec "$bin"
