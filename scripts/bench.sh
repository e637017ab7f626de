#!/usr/bin/env bash
# The benchmarks (issue 7): release builds of the standalone sandbox, the CLI
# and the bench driver; the sandbox on loopback with its data on the same disk
# as the test files; 100 MiB and 1 GiB files; each measure side by side with
# curl / md5sum; a Markdown table on stdout and in docs/BENCHMARKS.md with a
# description of the machine. Not part of scripts/test.sh.
#
#   scripts/bench.sh                 # the documented run (needs ~6 GiB free disk)
#   RUNS=5 scripts/bench.sh          # more runs per measure (median)
#   SMALL_MIB=10 LARGE_MIB=100 PROFILE=debug OUT=/tmp/b.md scripts/bench.sh   # a quick smoke run
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
SMALL_MIB="${SMALL_MIB:-100}"
LARGE_MIB="${LARGE_MIB:-1024}"
RUNS="${RUNS:-3}"
PROFILE="${PROFILE:-release}"
OUT="${OUT:-docs/BENCHMARKS.md}"
TARGET="${CARGO_TARGET_DIR:-$PWD/target}"
say() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }

for tool in curl md5sum; do
  command -v "$tool" >/dev/null || { say "installing $tool"; apt-get install -y "$tool" >/dev/null || sudo apt-get install -y "$tool" >/dev/null; }
done

say "Building ($PROFILE): altinn-sandbox, budbringer-cli, budbringer-bench"
flag=()
[ "$PROFILE" = release ] && flag=(--release)
cargo build "${flag[@]}" -p budbringer-sandbox -p budbringer-cli -p budbringer-bench
BIN="$TARGET/$PROFILE"

WORK="$(mktemp -d "${BENCH_DIR:-$PWD/target}/bench.XXXXXX")"
SANDBOX_PID=""
cleanup() {
  [ -n "$SANDBOX_PID" ] && kill "$SANDBOX_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

say "Making the test files (${SMALL_MIB} MiB and ${LARGE_MIB} MiB of random bytes) in $WORK"
head -c "$((SMALL_MIB * 1024 * 1024))" /dev/urandom > "$WORK/small.bin"
head -c "$((LARGE_MIB * 1024 * 1024))" /dev/urandom > "$WORK/large.bin"

say "Starting the standalone sandbox on loopback (data in $WORK/sandbox)"
"$BIN/altinn-sandbox" --port 0 --data "$WORK/sandbox" > "$WORK/sandbox.out" 2> "$WORK/sandbox.err" &
SANDBOX_PID=$!
for _ in $(seq 100); do [ -s "$WORK/sandbox.out" ] && break; sleep 0.1; done
BASE="$(head -n1 "$WORK/sandbox.out")"
echo "sandbox: $BASE" >&2

say "Measuring ($RUNS runs per timed measure, median)"
TABLE="$("$BIN/budbringer-bench" --sandbox "$BASE" --files "$WORK/small.bin" "$WORK/large.bin" \
  --cli "$BIN/budbringer-cli" --work "$WORK/scratch" --runs "$RUNS")"
echo "$TABLE"

cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -n1)"
disk="$(df -h "$WORK" | awk 'NR==2 {print $1" ("$2" total, "$4" free)"}')"
fstype="$(stat -f -c %T "$WORK")"
mem="$(free -h | awk '/^Mem:/ {print $2" total, "$7" available"}')"
kernel="$(uname -sr)"
rustc_v="$(rustc --version)"
curl_v="$(curl --version | head -n1 | cut -d' ' -f1-2)"
md5_v="$(md5sum --version | head -n1)"
when="$(date -u '+%Y-%m-%d %H:%M UTC')"

say "Writing $OUT"
mkdir -p "$(dirname "$OUT")"
{
  cat <<EOF
# Benchmarks

Measured with \`scripts/bench.sh\` on $when. Files: ${SMALL_MIB} MiB and ${LARGE_MIB} MiB of random
bytes; times are medians of $RUNS runs per side, alternating Budbringer and the reference tool, with
the file in the page cache for both.

## Results

$TABLE

## The machine

| | |
|---|---|
| CPU | $cpu, $(nproc) cores available |
| Memory | $mem |
| Disk | $disk, file system $fstype (the sandbox's data, the test files and the downloads share it) |
| OS | $kernel |
| Tools | $rustc_v (release profile: thin LTO), $curl_v, $md5_v |
| Network | loopback only: the standalone \`altinn-sandbox\` (release build) on 127.0.0.1, plain HTTP |

EOF
  if [ -f docs/BENCHMARKS.notes.md ]; then cat docs/BENCHMARKS.notes.md; fi
} > "$OUT"
say "Done: $OUT"
