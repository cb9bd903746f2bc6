// Micro benchmarks: CRC-32C (ISA-L as the log uses it) against a
// slice-by-8 table (the baseline, as written before ISA-L), murmur2 on a
// 16-byte key, varint encode/decode.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "base/crc32c.h"
#include "log/murmur2.h"
#include "log/varint.h"

namespace rivulet::log {
namespace {

void BM_Crc32c(benchmark::State& state) {
  std::string buf(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(Crc32c(buf.data(), buf.size()));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32c)->Arg(64)->Arg(4096)->Arg(16384)->Arg(1 << 20);

// The baseline: slice-by-8, eight table lookups per 8 bytes.
struct SliceBy8 {
  uint32_t t[8][256];
  SliceBy8() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c >> 1) ^ ((c & 1) ? 0x82F63B78u : 0);
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
  }
  uint32_t operator()(const unsigned char* p, size_t n) const {
    uint32_t crc = 0xffffffffu;
    for (; n >= 8; p += 8, n -= 8) {
      uint32_t lo, hi;
      std::memcpy(&lo, p, 4);
      std::memcpy(&hi, p + 4, 4);
      lo ^= crc;
      crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
            t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    }
    for (; n > 0; --n) crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
  }
};

void BM_Crc32cSliceBy8(benchmark::State& state) {
  static const SliceBy8 crc;
  std::string buf(static_cast<size_t>(state.range(0)), 'x');
  if (crc(reinterpret_cast<const unsigned char*>(buf.data()), buf.size()) != Crc32c(buf.data(), buf.size())) {
    state.SkipWithError("slice-by-8 disagrees with Crc32c");
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(crc(reinterpret_cast<const unsigned char*>(buf.data()), buf.size()));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32cSliceBy8)->Arg(64)->Arg(4096)->Arg(16384)->Arg(1 << 20);

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
