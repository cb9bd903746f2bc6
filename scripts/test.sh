#!/usr/bin/env bash
# Installs what is missing, builds Rivulet and runs every test twice: in a
# Release build, and in a Debug build under AddressSanitizer and
# UndefinedBehaviorSanitizer. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

run_suite() {
  local dir=$1; shift
  echo "== configure $dir ($*)"
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  echo "== build $dir"
  cmake --build "$dir" -j2
  echo "== test $dir"
  (cd "$dir" && ctest --output-on-failure --timeout 600 -j2)
}

run_suite build -DCMAKE_BUILD_TYPE=Release
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DRIVULET_SANITIZE=ON -DRIVULET_BUILD_BENCH=OFF
echo "== fuzz the Kafka request decoders (libFuzzer, ${FUZZ_SECONDS:=60} s)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DRIVULET_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j2 --target request_fuzzer
corpus=$(mktemp -d)
/usr/bin/python3 tests/fuzz/make_seeds.py "$corpus"
build-fuzz/tests/fuzz/request_fuzzer "$corpus" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 \
  -artifact_prefix=build-fuzz/ 2>&1 | tail -n 3
rm -rf "$corpus"
echo "== all tests passed"
