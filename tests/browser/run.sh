#!/usr/bin/env bash
# Browser tests: starts `fieldtrace demo` (a real server with the demo co-op on loopback), then
# drives its pages (consumer trace page, manager dashboard) in Debian's headless Chromium with playwright-core. Screenshots are written to
# target/browser-artifacts/. Usage: tests/browser/run.sh (after `cargo build -p fieldtrace-cli`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
target="${CARGO_TARGET_DIR:-$root/target}"
bin="$target/debug/fieldtrace"
artifacts="$target/browser-artifacts"
chromium="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || { echo "browser tests need Chromium at $chromium (Debian package chromium)" >&2; exit 1; }
[ -x "$bin" ] || { echo "build the server first: cargo build -p fieldtrace-cli ($bin missing)" >&2; exit 1; }
(cd "$here" && { [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --loglevel=error; })

scratch="$(mktemp -d)"
server_pid=""
cleanup() {
    [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT
"$bin" demo --db "$scratch/demo.db" --listen 127.0.0.1:0 >"$scratch/demo.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
    grep -q "Serving" "$scratch/demo.log" && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$scratch/demo.log" >&2; echo "demo exited early" >&2; exit 1; }
    sleep 0.1
done
grep -q "Serving" "$scratch/demo.log" || { cat "$scratch/demo.log" >&2; echo "demo did not start" >&2; exit 1; }
trace_url="$(sed -n 's/^Consumer trace page[^:]*: \(http[^ ]*\)$/\1/p' "$scratch/demo.log" | head -1)"
[ -n "$trace_url" ] || { cat "$scratch/demo.log" >&2; echo "the demo printed no trace page URL" >&2; exit 1; }
base="${trace_url%%/t/*}"
code="${trace_url##*/t/}"
red_url="$(sed -n 's/^Consumer trace page (mangoes[^:]*: \(http[^ ]*\)$/\1/p' "$scratch/demo.log" | head -1)"
[ -n "$red_url" ] || { cat "$scratch/demo.log" >&2; echo "the demo printed no mango trace page URL" >&2; exit 1; }
node "$here/trace_page.mjs" "$base" "$code" "$artifacts" "${red_url##*/t/}"
login="$(sed -n 's/^Dashboard: .*(sign in as \([^ ]*\) \/ \([^;]*\);.*$/\1 \2/p' "$scratch/demo.log" | head -1)"
[ -n "$login" ] || { cat "$scratch/demo.log" >&2; echo "the demo printed no dashboard account" >&2; exit 1; }
node "$here/dashboard.mjs" "$base" ${login% *} ${login#* } "$artifacts"
node "$here/analytics.mjs" "$base" ${login% *} ${login#* } "$artifacts"
node "$here/alerts.mjs" "$base" ${login% *} ${login#* } "$artifacts"
node "$here/lot_page.mjs" "$(sed -n 's/^Lot page[^:]*: \(http[^ ]*\)$/\1/p' "$scratch/demo.log" | head -1)" ${login% *} ${login#* } "$artifacts"
