#!/usr/bin/env bash
# Generates the Kotlin and Swift bindings from the compiled library (uniffi library mode: the
# interface is read from metadata the proc-macros embed in the library, so it cannot drift from
# the Rust code). Usage: bindings/generate.sh [OUT_ROOT]
#   OUT_ROOT defaults to the repository; bindings/check-generated.sh passes a temp dir.
# Writes:
#   android/fieldkit/src/main/kotlin/org/fieldtrace/fieldkit/ffi/fieldtrace_ffi.kt
#   ios/Sources/FieldKitFFI/FieldKitFFI.swift
#   ios/Headers/fieldtrace_ffiFFI.h, ios/Headers/fieldtrace_ffiFFI.modulemap (for the XCFramework)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$repo}"
cd "$repo"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"

# One build gives both the host cdylib (its interface metadata is the same for every target, so
# the host build is enough) and the generator; `cli` only adds the generator's dependencies.
cargo build --quiet -p fieldtrace-ffi --features cli --lib --bin uniffi-bindgen
case "$(uname -s)" in
  Darwin) lib="$target_dir/debug/libfieldtrace_ffi.dylib" ;;
  *) lib="$target_dir/debug/libfieldtrace_ffi.so" ;;
esac
bindgen() { "$target_dir/debug/uniffi-bindgen" "$@"; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bindgen generate --library "$lib" --language kotlin --out-dir "$tmp/kotlin" --no-format
bindgen generate --library "$lib" --language swift --out-dir "$tmp/swift" --no-format

kotlin_dir="$out/android/fieldkit/src/main/kotlin"
mkdir -p "$kotlin_dir" "$out/ios/Sources/FieldKitFFI" "$out/ios/Headers"
cp -R "$tmp/kotlin/." "$kotlin_dir/"
cp "$tmp/swift/FieldKitFFI.swift" "$out/ios/Sources/FieldKitFFI/"
cp "$tmp/swift/fieldtrace_ffiFFI.h" "$tmp/swift/fieldtrace_ffiFFI.modulemap" "$out/ios/Headers/"
echo "generated Kotlin into $kotlin_dir, Swift into $out/ios"
