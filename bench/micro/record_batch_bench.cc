// Micro benchmarks: RecordBatch v2 encode / validate+decode, and the sparse
// index lookup of a segment.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

#include "log/record_batch.h"
#include "log/segment_index.h"

// GCC 12 warns that the value of a RecordView filled by Next may be used
// uninitialized after Next returned true: its known false positive for
// std::optional (GCC bug 80635); every path that returns true sets it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace rivulet::log {
namespace {

std::string MakeBatch(int records) {
  RecordBatchBuilder b(1 << 20);
  const std::string key(16, 'k');
  const std::string value(100, 'v');
  for (int i = 0; i < records; ++i) b.Append(1700000000000 + i, key, value);
  return b.Finish();
}

void BM_BatchEncode(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string key(16, 'k');
  const std::string value(100, 'v');
  RecordBatchBuilder b(1 << 20);
  for (auto _ : state) {
    for (int i = 0; i < n; ++i) b.Append(1700000000000 + i, key, value);
    std::string out = b.Finish();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_BatchEncode)->Arg(100)->Arg(8000);

void BM_BatchDecode(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string batch = MakeBatch(n);
  for (auto _ : state) {
    auto h = ValidateBatch(std::span<const char>(batch.data(), batch.size()));
    auto reader = RecordReader::ForBatch(*h, std::span<const char>(batch.data(), batch.size()));
    RecordView r;
    size_t sum = 0;
    while (reader.Next(&r)) sum += r.value->size();
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(batch.size()));
}
BENCHMARK(BM_BatchDecode)->Arg(100)->Arg(8000);

// The shape ysb reads from the log: null keys, 40-byte values, timestamps a
// few ms apart; each value copied into a vector as a source batch does.
struct Event40 {
  int64_t ts;
  char value[40];
};

std::string MakeSmallBatch(int records) {
  RecordBatchBuilder b(1 << 20);
  const std::string value(40, 'v');
  for (int i = 0; i < records; ++i) b.Append(1700000000000 + i / 25, std::nullopt, value);
  return b.Finish();
}

// Validates `batch` and copies its records into *out, as a source does.
void DecodeSmall(std::span<const char> batch, std::vector<Event40>* out) {
  out->clear();
  auto h = ValidateBatch(batch);
  auto reader = RecordReader::ForBatch(*h, batch);
  RecordView r;
  while (reader.Next(&r)) {
    Event40& e = out->emplace_back();
    e.ts = r.timestamp;
    if (r.value && r.value->size() == sizeof(e.value)) std::memcpy(e.value, r.value->data(), sizeof(e.value));
  }
}

void BM_BatchDecodeSmall(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string batch = MakeSmallBatch(n);
  std::vector<Event40> out;
  out.reserve(static_cast<size_t>(n));
  for (auto _ : state) {
    DecodeSmall(std::span<const char>(batch.data(), batch.size()), &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(batch.size()));
}
BENCHMARK(BM_BatchDecodeSmall)->Arg(5000);

// The same over 1 GiB of batches: read from memory, not cache, as a
// consumer reading a log larger than its caches does.
void BM_BatchDecodeSmallCold(benchmark::State& state) {
  const int n = 5000;
  const std::string one = MakeSmallBatch(n);
  const size_t batches = (size_t{1} << 30) / one.size();
  std::string all;
  all.reserve(batches * one.size());
  for (size_t i = 0; i < batches; ++i) all += one;
  std::vector<Event40> out;
  out.reserve(static_cast<size_t>(n));
  for (auto _ : state) {
    for (size_t b = 0; b < batches; ++b) {
      DecodeSmall(std::span<const char>(all.data() + b * one.size(), one.size()), &out);
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batches) * n);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(all.size()));
}
BENCHMARK(BM_BatchDecodeSmallCold)->Unit(benchmark::kMillisecond);

void BM_BatchValidateSmall(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string batch = MakeSmallBatch(n);
  for (auto _ : state) {
    auto h = ValidateBatch(std::span<const char>(batch.data(), batch.size()));
    benchmark::DoNotOptimize(h.ok());
  }
  state.SetItemsProcessed(state.iterations() * n);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(batch.size()));
}
BENCHMARK(BM_BatchValidateSmall)->Arg(5000);

void BM_IndexLookup(benchmark::State& state) {
  // A 1 GiB segment of 16 KiB batches of 140 records: 65536 entries.
  SegmentIndex index(0, 4096);
  const int64_t batches = 65536;
  for (int64_t i = 0; i < batches; ++i) {
    index.OnBatch(i * 140, 1700000000000 + i, static_cast<uint64_t>(i) * 16384,
                  static_cast<uint64_t>(i + 1) * 16384);
  }
  uint64_t x = 88172645463325252ull;
  for (auto _ : state) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    benchmark::DoNotOptimize(index.LookupOffset(static_cast<int64_t>(x % (batches * 140))));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IndexLookup);

}  // namespace
}  // namespace rivulet::log
