#!/usr/bin/env bash
# Runs a command the way a desktop session would: its own kernel session
# keyring, a private D-Bus session with an unlocked GNOME Keyring (Secret
# Service), throw-away XDG folders, and a virtual X screen.
#   scripts/desktop-session.sh COMMAND [ARGS...]
set -euo pipefail
if [ "${1:-}" != "--inside" ]; then
  exec keyctl session - dbus-run-session -- "$0" --inside "$@"
fi
shift
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export XDG_DATA_HOME="$tmp/data" XDG_RUNTIME_DIR="$tmp/run" XDG_CONFIG_HOME="$tmp/config"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME"
chmod 700 "$XDG_RUNTIME_DIR"
# A password on stdin creates and unlocks the login keyring (in the throw-away
# XDG_DATA_HOME) with no prompt, and makes it the default collection.
eval "$(printf 'budbringer-session' | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
export GNOME_KEYRING_CONTROL SSH_AUTH_SOCK 2>/dev/null || true
exec xvfb-run -a -s "-screen 0 1280x800x24" "$@"
