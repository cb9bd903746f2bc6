// sliding: the cost per record of a keyed sliding-window count at
// size/slide = 1, 10 and 100 (same slide, growing size), one instance, the
// same pre-generated records in the same run. Panes make the work per
// record independent of size/slide; the figure is rate(100) / rate(1).
#include <atomic>
#include <ostream>

#include "bench/harness.h"
#include "operators/stream.h"

namespace rivulet::bench {
namespace {

struct Rec {
  uint32_t key;
  int64_t ts;
};

Result<double> RunSliding(const std::shared_ptr<const std::vector<Rec>>& recs, int64_t size, int64_t slide,
                          int64_t* windows) {
  operators::JobBuilder job;
  auto fired = std::make_shared<std::atomic<int64_t>>(0);
  job.FromShared<Rec>("records", recs, [](const Rec& r) { return r.ts; },
                      operators::WatermarkStrategy::BoundedOutOfOrderness(0))
      .KeyBy([](const Rec& r) { return r.key; })
      .Window(operators::Sliding(size, slide))
      .Aggregate("count", operators::Count{})
      .Sink("discard", [fired](operators::Batch<operators::WindowResult<uint32_t, int64_t>>& b) {
        fired->fetch_add(static_cast<int64_t>(b.size()), std::memory_order_relaxed);
      });
  operators::JobRunOptions o;
  o.parallelism = 1;
  o.runtime.threads = 1;
  const auto start = Clock::now();
  RIVULET_RETURN_IF_ERROR(job.Run(o));
  const double secs = Seconds(start, Clock::now());
  *windows = fired->load();
  return secs;
}

}  // namespace

Status SlidingBench(const BenchOptions& o, std::ostream& out) {
  // 1,000 keys; 100 records per ms of event time; slide 1 s.
  constexpr int64_t kSlide = 1000;
  auto recs = std::make_shared<std::vector<Rec>>();
  recs->reserve(static_cast<size_t>(o.records));
  uint64_t x = 88172645463325252ULL;
  for (int64_t i = 0; i < o.records; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    recs->push_back(Rec{static_cast<uint32_t>(x % 1000), i / 100});
  }
  std::shared_ptr<const std::vector<Rec>> shared = recs;
  std::vector<double> r1, r10, r100;
  int64_t w1 = 0, w10 = 0, w100 = 0;
  for (int r = 0; r < o.repeats; ++r) {
    RIVULET_ASSIGN_OR_RETURN(double s1, RunSliding(shared, kSlide, kSlide, &w1));
    RIVULET_ASSIGN_OR_RETURN(double s10, RunSliding(shared, 10 * kSlide, kSlide, &w10));
    RIVULET_ASSIGN_OR_RETURN(double s100, RunSliding(shared, 100 * kSlide, kSlide, &w100));
    r1.push_back(static_cast<double>(o.records) / s1);
    r10.push_back(static_cast<double>(o.records) / s10);
    r100.push_back(static_cast<double>(o.records) / s100);
  }
  Figures f;
  f.bench = "sliding";
  f.baseline = "the same job with size/slide = 1 (tumbling)";
  f.rates = r100;
  f.baseline_rates = r1;
  f.extra = {{"ns_per_record_1", 1e9 / Median(r1)},    {"ns_per_record_10", 1e9 / Median(r10)},
             {"ns_per_record_100", 1e9 / Median(r100)}, {"windows_1", static_cast<double>(w1)},
             {"windows_10", static_cast<double>(w10)},  {"windows_100", static_cast<double>(w100)}};
  ReportFigures(out, o, f);
  return Status::Ok();
}

}  // namespace rivulet::bench
