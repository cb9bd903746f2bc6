// Micro benchmark of the log source alone: the ysb events (jobs/ysb.h:
// 40-byte fixed-layout values, event time from a field), written once by
// the job's own WriteEventsToLog to one partition and read by its FromLog
// into a sink that only counts, at parallelism 1; beside it, the same
// events from memory (FromShared) into the same sink. The difference is
// what the log source costs per record.
#include <benchmark/benchmark.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "jobs/ysb.h"
#include "log/log_manager.h"
#include "operators/stream.h"

namespace rivulet::jobs::ysb {
namespace {

constexpr int64_t kEvents = 4'000'000;
constexpr const char* kTopic = "ysb-events";

const Config& BenchConfig() {
  static const Config c = [] {
    Config c;
    c.events = kEvents;
    return c;
  }();
  return c;
}

const std::shared_ptr<const std::vector<AdEvent>>& Events() {
  static const auto events = std::make_shared<const std::vector<AdEvent>>(MakeEvents(BenchConfig()));
  return events;
}

// The events in a log in a fresh directory, written once and removed when
// the program exits.
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
    if (!WriteEventsToLog(w.lm.get(), kTopic, 1, *Events()).ok() || !w.lm->FlushAll().ok()) {
      throw std::runtime_error("writing the events");
    }
    return true;
  }();
  (void)written;
  return w.lm.get();
}

void Run(operators::JobBuilder& job, operators::Stream<AdEvent> events, benchmark::State& state) {
  auto count = std::make_shared<std::atomic<int64_t>>(0);
  events.Sink("count", [count](operators::Batch<AdEvent>& b) { *count += static_cast<int64_t>(b.size()); });
  operators::JobRunOptions o;
  o.parallelism = 1;
  o.runtime.threads = 1;
  if (!job.Run(o).ok() || *count != kEvents) state.SkipWithError("the job failed or lost records");
}

void BM_LogSourceFixed(benchmark::State& state) {
  log::LogManager* lm = Log();
  for (auto _ : state) {
    operators::JobBuilder job;
    Run(job, FromLog(job, lm, kTopic, BenchConfig()), state);
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
}
BENCHMARK(BM_LogSourceFixed)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MemorySourceFixed(benchmark::State& state) {
  const Config& c = BenchConfig();
  for (auto _ : state) {
    operators::JobBuilder job;
    Run(job,
        job.FromShared<AdEvent>("ad events", Events(), [](const AdEvent& e) { return e.event_time; },
                                operators::WatermarkStrategy::BoundedOutOfOrderness(c.max_delay_ms)),
        state);
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
}
BENCHMARK(BM_MemorySourceFixed)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace rivulet::jobs::ysb
