// ysb: the Yahoo Streaming Benchmark query (jobs/ysb.h) over pre-generated
// in-memory events, on the runtime at parallelism 1 and 2, against the
// same query as one hand-written single-threaded loop, in the same run:
// the baseline counts in a hash map per window (as the runtime does); a
// second loop indexing an array by campaign id is reported beside it
// (ratio_dense), and the hash-map loop on two threads, each over half the
// events (p2_over_loop_2threads: target 0.8; p2_over_p1: target 1.8). The
// count per campaign runs in two phases at parallelism 2 (a local
// pre-aggregation before the exchange, operators/local_global.h); the same
// job planned in one phase is measured beside it (p2_one_phase). Every
// run's windows are checked against the loops'.
//
// With --set source=log the events are first written to a topic of an
// embedded log (not timed) and the query reads them from there through the
// log connector; the in-memory runs of the same repeats are its baseline
// (target: at least 0.7).
#include <mutex>
#include <ostream>

#include <filesystem>

#include "bench/harness.h"
#include "jobs/ysb.h"
#include "log/log_manager.h"

namespace rivulet::bench {
namespace {

using jobs::ysb::AdEvent;
using Counts = std::map<std::pair<int64_t, uint32_t>, int64_t>;

// The events from memory, or from the log's topic when `lm` is set.
Result<double> RunQuery(const std::shared_ptr<const std::vector<AdEvent>>& events, log::LogManager* lm,
                        const std::shared_ptr<const jobs::ysb::CampaignTable>& table, const jobs::ysb::Config& c,
                        int parallelism, const Counts& want, bool local_global = true) {
  operators::JobBuilder job;
  auto source = lm ? jobs::ysb::FromLog(job, lm, "ysb-events", c)
                   : job.FromShared<AdEvent>("ad events", events, [](const AdEvent& e) { return e.event_time; },
                                             operators::WatermarkStrategy::BoundedOutOfOrderness(c.max_delay_ms));
  auto mu = std::make_shared<std::mutex>();
  auto got = std::make_shared<Counts>();
  jobs::ysb::AddQuery(source, table, c).Sink("collect", [mu, got](operators::Batch<jobs::ysb::Result>& b) {
    std::lock_guard<std::mutex> lock(*mu);
    for (const auto& e : b) (*got)[{e.value.start, e.value.key}] = e.value.value;
  });
  operators::JobRunOptions o;
  o.parallelism = parallelism;
  o.runtime.threads = parallelism;
  o.plan.local_global = local_global;
  const auto start = Clock::now();
  RIVULET_RETURN_IF_ERROR(job.Run(o));
  const double secs = Seconds(start, Clock::now());
  if (*got != want) {
    return Status(Errc::kCorruption, std::string("ysb from ") + (lm ? "the log" : "memory") + " at parallelism " +
                                         std::to_string(parallelism) + " disagrees with the baseline loop");
  }
  return secs;
}

}  // namespace

Status YsbBench(const BenchOptions& o, std::ostream& out) {
  std::string source = "memory";
  for (const auto& [k, v] : o.settings) {
    if (k != "source" || (v != "memory" && v != "log")) {
      return Status(Errc::kInvalidArgument, "ysb takes --set source=memory|log, not " + k + "=" + v);
    }
    source = v;
  }
  jobs::ysb::Config c;
  c.events = o.records;
  auto table = jobs::ysb::MakeCampaigns(c);
  auto events = std::make_shared<const std::vector<AdEvent>>(jobs::ysb::MakeEvents(c));
  std::unique_ptr<log::LogManager> lm;
  std::string dir;
  if (source == "log") {
    dir = MakeDir(o, "ysb");
    RIVULET_ASSIGN_OR_RETURN(lm, log::LogManager::Open(dir, {}));
    RIVULET_RETURN_IF_ERROR(jobs::ysb::WriteEventsToLog(lm.get(), "ysb-events", 4, *events));
    // On disk before the clock starts: otherwise the kernel writes the
    // dirty pages back during the timed runs (memory and log alike).
    RIVULET_RETURN_IF_ERROR(lm->FlushAll());
  }
  std::vector<double> base, base2, dense, p1, p2, p2_one, l1, l2;
  Counts want;
  for (int r = 0; r < o.repeats; ++r) {
    auto start = Clock::now();
    Counts counts = jobs::ysb::Baseline(*events, *table, c, jobs::ysb::BaselineKind::kHashMap);
    base.push_back(static_cast<double>(o.records) / Seconds(start, Clock::now()));
    start = Clock::now();
    Counts dense_counts = jobs::ysb::Baseline(*events, *table, c, jobs::ysb::BaselineKind::kDenseArray);
    dense.push_back(static_cast<double>(o.records) / Seconds(start, Clock::now()));
    if (dense_counts != counts) return Status(Errc::kCorruption, "the two baseline loops disagree");
    start = Clock::now();
    Counts two = jobs::ysb::BaselineThreads(*events, *table, c, 2);
    base2.push_back(static_cast<double>(o.records) / Seconds(start, Clock::now()));
    if (two != counts) return Status(Errc::kCorruption, "the two-thread loop disagrees with the one-thread loop");
    if (r == 0) want = std::move(counts);
    RIVULET_ASSIGN_OR_RETURN(double s1, RunQuery(events, nullptr, table, c, 1, want));
    p1.push_back(static_cast<double>(o.records) / s1);
    RIVULET_ASSIGN_OR_RETURN(double s2, RunQuery(events, nullptr, table, c, 2, want));
    p2.push_back(static_cast<double>(o.records) / s2);
    if (!lm) {
      RIVULET_ASSIGN_OR_RETURN(double s2_one, RunQuery(events, nullptr, table, c, 2, want, /*local_global=*/false));
      p2_one.push_back(static_cast<double>(o.records) / s2_one);
    }
    if (lm) {
      RIVULET_ASSIGN_OR_RETURN(double t1, RunQuery(nullptr, lm.get(), table, c, 1, want));
      l1.push_back(static_cast<double>(o.records) / t1);
      RIVULET_ASSIGN_OR_RETURN(double t2, RunQuery(nullptr, lm.get(), table, c, 2, want));
      l2.push_back(static_cast<double>(o.records) / t2);
    }
  }
  if (lm) {
    RIVULET_RETURN_IF_ERROR(lm->Close());
    std::filesystem::remove_all(dir);
    // The log figure beside the in-memory one, each at its better parallelism.
    Figures f;
    f.bench = "ysb-log";
    f.baseline = "the same query over the same events from memory, same run";
    f.bytes = static_cast<uint64_t>(o.records) * sizeof(AdEvent);
    const double m1 = Median(p1), m2 = Median(p2), n1 = Median(l1), n2 = Median(l2);
    f.rates = n2 > n1 ? l2 : l1;
    f.baseline_rates = m2 > m1 ? p2 : p1;
    f.extra = {{"log_records_per_s_p1", n1},       {"log_records_per_s_p2", n2},
               {"memory_records_per_s_p1", m1},    {"memory_records_per_s_p2", m2},
               {"ratio_p1", n1 / m1},              {"ratio_p2", n2 / m2},
               {"loop_records_per_s", Median(base)}, {"windows", static_cast<double>(want.size())}};
    ReportFigures(out, o, f);
    return Status::Ok();
  }
  Figures f;
  f.bench = "ysb";
  f.baseline = "hand-written single-threaded loop of the same query, hash map per window";
  f.bytes = static_cast<uint64_t>(o.records) * sizeof(AdEvent);
  const double m1 = Median(p1), m2 = Median(p2), mb = Median(base);
  f.rates = m2 > m1 ? p2 : p1;
  f.baseline_rates = base;
  f.ratio = m1 / mb;
  f.extra = {{"records_per_s_p1", m1},
             {"records_per_s_p2", m2},
             {"p2_over_p1", m2 / m1},
             {"records_per_s_p2_one_phase", Median(p2_one)},
             {"p2_one_phase_over_p1", Median(p2_one) / m1},
             {"baseline_2threads_records_per_s", Median(base2)},
             {"p2_over_loop_2threads", m2 / Median(base2)},
             {"baseline_dense_records_per_s", Median(dense)},
             {"ratio_dense", m1 / Median(dense)},
             {"windows", static_cast<double>(want.size())}};
  ReportFigures(out, o, f);
  return Status::Ok();
}

}  // namespace rivulet::bench
