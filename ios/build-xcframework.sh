#!/usr/bin/env bash
# Builds ios/FieldTraceFFI.xcframework, the binary target of ios/Package.swift: the Rust crate
# fieldtrace-ffi as a static library for iOS devices and the simulators, with the uniffi C header
# and modulemap (module `fieldtrace_ffiFFI`, imported by Sources/FieldKitFFI/FieldKitFFI.swift).
#
# Needs a Mac with Xcode (xcodebuild, lipo) and rustup:
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
# Usage: ios/build-xcframework.sh            (release)
#        PROFILE=debug ios/build-xcframework.sh
# Regenerate the Swift and headers first if the Rust API changed: bindings/generate.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
profile="${PROFILE:-release}"
target_dir="${CARGO_TARGET_DIR:-$repo/target}"
out="$repo/ios/FieldTraceFFI.xcframework"
work="$repo/ios/build"
lib="libfieldtrace_ffi.a"

[ "$(uname -s)" = Darwin ] || { echo "build-xcframework.sh needs macOS with Xcode" >&2; exit 1; }

flag=()
[ "$profile" = release ] && flag=(--release)
# iOS 15 is the package's minimum; the Rust objects must not claim a newer one.
export IPHONEOS_DEPLOYMENT_TARGET=15.0
for target in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios; do
  # (The +-expansion: macOS bash 3.2 treats an empty array as unset under set -u.)
  cargo build ${flag[@]+"${flag[@]}"} --target "$target" -p fieldtrace-ffi --lib
done

rm -rf "$work" "$out"
mkdir -p "$work/headers" "$work/sim"
# The XCFramework wants the modulemap named module.modulemap next to the header.
cp ios/Headers/fieldtrace_ffiFFI.h "$work/headers/"
cp ios/Headers/fieldtrace_ffiFFI.modulemap "$work/headers/module.modulemap"

# One library per platform: the two simulator architectures go into one fat file.
lipo -create \
  "$target_dir/aarch64-apple-ios-sim/$profile/$lib" \
  "$target_dir/x86_64-apple-ios/$profile/$lib" \
  -output "$work/sim/$lib"

xcodebuild -create-xcframework \
  -library "$target_dir/aarch64-apple-ios/$profile/$lib" -headers "$work/headers" \
  -library "$work/sim/$lib" -headers "$work/headers" \
  -output "$out"
rm -rf "$work"
echo "built $out"
