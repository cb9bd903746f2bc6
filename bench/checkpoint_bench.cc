// checkpoint: what periodic checkpoints cost a job with keyed state. The
// YSB query (jobs/ysb.h) with 100,000 campaigns (--set campaigns=N), at
// parallelism 2 (--set parallelism=N), over --records events replayed from
// memory: 2^25 events (1.3 GB) are pre-generated once by the ysb
// generator and replayed in laps, each lap's event times shifted past the
// previous lap's (the query runs at ~40 M events/s here, so ten seconds of
// events would not fit in memory):
//
//   baseline   checkpoints off
//   contender  a checkpoint every 1000 ms (--set interval_ms=N), written
//              through a CheckpointStore into a fresh directory under
//              --dir (task files and manifest fsynced: the disk is part of
//              the cost), and the final checkpoint at the end of the input
//
// run alternately (the order swapped every repeat), --repeats times each;
// records_per_s and baseline_records_per_s are the medians, ratio is their
// quotient. Every run's window results are checked against the first
// run's (count of windows and sum of views).
//
// Per periodic checkpoint of every contender run, read back from the
// store's manifests (the final checkpoint, taken after the input ended, is
// left out): its duration (trigger to manifest written) gives
// checkpoint_ms_p50 and checkpoint_ms_p99, its size checkpoint_bytes (the
// largest; the median is reported beside it).
//
// restore_ms: CheckpointStore::Load of the largest checkpoint of the run
// plus Job::Start from it (every operator restores its state before Start
// returns); the job is then cancelled. Median of --repeats; restore_load_ms
// is the Load alone, start_ms a Job::Start of the same job from nothing.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "bench/harness.h"
#include "engine/checkpoint_store.h"
#include "engine/runtime.h"
#include "jobs/ysb.h"

namespace rivulet::bench {
namespace {

using jobs::ysb::AdEvent;

constexpr const char* kJob = "ysb-checkpoint-bench";
constexpr int kMaxLapBits = 25;  // 2^25 pre-generated events of 40 bytes

// What a run's sink saw: window results and the views they counted.
struct Totals {
  std::atomic<int64_t> windows{0};
  std::atomic<int64_t> views{0};
};

// Event n of the replay: pre-generated event n mod 2^lap_bits, its event
// time shifted by lap_ms per lap, so that time goes on increasing (lap_ms
// is the lap's span of event time, rounded up).
struct Laps {
  std::shared_ptr<const std::vector<AdEvent>> events;  // keeps `data` alive
  const AdEvent* data = nullptr;
  uint64_t mask = 0;
  int lap_bits = 0;
  int64_t lap_ms = 0;

  AdEvent operator()(uint64_t n) const {
    AdEvent e = data[n & mask];
    e.event_time += static_cast<int64_t>(n >> lap_bits) * lap_ms;
    return e;
  }
};

// The YSB job over `count` events of `laps` into a sink adding up
// `totals`; the same graph (fingerprint) every time, so that a checkpoint
// of one run restores into another.
struct YsbJob {
  operators::JobBuilder job;
  std::shared_ptr<Totals> totals = std::make_shared<Totals>();

  YsbJob(const Laps& laps, int64_t count, const std::shared_ptr<const jobs::ysb::CampaignTable>& table,
         const jobs::ysb::Config& c) {
    auto source = job.FromGenerator(
        "ad events", laps, count, /*rate=*/0, [](const AdEvent& e) { return e.event_time; },
        operators::WatermarkStrategy::BoundedOutOfOrderness(c.max_delay_ms));
    jobs::ysb::AddQuery(source, table, c).Sink("totals", [t = totals](operators::Batch<jobs::ysb::Result>& b) {
      int64_t views = 0;
      for (const auto& e : b) views += e.value.value;
      t->windows.fetch_add(static_cast<int64_t>(b.size()), std::memory_order_relaxed);
      t->views.fetch_add(views, std::memory_order_relaxed);
    });
  }
};

struct Settings {
  int32_t campaigns = 100'000;
  int64_t interval_ms = 1000;
  int parallelism = 2;
};

Result<Settings> ParseSettings(const BenchOptions& o) {
  Settings s;
  for (const auto& [k, v] : o.settings) {
    int64_t n = 0;
    try {
      size_t used = 0;
      n = std::stoll(v, &used);
      if (used != v.size()) n = -1;
    } catch (const std::exception&) {
      n = -1;
    }
    if (n <= 0 || n > 1'000'000'000) {
      return Status(Errc::kInvalidArgument, "checkpoint: --set " + k + " takes a positive integer, not '" + v + "'");
    }
    if (k == "campaigns") {
      s.campaigns = static_cast<int32_t>(n);
    } else if (k == "interval_ms") {
      s.interval_ms = n;
    } else if (k == "parallelism") {
      s.parallelism = static_cast<int>(n);
    } else {
      return Status(Errc::kInvalidArgument,
                    "checkpoint takes --set campaigns=N, interval_ms=N, parallelism=N; not " + k);
    }
  }
  return s;
}

// One run: seconds from start to the end (the final checkpoint written,
// with checkpoints); adds the checkpoints that failed to `failed` (one
// triggered just before the input ended fails: no barrier follows the
// end). `store` null: checkpoints off.
Result<double> RunOnce(YsbJob& y, const Settings& s, engine::CheckpointStore* store, uint64_t* failed) {
  operators::JobRunOptions o;
  o.parallelism = s.parallelism;
  o.runtime.threads = s.parallelism;
  if (store) {
    o.runtime.checkpoints.interval_ms = s.interval_ms;
    o.runtime.checkpoints.store = store;
    o.runtime.checkpoints.job = kJob;
  }
  const auto start = Clock::now();
  RIVULET_ASSIGN_OR_RETURN(auto job, y.job.Start(o));
  RIVULET_RETURN_IF_ERROR(job->Wait());
  const double secs = Seconds(start, Clock::now());
  *failed += job->metrics().checkpoints.failed.load();
  return secs;
}

}  // namespace

Status CheckpointBench(const BenchOptions& o, std::ostream& out) {
  RIVULET_ASSIGN_OR_RETURN(Settings s, ParseSettings(o));
  jobs::ysb::Config c;
  c.campaigns = s.campaigns;
  Laps laps;
  while (laps.lap_bits < kMaxLapBits && (int64_t{1} << laps.lap_bits) < o.records) ++laps.lap_bits;
  c.events = int64_t{1} << laps.lap_bits;
  laps.events = std::make_shared<const std::vector<AdEvent>>(jobs::ysb::MakeEvents(c));
  laps.data = laps.events->data();
  laps.mask = static_cast<uint64_t>(c.events) - 1;
  laps.lap_ms = (c.events + c.events_per_ms - 1) / c.events_per_ms;
  auto table = jobs::ysb::MakeCampaigns(c);
  const std::string dir = MakeDir(o, "checkpoint");

  std::vector<double> base, rates, durations, sizes;
  std::string largest;  // the directory of the largest periodic checkpoint
  double largest_bytes = -1;
  int64_t want_windows = -1, want_views = -1;
  std::string detail;  // every checkpoint and restore, printed before the figures
  uint64_t failed = 0;
  for (int r = 0; r < o.repeats; ++r) {
    for (int k = 0; k < 2; ++k) {
      const bool with = (k == 1) != (r % 2 == 1);  // baseline first in even repeats
      YsbJob y(laps, o.records, table, c);
      std::unique_ptr<engine::CheckpointStore> store;
      if (with) {
        // Every checkpoint of the run is kept, for its manifest.
        RIVULET_ASSIGN_OR_RETURN(store, engine::CheckpointStore::Open(dir + "/run-" + std::to_string(r), kJob,
                                                                      /*retain=*/1'000'000));
      }
      RIVULET_ASSIGN_OR_RETURN(double secs, RunOnce(y, s, store.get(), &failed));
      (with ? rates : base).push_back(static_cast<double>(o.records) / secs);
      const int64_t windows = y.totals->windows.load(), views = y.totals->views.load();
      if (want_windows < 0) {
        want_windows = windows;
        want_views = views;
      } else if (windows != want_windows || views != want_views) {
        return Status(Errc::kCorruption, std::string("checkpoint: a run ") + (with ? "with" : "without") +
                                             " checkpoints disagrees with the first run (" + std::to_string(windows) +
                                             " windows, " + std::to_string(views) + " views; want " +
                                             std::to_string(want_windows) + ", " + std::to_string(want_views) + ")");
      }
      if (!with) continue;
      RIVULET_ASSIGN_OR_RETURN(auto list, store->List());
      std::reverse(list.begin(), list.end());  // oldest first
      detail += "run " + std::to_string(r + 1) + " with checkpoints (id: ms, KiB, alignment ms):";
      for (const auto& info : list) {
        detail += " " + std::to_string(info.id) + (info.final ? " (final)" : "") + ": " +
                  std::to_string(info.duration_ms) + ", " + std::to_string(info.bytes / 1024) + ", " +
                  std::to_string(info.alignment_ms) + ";";
        if (info.final) continue;
        durations.push_back(static_cast<double>(info.duration_ms));
        sizes.push_back(static_cast<double>(info.bytes));
        if (static_cast<double>(info.bytes) > largest_bytes) {
          largest_bytes = static_cast<double>(info.bytes);
          largest = info.path;
        }
      }
      detail += "\n";
    }
  }
  if (largest.empty()) {
    return Status(Errc::kInvalidArgument, "checkpoint: no periodic checkpoint completed (too few --records?)");
  }

  // Restore: load the largest checkpoint and start the job from it.
  std::vector<double> restores, loads;  // ms: Load and Start; Load alone
  for (int r = 0; r < o.repeats; ++r) {
    YsbJob y(laps, o.records, table, c);
    RIVULET_ASSIGN_OR_RETURN(auto store, engine::CheckpointStore::Open(dir + "/restore-" + std::to_string(r), kJob));
    operators::JobRunOptions ro;
    ro.parallelism = s.parallelism;
    ro.runtime.threads = s.parallelism;
    ro.runtime.checkpoints.interval_ms = s.interval_ms;
    ro.runtime.checkpoints.store = store.get();
    ro.runtime.checkpoints.job = kJob;
    const auto start = Clock::now();
    RIVULET_ASSIGN_OR_RETURN(auto loaded, engine::CheckpointStore::Load(largest));
    loads.push_back(Seconds(start, Clock::now()) * 1000);
    const int64_t id = loaded.info.id;
    ro.runtime.checkpoints.restore = std::make_shared<const engine::LoadedCheckpoint>(std::move(loaded));
    RIVULET_ASSIGN_OR_RETURN(auto job, y.job.Start(ro));
    restores.push_back(Seconds(start, Clock::now()) * 1000);
    job->Cancel();
    const Status st = job->Wait();
    if (st.code() != Errc::kClosed) return Status(Errc::kJobFailed, "checkpoint: the restored job: " + st.ToString());
    if (job->metrics().checkpoints.restored_id.load() != id) {
      return Status(Errc::kJobFailed,
                    "checkpoint: the restored job did not start from checkpoint " + std::to_string(id));
    }
  }
  // For comparison: starting the same job from nothing.
  std::vector<double> starts;
  for (int r = 0; r < o.repeats; ++r) {
    YsbJob y(laps, o.records, table, c);
    operators::JobRunOptions so;
    so.parallelism = s.parallelism;
    so.runtime.threads = s.parallelism;
    const auto start = Clock::now();
    RIVULET_ASSIGN_OR_RETURN(auto job, y.job.Start(so));
    starts.push_back(Seconds(start, Clock::now()) * 1000);
    job->Cancel();
    (void)job->Wait();
  }
  std::filesystem::remove_all(dir);
  detail += "restore of " + largest.substr(largest.rfind('/') + 1) + " (ms):";
  for (size_t i = 0; i < restores.size(); ++i) {
    detail += " " + std::to_string(static_cast<int64_t>(restores[i] + 0.5)) + " (load " +
              std::to_string(static_cast<int64_t>(loads[i] + 0.5)) + ")";
  }
  out << detail << "\n";

  Figures f;
  f.bench = "checkpoint";
  f.baseline = "the same job with checkpoints off, same run";
  f.bytes = static_cast<uint64_t>(o.records) * sizeof(AdEvent);  // replayed; 2^25 events in memory
  f.rates = rates;
  f.baseline_rates = base;
  f.extra = {{"checkpoint_ms_p50", Percentile(durations, 50)},
             {"checkpoint_ms_p99", Percentile(durations, 99)},
             {"checkpoint_ms_max", Percentile(durations, 100)},
             {"checkpoint_bytes", largest_bytes},
             {"checkpoint_bytes_median", Median(sizes)},
             {"checkpoints", static_cast<double>(durations.size())},
             {"checkpoints_failed", static_cast<double>(failed)},
             {"restore_ms", Median(restores)},
             {"restore_ms_max", Percentile(restores, 100)},
             {"restore_load_ms", Median(loads)},
             {"start_ms", Median(starts)},
             {"campaigns", static_cast<double>(s.campaigns)},
             {"interval_ms", static_cast<double>(s.interval_ms)},
             {"parallelism", static_cast<double>(s.parallelism)},
             {"windows", static_cast<double>(want_windows)}};
  ReportFigures(out, o, f);
  return Status::Ok();
}

}  // namespace rivulet::bench
