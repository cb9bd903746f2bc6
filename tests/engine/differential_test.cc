// Randomized differential tests: random inputs (random keys, timestamps
// out of order within the watermark bound) through random small graphs at
// parallelism 1, 2 and 4 must give exactly the results of a plain
// single-threaded reference implementation written here; and the same with
// failures: an exception thrown at random records, the job restarted from
// its last checkpoint at a random parallelism each time.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <stdexcept>
#include <random>
#include <tuple>

#include "operators/stream.h"

namespace rivulet::operators {
namespace {

struct Rec {
  int32_t key;
  int64_t ts;
  int64_t value;
};

// A random graph: map (value*a+b), filter (key % m != r), optionally a
// flat_map duplicating records with a key shift, optionally a union with a
// second copy of the input, then a keyed window (tumbling, sliding or
// session) summing values; a tumbling one may be a keyed process function
// keeping the sums in map state with a timer per window (`process`).
struct Shape {
  int64_t a, b, m, r;
  bool flat_map;
  bool union_copy;
  WindowSpec window;
  bool process = false;
};

using Result = WindowResult<int32_t, double>;

std::vector<Rec> RandomInput(std::mt19937_64& rng, size_t n, int64_t bound) {
  std::vector<Rec> in;
  int64_t max_ts = 0;
  for (size_t i = 0; i < n; ++i) {
    Rec r;
    r.key = static_cast<int32_t>(rng() % 13);
    // Ahead of the maximum by up to 50, or behind it by at most `bound`
    // (never late for a watermark of max - bound - 1).
    const int64_t step = static_cast<int64_t>(rng() % 51);
    const int64_t back = static_cast<int64_t>(rng() % (bound + 1));
    r.ts = rng() % 3 == 0 ? max_ts - back : max_ts + step;
    max_ts = std::max(max_ts, r.ts);
    r.value = static_cast<int64_t>(rng() % 1000) - 500;
    in.push_back(r);
  }
  return in;
}

Shape RandomShape(std::mt19937_64& rng) {
  Shape s;
  s.a = static_cast<int64_t>(rng() % 5) + 1;
  s.b = static_cast<int64_t>(rng() % 7);
  s.m = static_cast<int64_t>(rng() % 4) + 2;
  s.r = static_cast<int64_t>(rng() % 2);
  s.flat_map = rng() % 2;
  s.union_copy = rng() % 2;
  switch (rng() % 3) {
    case 0: s.window = Tumbling(static_cast<int64_t>(rng() % 300) + 50); break;
    case 1: {
      const int64_t slide = static_cast<int64_t>(rng() % 100) + 20;
      s.window = Sliding(slide * static_cast<int64_t>(rng() % 5 + 1) + static_cast<int64_t>(rng() % 2) * 7, slide);
      break;
    }
    default: s.window = Session(static_cast<int64_t>(rng() % 80) + 10);
  }
  if (s.window.kind == WindowSpec::Kind::kTumbling) s.process = rng() % 2;
  return s;
}

// A tumbling sum as user code: each window's sum in map state (start ->
// sum), emitted by a timer at the window's end.
struct ProcessTumblingSum {
  int64_t size;
  MapState<int32_t, int64_t, double> sums;

  void Open(KeyedStateBackend<int32_t>& states) { sums = states.Map<int64_t, double>("sums"); }
  void ProcessElement(const Rec& r, ProcessContext<int32_t, Result>& ctx) {
    const int64_t start = FloorDiv(r.ts, size) * size;
    const double* sum = sums.Get(start);
    sums.Put(start, (sum ? *sum : 0.0) + static_cast<double>(r.value));
    ctx.RegisterTimer(start + size - 1);
  }
  void OnTimer(Timestamp t, ProcessContext<int32_t, Result>& ctx) {
    const int64_t start = t - size + 1;
    ctx.Emit(Result{ctx.key(), start, start + size, *sums.Get(start)});
    sums.Remove(start);
  }
};

// The reference: the same pipeline as plain loops over all records.
std::vector<Result> Reference(const std::vector<Rec>& input, const Shape& s) {
  std::vector<Rec> recs;
  for (int copy = 0; copy < (s.union_copy ? 2 : 1); ++copy) {
    for (Rec r : input) {
      r.value = r.value * s.a + s.b;
      if (r.key % s.m == s.r) continue;
      recs.push_back(r);
      if (s.flat_map) recs.push_back(Rec{r.key + 100, r.ts, r.value / 2});
    }
  }
  std::map<std::tuple<int32_t, int64_t, int64_t>, double> windows;
  const WindowSpec& w = s.window;
  if (w.kind == WindowSpec::Kind::kSession) {
    std::map<int32_t, std::vector<std::pair<int64_t, int64_t>>> by_key;  // (ts, value)
    for (const auto& r : recs) by_key[r.key].push_back({r.ts, r.value});
    for (auto& [k, v] : by_key) {
      std::sort(v.begin(), v.end());
      int64_t start = v[0].first, end = v[0].first + w.gap_ms;
      double sum = 0;
      for (const auto& [ts, val] : v) {
        if (ts >= end) {
          windows[{k, start, end}] = sum;
          start = ts;
          sum = 0;
        }
        end = std::max(end, ts + w.gap_ms);
        sum += static_cast<double>(val);
      }
      windows[{k, start, end}] = sum;
    }
  } else {
    for (const auto& r : recs) {
      for (int64_t start = FloorDiv(r.ts, w.slide_ms) * w.slide_ms; start > r.ts - w.size_ms; start -= w.slide_ms) {
        windows[{r.key, start, start + w.size_ms}] += static_cast<double>(r.value);
      }
    }
  }
  std::vector<Result> out;
  for (const auto& [k, sum] : windows) out.push_back(Result{std::get<0>(k), std::get<1>(k), std::get<2>(k), sum});
  return out;
}

// Failures to inject: the map throws when the records it has seen (over
// all instances and attempts) reach each of `at`.
struct Failures {
  std::vector<int64_t> at;
  std::shared_ptr<std::atomic<int64_t>> seen = std::make_shared<std::atomic<int64_t>>(0);
};

// The graph of `s` over `input` into `out`: collection sources, or (with
// failures) rate-limited generators over the same records, so that
// checkpoints fall inside the run, into an exactly-once sink.
void Build(JobBuilder& job, const std::vector<Rec>& input, const Shape& s, int64_t bound,
           std::shared_ptr<Collected<Result>> out, const Failures* failures, double rate) {
  auto ts = [](const Rec& r) { return r.ts; };
  const auto wm = WatermarkStrategy::BoundedOutOfOrderness(bound);
  auto source = [&](const std::string& name) {
    if (!failures) return job.FromCollection<Rec>(name, input, ts, wm);
    auto shared = std::make_shared<const std::vector<Rec>>(input);
    return job.FromGenerator(name, [shared](uint64_t n) { return (*shared)[n]; },
                             static_cast<int64_t>(input.size()), rate, ts, wm);
  };
  auto pipeline = [&](Stream<Rec> in, const std::string& suffix) {
    if (failures) {
      in = in.Map("flaky" + suffix, [f = *failures](const Rec& r) {
        const int64_t n = f.seen->fetch_add(1) + 1;
        if (std::find(f.at.begin(), f.at.end(), n) != f.at.end()) {
          throw std::runtime_error("injected failure at record " + std::to_string(n));
        }
        return r;
      });
    }
    auto mapped = in.Map("map" + suffix, [a = s.a, b = s.b](const Rec& r) { return Rec{r.key, r.ts, r.value * a + b}; })
                      .Filter("filter" + suffix, [m = s.m, rem = s.r](const Rec& r) { return r.key % m != rem; });
    if (!s.flat_map) return mapped;
    return mapped.FlatMap<Rec>("flat_map" + suffix, [](const Rec& r, auto emit) {
      emit(r);
      emit(Rec{r.key + 100, r.ts, r.value / 2});
    });
  };
  // Sources split the input round robin; each instance's subsequence
  // keeps the out-of-orderness bound of the whole.
  Stream<Rec> stream = pipeline(source("in"), "");
  if (s.union_copy) {
    stream = stream.Union("union", {pipeline(source("copy").SetParallelism(1), "2")});
  }
  auto keyed = stream.KeyBy([](const Rec& r) { return r.key; });
  auto windowed = s.process ? keyed.Process<Result>("sum", ProcessTumblingSum{s.window.size_ms, {}})
                            : keyed.Window(s.window).Aggregate("sum", SumOf([](const Rec& r) { return r.value; }));
  if (failures) {
    windowed.CollectCommitted("out", out);
  } else {
    windowed.CollectInto("out", out);
  }
}

std::vector<Result> RunJob(const std::vector<Rec>& input, const Shape& s, int parallelism, int64_t bound,
                           size_t batch_size) {
  JobBuilder job;
  auto out = std::make_shared<Collected<Result>>();
  Build(job, input, s, bound, out, nullptr, 0);
  JobRunOptions o;
  o.parallelism = parallelism;
  o.runtime.batch_size = batch_size;
  o.runtime.channel_capacity = 4;
  Status st = job.Run(o);
  EXPECT_TRUE(st.ok()) << st.ToString();
  auto v = out->values();
  std::sort(v.begin(), v.end());
  return v;
}

TEST(DifferentialTest, RandomGraphsMatchTheReferenceAtParallelism1_2_4) {
  std::mt19937_64 rng(20261125);
  for (int round = 0; round < 40; ++round) {
    const int64_t bound = static_cast<int64_t>(rng() % 200);
    const auto input = RandomInput(rng, 3000 + rng() % 3000, bound);
    const Shape shape = RandomShape(rng);
    const size_t batch = 1 + rng() % 300;
    const auto want = Reference(input, shape);
    ASSERT_GT(want.size(), 10u) << "round " << round;  // a comparison that means something
    for (int p : {1, 2, 4}) {
      EXPECT_EQ(RunJob(input, shape, p, bound, batch), want)
          << "round " << round << " parallelism " << p << " window kind " << static_cast<int>(shape.window.kind)
          << (shape.process ? " (process)" : "") << " size " << shape.window.size_ms << " slide "
          << shape.window.slide_ms << " gap "
          << shape.window.gap_ms;
    }
  }
}

// Runs the graph with `failures`, restarting from the last checkpoint
// (taken every few ms) at a random parallelism after each; returns the
// committed output and how many restarts there were.
std::pair<std::vector<Result>, int> RunWithFailures(const std::vector<Rec>& input, const Shape& s, int64_t bound,
                                                    const Failures& failures, std::mt19937_64& rng, bool* checkpointed) {
  JobBuilder job;
  auto out = std::make_shared<Collected<Result>>();
  // About 150 ms per run: the interval leaves room for a dozen checkpoints.
  Build(job, input, s, bound, out, &failures, static_cast<double>(input.size()) / 0.15);
  std::shared_ptr<const engine::LoadedCheckpoint> last;
  int restarts = 0;
  for (;;) {
    JobRunOptions o;
    o.parallelism = static_cast<int>(rng() % 3) + 1;
    o.runtime.batch_size = 1 + rng() % 100;
    o.runtime.channel_capacity = 4;
    o.runtime.checkpoints.interval_ms = 5 + static_cast<int64_t>(rng() % 10);
    o.runtime.checkpoints.restore = last;
    auto j = job.Start(o);
    EXPECT_TRUE(j.ok()) << j.status().ToString();
    if (!j.ok()) break;
    Status st = (*j)->Wait();
    if (st.ok()) break;
    EXPECT_NE(st.message().find("injected failure"), std::string::npos) << st.ToString();
    if (restarts++ > static_cast<int>(failures.at.size())) break;
    auto next = (*j)->last_checkpoint();
    if (next && next != last) *checkpointed = true;
    last = next;
  }
  auto v = out->values();
  std::sort(v.begin(), v.end());
  return {v, restarts};
}

TEST(DifferentialTest, RandomGraphsWithFailuresRestartFromCheckpointsExactly) {
  std::mt19937_64 rng(20261202);
  int restored = 0;
  for (int round = 0; round < 16; ++round) {
    const int64_t bound = static_cast<int64_t>(rng() % 200);
    const auto input = RandomInput(rng, 3000 + rng() % 3000, bound);
    const Shape shape = RandomShape(rng);
    const auto want = Reference(input, shape);
    ASSERT_GT(want.size(), 10u) << "round " << round;
    Failures failures;
    const int64_t records = static_cast<int64_t>(input.size()) * (shape.union_copy ? 2 : 1);
    for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) {
      failures.at.push_back(1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(records)));
    }
    bool checkpointed = false;
    auto [got, restarts] = RunWithFailures(input, shape, bound, failures, rng, &checkpointed);
    EXPECT_GE(restarts, 1) << "round " << round;
    restored += checkpointed;
    EXPECT_EQ(got, want) << "round " << round << " window kind " << static_cast<int>(shape.window.kind)
                         << (shape.process ? " (process)" : "") << " size " << shape.window.size_ms << " slide "
          << shape.window.slide_ms << " gap "
                         << shape.window.gap_ms << " restarts " << restarts;
  }
  // Most rounds failed after a checkpoint (the rest restarted from nothing).
  EXPECT_GE(restored, 8);
}

}  // namespace
}  // namespace rivulet::operators
