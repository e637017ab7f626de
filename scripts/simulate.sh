#!/usr/bin/env bash
# Runs the data-safety simulation (tests/simulation) with N new random seeds
# (default 20), or the seeds given after N. A failing seed prints the command
# that replays it.
#   scripts/simulate.sh 50          fifty new seeds
#   scripts/simulate.sh 0 17 42     just seeds 17 and 42
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
n="${1:-20}"
shift || true
if [ "$#" -gt 0 ]; then
  seeds=$(IFS=,; echo "$*")
  exec env SIM_SEEDS="$seeds" cargo test -p budbringer-tests --test simulation -- --nocapture
fi
exec env SIM_RANDOM="$n" cargo test -p budbringer-tests --test simulation -- --nocapture
