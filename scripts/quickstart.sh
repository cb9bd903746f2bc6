#!/usr/bin/env bash
# Quick start: installs what is missing, builds Rivulet (Release) and runs
# the main job on the embedded log in a fresh data directory.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target rivulet

DATA_DIR=${RIVULET_QUICKSTART_DIR:-/tmp/rivulet-quickstart}
rm -rf "$DATA_DIR"
echo "== rivulet run clickstream --data-dir $DATA_DIR"
build/rivulet run clickstream --data-dir "$DATA_DIR"
