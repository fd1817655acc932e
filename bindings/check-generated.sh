#!/usr/bin/env bash
# Fails when the committed Kotlin/Swift bindings differ from what the current Rust code
# generates (someone changed the FFI and did not run bindings/generate.sh). Usage:
#   bindings/check-generated.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$repo/bindings/generate.sh" "$tmp" >/dev/null
status=0
# Whole directories, so an added or removed generated file counts too. Hand-written Kotlin and
# Swift live beside these (org/fieldtrace/fieldkit/, ios/Sources/FieldKit/), never inside them.
for dir in \
  android/fieldkit/src/main/kotlin/org/fieldtrace/fieldkit/ffi \
  ios/Sources/FieldKitFFI \
  ios/Headers; do
  if ! diff -ru "$repo/$dir" "$tmp/$dir" >"$tmp/diff" 2>&1; then
    echo "out of date: $dir (run bindings/generate.sh)" >&2
    head -n 40 "$tmp/diff" >&2
    status=1
  fi
done
if [ "$status" -eq 0 ]; then
  echo "generated bindings are up to date"
fi
exit "$status"
