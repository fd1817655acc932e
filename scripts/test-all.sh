#!/usr/bin/env bash
# Runs every check and test in the repository, as CI does. Usage: ./scripts/test-all.sh
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test (unit, property, crash and volume tests)"
cargo test --workspace

step "browser tests: trace page in headless Chromium (playwright-core), screenshots in target/browser-artifacts"
tests/browser/run.sh

step "generated Kotlin and Swift bindings are up to date"
bindings/check-generated.sh

step "Kotlin fieldkit on the JVM (Maven, JUnit 5, live server)"
android/fieldkit/test.sh

step "Android app sources compile against the Android 15 framework (android-all; AndroidX files excluded)"
android/app-check/check.sh

step "all tests passed"
