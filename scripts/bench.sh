#!/usr/bin/env bash
# Runs the `rivulet bench` suite (Release build) and the micro benchmarks,
# stores the JSON results in docs/bench/ and draws docs/bench/results.svg (all `rivulet bench` results).
# Long-running: not part of scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target rivulet rivulet_micro_bench
out=docs/bench
mkdir -p "$out"
: > "$out/results.jsonl"
for b in log-append log-read; do
  build/rivulet bench "$b" --json --repeats "${REPEATS:-5}" | tail -n 1 | tee -a "$out/results.jsonl"
done
# The broker benchmarks start their own broker and redis-server on free
# loopback ports (broker-tls: its own certificates too).
for b in broker-produce broker-consume broker-idempotent broker-txn broker-tls; do
  build/rivulet bench "$b" --json --repeats "${REPEATS:-5}" --records "${BROKER_RECORDS:-2000000}" |
    tail -n 1 | tee -a "$out/results.jsonl"
done
# The runtime: the YSB query (20 M events) and sliding windows.
for b in ysb sliding; do
  build/rivulet bench "$b" --json --repeats "${REPEATS:-5}" | tail -n 1 | tee -a "$out/results.jsonl"
done
# The YSB query with its events read from the embedded log, against memory.
build/rivulet bench ysb --set source=log --json --repeats "${REPEATS:-5}" | tail -n 1 | tee -a "$out/results.jsonl"
# Checkpoints every second to disk against none, in the same run: the YSB
# query with 100,000 campaigns (400 M events replayed from 2^25 in memory).
build/rivulet bench checkpoint --json --repeats "${REPEATS:-5}" | tail -n 1 | tee -a "$out/results.jsonl"
# NEXMark: every query at parallelism 1 and 2 against its reference loop,
# one JSON line per query, and its plot beside the published figures.
build/rivulet bench nexmark --query all --json --records "${NEXMARK_RECORDS:-5000000}" --repeats "${REPEATS:-3}" \
  > "$out/nexmark.jsonl"
/usr/bin/python3 bench/nexmark_plot.py "$out/nexmark.jsonl"
build/bench/rivulet_micro_bench --benchmark_min_time=0.2 --benchmark_format=json > "$out/micro.json"
/usr/bin/python3 bench/plot.py "$out/results.jsonl" "$out/results.svg"
echo "results in $out/"
