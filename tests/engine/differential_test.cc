// Randomized differential tests: random inputs (random keys, timestamps
// out of order within the watermark bound) through random small graphs at
// parallelism 1, 2 and 4 must give exactly the results of a plain
// single-threaded reference implementation written here.
#include <gtest/gtest.h>

#include <map>
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
// session) summing values.
struct Shape {
  int64_t a, b, m, r;
  bool flat_map;
  bool union_copy;
  WindowSpec window;
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
  return s;
}

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

std::vector<Result> RunJob(const std::vector<Rec>& input, const Shape& s, int parallelism, int64_t bound,
                           size_t batch_size) {
  JobBuilder job;
  auto ts = [](const Rec& r) { return r.ts; };
  const auto wm = WatermarkStrategy::BoundedOutOfOrderness(bound);
  auto pipeline = [&](Stream<Rec> in, const std::string& suffix) {
    auto mapped = in.Map("map" + suffix, [a = s.a, b = s.b](const Rec& r) { return Rec{r.key, r.ts, r.value * a + b}; })
                      .Filter("filter" + suffix, [m = s.m, rem = s.r](const Rec& r) { return r.key % m != rem; });
    if (!s.flat_map) return mapped;
    return mapped.FlatMap<Rec>("flat_map" + suffix, [](const Rec& r, auto emit) {
      emit(r);
      emit(Rec{r.key + 100, r.ts, r.value / 2});
    });
  };
  // Collection sources split the input round robin; each instance's
  // subsequence keeps the out-of-orderness bound of the whole.
  Stream<Rec> stream = pipeline(job.FromCollection<Rec>("in", input, ts, wm), "");
  if (s.union_copy) {
    stream = stream.Union("union", {pipeline(job.FromCollection<Rec>("copy", input, ts, wm).SetParallelism(1), "2")});
  }
  auto out = std::make_shared<Collected<Result>>();
  stream.KeyBy([](const Rec& r) { return r.key; })
      .Window(s.window)
      .Aggregate("sum", SumOf([](const Rec& r) { return r.value; }))
      .CollectInto("out", out);
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
          << " size " << shape.window.size_ms << " slide " << shape.window.slide_ms << " gap "
          << shape.window.gap_ms;
    }
  }
}

}  // namespace
}  // namespace rivulet::operators
