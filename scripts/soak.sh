#!/usr/bin/env bash
# The kill tests for longer: every job of tests/tools/kill_test.cc killed
# and rerun in ROUNDS rounds (default 20) with other seeds, in a Release
# build. Not part of scripts/test.sh (it takes about ROUNDS x 20 s on the
# 2-core machine). Exits non-zero on the first failing round.
#   scripts/soak.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target rivulet tools_test
RIVULET_KILL_ROUNDS=$rounds build/tests/tools_test --gtest_filter='KillTest.*'
