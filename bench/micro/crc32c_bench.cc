// Micro benchmarks: CRC-32C hardware vs table (the baseline), murmur2 on a
// 16-byte key, varint encode/decode.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "log/crc32c.h"
#include "log/murmur2.h"
#include "log/varint.h"

namespace rivulet::log {
namespace {

void BM_Crc32cHardware(benchmark::State& state) {
  std::string buf(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(Crc32c(buf.data(), buf.size()));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32cHardware)->Arg(64)->Arg(4096)->Arg(1 << 20);

void BM_Crc32cSoftware(benchmark::State& state) {
  std::string buf(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(internal::Crc32cSoftware(0, buf.data(), buf.size()));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32cSoftware)->Arg(64)->Arg(4096)->Arg(1 << 20);

void BM_Murmur2(benchmark::State& state) {
  const std::string key = "key-000000012345";
  for (auto _ : state) benchmark::DoNotOptimize(Murmur2(key));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Murmur2);

void BM_VarintRoundTrip(benchmark::State& state) {
  std::vector<int64_t> values(1024);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<int64_t>(i * i) - 5000;
  std::string buf(values.size() * kMaxVarint64Bytes, '\0');
  for (auto _ : state) {
    char* p = buf.data();
    for (int64_t v : values) p = PutVarint(p, v);
    const char* q = buf.data();
    int64_t sum = 0, out = 0;
    while (q < p && GetVarint(&q, p, &out)) sum += out;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(values.size()));
}
BENCHMARK(BM_VarintRoundTrip);

}  // namespace
}  // namespace rivulet::log
