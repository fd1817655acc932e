#!/usr/bin/env bash
# FieldKit's JVM tests: builds the host Rust library (libfieldtrace_ffi, loaded through JNA) and
# the `fieldtrace` server binary (debug), then runs the Kotlin JUnit 5 tests with Maven. They
# start a real sync server on a free loopback port. Usage: android/fieldkit/test.sh
# Needs cargo, a JDK 17+ and Maven 3.8+; Maven fetches its plugins and libraries from Maven
# Central on the first run (~/.m2), offline afterwards.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="$(cd "$repo" && mkdir -p "${CARGO_TARGET_DIR:-target}" && cd "${CARGO_TARGET_DIR:-target}" && pwd)"

(cd "$repo" && cargo build --quiet -p fieldtrace-ffi -p fieldtrace-cli)

# Whole outputs first, then their first lines: `| head -n 1` could SIGPIPE the writer, and
# pipefail would end the script without a word.
java_version="$(java -version 2>&1)"
java_version="${java_version%%$'\n'*}"
mvn_version="$(mvn -v 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g')"
mvn_version="${mvn_version%%$'\n'*}"
cd "$here"
libs="$(sed -n 's/.*<\(kotlin\|jna\|coroutines\|junit\|surefire\).version>\(.*\)<.*/\1 \2/p' pom.xml | paste -sd, -)"
echo "fieldkit: $mvn_version; $java_version; $libs; native library from $CARGO_TARGET_DIR/debug"
# -q hides Maven's chatter; Surefire's summary ("Tests run: ...") is printed either way on a
# failure, and printed below on success.
rm -rf target/surefire-reports
mvn -q -B -Dstyle.color=never test "$@" 2>&1 | sed "s/\x1b\[[0-9;]*m//g"
shopt -s nullglob
reports=(target/surefire-reports/*.txt)
# One line the CI log reader understands, summed over the test classes.
cat "${reports[@]}" /dev/null | awk -F'[:,] *' '/^Tests run/ { run += $2; bad += $4 + $6; skipped += $8 }
  END { printf "fieldkit: %d passed, %d failed, %d skipped\n", run - bad - skipped, bad, skipped }'
