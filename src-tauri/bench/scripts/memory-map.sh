#!/usr/bin/env bash
# Where the app's memory goes (issue 16): starts the app (a release build) on a
# fresh data folder, lets it sit idle, and prints, per process, RSS and PSS by
# mapping (anonymous memory, the heap, thread stacks, and each shared library),
# and the main process's thread count. Run it inside a desktop session:
#   scripts/desktop-session.sh src-tauri/bench/scripts/memory-map.sh BIN [IDLE_SECS] [ENV=VALUE...]
set -euo pipefail
bin="$1"; idle="${2:-10}"; shift 2 || shift $#
data="$(mktemp -d)"
trap 'rm -rf "$data"' EXIT
env BUDBRINGER_DATA_DIR="$data" "$@" "$bin" >/dev/null 2>"$data.log" &
pid=$!
sleep "$idle"
summarise() { # PID: top mappings by RSS (KiB), and totals
  awk '
    /^[0-9a-f]+-[0-9a-f]+ / { name = ($6 == "" ? "[anon]" : $6); sub(/.*\//, "", name); next }
    /^Rss:/ { rss[name] += $2; trss += $2 }
    /^Pss:/ { pss[name] += $2; tpss += $2 }
    /^Anonymous:/ { anon += $2 }
    END {
      printf "  total RSS %d KiB, PSS %d KiB, anonymous %d KiB\n", trss, tpss, anon
      for (n in rss) printf "  %8d %8d  %s\n", rss[n], pss[n], n | "sort -rn | head -25"
    }' "/proc/$1/smaps"
}
for p in $pid $(pgrep -P $pid) $(for c in $(pgrep -P $pid); do pgrep -P "$c"; done); do
  [ -r "/proc/$p/smaps" ] || continue
  echo "== $p $(cat /proc/$p/comm) threads $(ls /proc/$p/task | wc -l)  (RSS KiB, PSS KiB, mapping)"
  summarise "$p"
done
echo "== main process threads by name"
for t in /proc/$pid/task/*; do cat "$t/comm"; done | sed 's/[0-9]*$//' | sort | uniq -c | sort -rn | head -15
kill "$pid"; wait "$pid" 2>/dev/null || true
