#!/usr/bin/env bash
# Installs every Debian 12 package Rivulet needs to build, test and benchmark.
# Idempotent: runs `apt-get update` and `apt-get install` only when a package
# is missing. Needs root (or sudo) only when something must be installed.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  # cpack -G DEB: dpkg-shlibdeps and dpkg-deb (tests/sdk)
  dpkg-dev
  # libraries
  libtbb-dev libboost-dev libprotobuf-dev protobuf-compiler
  libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libsqlite3-dev sqlite3 libpq-dev zlib1g-dev liblz4-dev libzstd-dev libsnappy-dev librdkafka-dev libabsl-dev
  libisal-dev
  # TLS listeners of the broker; the tests make their certificates with openssl
  libssl-dev openssl
  # the launcher's allocator (not under the sanitizers)
  libjemalloc-dev
  # tests and benchmarks; matplotlib draws the NEXMark plot (bench/nexmark_plot.py)
  libgtest-dev libgmock-dev libbenchmark-dev python3 python3-matplotlib
  # a PostgreSQL server for the PostgreSQL connector tests (started privately by the tests)
  postgresql
  # the Redis Streams baseline of the broker benchmarks
  redis-server libhiredis-dev
  # real Kafka clients for the broker tests; kafka-python's snappy, lz4 and
  # zstd codecs (the compressed-batch tests produce with all four)
  kcat python3-kafka python3-confluent-kafka python3-snappy python3-lz4 python3-zstandard
)
# Node.js and npm, unless a Node.js with npm is already installed.
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(nodejs npm); fi

# KafkaJS (npm) for the broker tests, installed into tests/broker/kafkajs.
install_kafkajs() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/broker/kafkajs"
  if [[ -d "$dir/node_modules/kafkajs" ]]; then return 0; fi
  echo "install-deps: npm install kafkajs into $dir"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error)
}

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  install_kafkajs
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_kafkajs
