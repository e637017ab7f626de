#!/usr/bin/env bash
# Sets up what is missing and runs every test: UI type check and unit tests,
# Rust unit and integration tests (against the sandbox), the OS keyring in
# each situation, the end-to-end test of the real app under Xvfb, and the
# Windows build (every binary built and linked, every target checked with
# clippy, for x86_64-pc-windows-gnu), so a change that breaks Windows fails here.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
start=$(date +%s)

say "Rust: format (rustfmt.toml)"
cargo fmt --all -- --check
say "Rust: clippy, warnings are errors (lints in Cargo.toml)"
cargo clippy --locked --workspace --all-targets -- -D warnings

say "Dependencies: licences, bans, sources, advisories (cargo-deny, deny.toml)"
scripts/deny.sh

say "Workflows: actionlint (.github/workflows)"
.tools/lint/bin/actionlint
say "Tauri: each platform's configuration against the CLI's schema"
.tools/lint/bin/python scripts/check-tauri-config.py .tools/tauri-cli/node_modules/@tauri-apps/cli/config.schema.json

say "Windows: build every binary (app, CLI, sandbox, bench) for x86_64-pc-windows-gnu"
win_start=$(date +%s)
cargo build --locked --workspace --bins --target x86_64-pc-windows-gnu
ls -l "${CARGO_TARGET_DIR:-target}"/x86_64-pc-windows-gnu/debug/*.exe
say "Windows: clippy on every target (tests included), warnings are errors"
cargo clippy --locked --workspace --all-targets --target x86_64-pc-windows-gnu -- -D warnings
echo "Windows steps took $(( $(date +%s) - win_start )) s"

say "UI: type check"
(cd ui && npx svelte-check --tsconfig ./tsconfig.json --threshold error --output human)
say "UI: unit tests"
(cd ui && npx vitest run)

say "Rust: build"
cargo build --locked --workspace --all-targets
say "Rust: unit and integration tests"
cargo test --locked --workspace
say "Benchmarks: quick mode (small files, one run; fails only when a measure breaks)"
QUICK=1 scripts/bench.sh

say "Keyring: no usable keyring (no D-Bus, a kernel session keyring we may not use)"
KEYRING_TEST=(cargo test --locked -p budbringer-core --lib secrets::tests::os_keyring_backends -- --exact --ignored)
keyctl session - sh -c 'keyctl setperm @s 0 && exec env -u DBUS_SESSION_BUS_ADDRESS BUDBRINGER_KEYRING_TESTS=none "$@"' sh "${KEYRING_TEST[@]}"
say "Keyring: kernel keyring only (no D-Bus)"
keyctl session - env -u DBUS_SESSION_BUS_ADDRESS BUDBRINGER_KEYRING_TESTS=kernel-only "${KEYRING_TEST[@]}"
say "Keyring: Secret Service (GNOME Keyring) first"
BUDBRINGER_KEYRING_TESTS=secret-service scripts/desktop-session.sh "${KEYRING_TEST[@]}"

say "End-to-end: the real app through tauri-driver and WebKitWebDriver"
scripts/desktop-session.sh cargo test --locked --test e2e -- --ignored --test-threads=1
echo "Screenshots: $(ls target/screenshots/*.png 2>/dev/null | wc -l) files in target/screenshots/"
say "All tests passed in $(( $(date +%s) - start )) s"
