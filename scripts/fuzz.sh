#!/usr/bin/env bash
# Fuzzes the parsers that take outside input, each for a bounded time:
#   key_import     altinn::keys::import_text / import_bytes (PEM, JWK, .p12, DER)
#   server_errors  altinn::problem::error_from_parts / maskinporten_error, Overview/Details JSON
#   headers        transfers::broker::parse_retry_after
#   file_names     transfers::names::sanitize_file_name (with its invariants)
#
#   scripts/fuzz.sh [seconds per target, default 60] [target ...]
#
# Needs cargo-fuzz (installed here if missing). cargo-fuzz wants nightly
# features; on a stable toolchain RUSTC_BOOTSTRAP=1 unlocks them. Findings are
# written to fuzz/artifacts/<target>/; the grown corpus stays in fuzz/corpus/
# (ignored by git except the seeds). Not part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export RUSTC_BOOTSTRAP=1
SECS="${1:-60}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(key_import server_errors headers file_names)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
# No sanitizer: the code under test is safe Rust, and without ASan every
# dependency builds faster and runs about twice as fast.
FLAGS=(--sanitizer none --release)
cd fuzz
cargo fuzz build "${FLAGS[@]}"
status=0
for t in "${TARGETS[@]}"; do
  printf '\n\033[1m==> fuzzing %s for %s s\033[0m\n' "$t" "$SECS"
  mkdir -p "corpus/$t"
  if ! cargo fuzz run "${FLAGS[@]}" "$t" "corpus/$t" -- -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=65536; then
    echo "FOUND: see fuzz/artifacts/$t/" >&2
    status=1
  fi
done
exit $status
