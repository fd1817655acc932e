#!/usr/bin/env bash
# Times a clean release build of the `fieldtrace` binary at two commits in one run, so the ratio
# is not skewed by a busy machine at another hour. Usage: scripts/build-time.sh BASE_COMMIT BASE_PACKAGE
# (e.g. `bd6e527 fieldtrace-sync`, the last commit before the crate split); HEAD builds
# `fieldtrace-cli`. Each build gets its own empty target directory; the crates.io cache is shared
# (downloads are not build time). Prints one JSON line.
set -euo pipefail
cd "$(dirname "$0")/.."
base_commit=${1:?base commit}
base_package=${2:?base package}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/base" "$base_commit" >/dev/null 2>&1
cargo fetch --quiet
(cd "$work/base" && cargo fetch --quiet)

seconds() { # dir package target
    local start end
    start=$(date +%s.%N)
    (cd "$1" && CARGO_TARGET_DIR="$3" cargo build --quiet --release -p "$2")
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
base=$(seconds "$work/base" "$base_package" "$work/target-base")
head=$(seconds "$PWD" fieldtrace-cli "$work/target-head")
ratio=$(echo "scale=3; $head / $base" | bc)
printf '{"base_commit":"%s","base_seconds":%.1f,"head_seconds":%.1f,"ratio":%.3f}\n' "$base_commit" "$base" "$head" "$ratio"
