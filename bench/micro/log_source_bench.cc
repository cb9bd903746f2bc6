// Micro benchmark of the log source alone: fixed-size 40-byte events (the
// ysb shape: null key, FixedSerde value, event time from a field) read from
// one partition of an embedded log into a sink that only counts, at
// parallelism 1; beside it, the same events from memory (FromShared) into
// the same sink. The difference is what the log source costs per record.
#include <benchmark/benchmark.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "connectors/log/log_connector.h"
#include "connectors/serde/serde.h"
#include "log/log_manager.h"
#include "log/producer.h"
#include "operators/stream.h"

namespace rivulet::connectors {
namespace {

struct Event40 {
  uint64_t a;
  uint64_t b;
  uint32_t c;
  uint32_t d;
  int64_t time;
  uint64_t e;
};
static_assert(sizeof(Event40) == 40);

constexpr int64_t kEvents = 4'000'000;

const std::vector<Event40>& Events() {
  static const std::vector<Event40> events = [] {
    std::vector<Event40> v(kEvents);
    for (int64_t i = 0; i < kEvents; ++i) {
      // Event time: 100 events per ms, up to 50 ms late.
      v[static_cast<size_t>(i)] = Event40{static_cast<uint64_t>(i), 7, 1, 2, i / 100 - (i * 7919) % 51, 9};
    }
    return v;
  }();
  return events;
}

// The events in topic "events" of a log in a fresh directory, written once
// and removed when the program exits.
log::LogManager* Log() {
  struct Written {
    std::string dir;
    std::unique_ptr<log::LogManager> lm;
    ~Written() {
      if (lm) (void)lm->Close();
      lm.reset();
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  };
  static Written w;
  static const bool written = [] {
    w.dir = std::filesystem::temp_directory_path() / "rivulet-log-source-bench";
    std::filesystem::remove_all(w.dir);
    auto opened = log::LogManager::Open(w.dir, {});
    if (!opened.ok()) throw std::runtime_error(opened.status().ToString());
    w.lm = std::move(*opened);
    if (!w.lm->CreateTopic("events", 1).ok()) throw std::runtime_error("create topic");
    log::Producer producer(w.lm.get());
    const FixedSerde<Event40> serde;
    for (const Event40& e : Events()) {
      const std::string v = serde.Encode(e);
      if (!producer.Send("events", std::nullopt, std::string_view(v), nullptr, 0, std::max<int64_t>(0, e.time)).ok()) {
        throw std::runtime_error("send");
      }
    }
    if (!producer.Flush().ok() || !w.lm->FlushAll().ok()) throw std::runtime_error("flush");
    return true;
  }();
  (void)written;
  return w.lm.get();
}

void Run(operators::JobBuilder& job, operators::Stream<Event40> events, benchmark::State& state) {
  auto count = std::make_shared<std::atomic<int64_t>>(0);
  events.Sink("count", [count](operators::Batch<Event40>& b) { *count += static_cast<int64_t>(b.size()); });
  operators::JobRunOptions o;
  o.parallelism = 1;
  o.runtime.threads = 1;
  if (!job.Run(o).ok() || *count != kEvents) state.SkipWithError("the job failed or lost records");
}

void BM_LogSourceFixed(benchmark::State& state) {
  log::LogManager* lm = Log();
  for (auto _ : state) {
    operators::JobBuilder job;
    LogSourceOptions o;
    o.topic = "events";
    o.max_out_of_orderness_ms = 50;
    Run(job, FromLog<Event40>(job, "events", lm, o, Decoder(FixedSerde<Event40>()), [](const Event40& e) { return e.time; }),
        state);
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
}
BENCHMARK(BM_LogSourceFixed)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MemorySourceFixed(benchmark::State& state) {
  auto events = std::make_shared<const std::vector<Event40>>(Events());
  for (auto _ : state) {
    operators::JobBuilder job;
    Run(job,
        job.FromShared<Event40>("events", events, [](const Event40& e) { return e.time; },
                                operators::WatermarkStrategy::BoundedOutOfOrderness(50)),
        state);
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
}
BENCHMARK(BM_MemorySourceFixed)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace rivulet::connectors
