// Window semantics through the runtime at parallelism 1: boundaries,
// sliding overlaps, lateness (dropped, counted, handled, or updating a
// fired window within the allowed lateness), and session merging.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "engine/metrics.h"
#include "operators/stream.h"

namespace rivulet::operators {
namespace {

using KV = std::pair<std::string, int64_t>;  // key, timestamp
using R = WindowResult<std::string, int64_t>;

struct Setup {
  JobBuilder job;
  std::shared_ptr<Collected<R>> out = std::make_shared<Collected<R>>();
  std::vector<KV> late;
};

// Runs key-count windows over `input` in order, one record per batch (so
// a watermark follows every record).
std::vector<R> CountWindows(const std::vector<KV>& input, WindowSpec spec, int64_t bound,
                            std::vector<KV>* late = nullptr) {
  JobBuilder job;
  auto out = std::make_shared<Collected<R>>();
  auto late_seen = std::make_shared<std::vector<KV>>();
  job.FromCollection<KV>("in", input, [](const KV& kv) { return kv.second; },
                         WatermarkStrategy::BoundedOutOfOrderness(bound))
      .KeyBy([](const KV& kv) { return kv.first; })
      .Window(spec)
      .OnLate([late_seen](const KV& kv, Timestamp) { late_seen->push_back(kv); })
      .Aggregate("count", Count{})
      .CollectInto("out", out);
  JobRunOptions o;
  o.parallelism = 1;
  o.runtime.batch_size = 1;
  Status st = job.Run(o);
  EXPECT_TRUE(st.ok()) << st.ToString();
  if (late) *late = *late_seen;
  return out->values();  // in emission order (one instance)
}

TEST(WindowTest, TumblingBoundariesAreStartInclusiveEndExclusive) {
  auto r = CountWindows({{"a", 0}, {"a", 999}, {"a", 1000}, {"b", 500}, {"a", 1999}, {"a", 2000}}, Tumbling(1000),
                        /*bound=*/10000);
  std::sort(r.begin(), r.end());
  EXPECT_EQ(r, (std::vector<R>{{"a", 0, 1000, 2}, {"a", 1000, 2000, 2}, {"a", 2000, 3000, 1}, {"b", 0, 1000, 1}}));
}

TEST(WindowTest, NegativeTimestampsFallInTheRightWindow) {
  auto r = CountWindows({{"a", -1}, {"a", -1000}, {"a", -1001}, {"a", 0}}, Tumbling(1000), 10000);
  std::sort(r.begin(), r.end());
  EXPECT_EQ(r, (std::vector<R>{{"a", -2000, -1000, 1}, {"a", -1000, 0, 2}, {"a", 0, 1000, 1}}));
}

TEST(WindowTest, SlidingWindowsOverlap) {
  // size 3 s, slide 1 s: a record is in three windows.
  auto r = CountWindows({{"a", 2500}, {"a", 3500}}, Sliding(3000, 1000), 10000);
  std::sort(r.begin(), r.end());
  EXPECT_EQ(r, (std::vector<R>{{"a", 0, 3000, 1},
                               {"a", 1000, 4000, 2},
                               {"a", 2000, 5000, 2},
                               {"a", 3000, 6000, 1}}));
}

TEST(WindowTest, SlidingWithSlideNotDividingSize) {
  // size 5, slide 2 (panes of 1): windows [2k, 2k+5).
  auto r = CountWindows({{"a", 0}, {"a", 4}, {"a", 5}}, Sliding(5, 2), 100);
  std::sort(r.begin(), r.end());
  EXPECT_EQ(r, (std::vector<R>{{"a", -4, 1, 1}, {"a", -2, 3, 1}, {"a", 0, 5, 2}, {"a", 2, 7, 2}, {"a", 4, 9, 2}}));
}

TEST(WindowTest, WindowsFireInOrderAsTheWatermarkPasses) {
  // Bound 0: the watermark after a record at t is t - 1.
  auto r = CountWindows({{"a", 100}, {"a", 1100}, {"a", 2100}}, Tumbling(1000), 0);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0], (R{"a", 0, 1000, 1}));
  EXPECT_EQ(r[1], (R{"a", 1000, 2000, 1}));
  EXPECT_EQ(r[2], (R{"a", 2000, 3000, 1}));
}

TEST(WindowTest, LateRecordsAreCountedAndHandedOverNotSilentlyDropped) {
  std::vector<KV> late;
  auto r = CountWindows({{"a", 5000}, {"a", 1000}, {"a", 4999}, {"a", 5500}}, Tumbling(1000), 0, &late);
  std::sort(r.begin(), r.end());
  EXPECT_EQ(r, (std::vector<R>{{"a", 5000, 6000, 2}}));
  EXPECT_EQ(late, (std::vector<KV>{{"a", 1000}, {"a", 4999}}));
}

TEST(WindowTest, AllowedLatenessUpdatesAFiredWindow) {
  std::vector<KV> late;
  auto r = CountWindows({{"a", 500}, {"a", 2500}, {"a", 700}, {"a", 9000}, {"a", 800}},
                        Tumbling(1000).AllowedLateness(5000), 0, &late);
  // [0,1000) fires with 1 when the watermark passes 999, again with 2
  // when the record at 700 comes within the lateness; the record at 800
  // comes after the watermark passed 999 + 5000: late.
  ASSERT_GE(r.size(), 3u);
  EXPECT_EQ(r[0], (R{"a", 0, 1000, 1}));
  EXPECT_EQ(r[1], (R{"a", 0, 1000, 2}));
  std::sort(r.begin(), r.end());
  EXPECT_EQ(r, (std::vector<R>{{"a", 0, 1000, 1}, {"a", 0, 1000, 2}, {"a", 2000, 3000, 1}, {"a", 9000, 10000, 1}}));
  EXPECT_EQ(late, (std::vector<KV>{{"a", 800}}));
}

TEST(WindowTest, SlidingWindowsWithLatenessUpdateFiredAndLaterWindows) {
  std::vector<KV> late;
  // The record at 1500 comes after the windows ending at 1000 and 2000
  // fired: within the lateness it updates [-1000,2000) and must count in
  // the later windows [0,3000) and [1000,4000) too.
  auto r = CountWindows({{"a", 500}, {"a", 2500}, {"a", 1500}, {"a", 3500}}, Sliding(3000, 1000).AllowedLateness(10000),
                        0, &late);
  EXPECT_TRUE(late.empty());
  EXPECT_EQ(r, (std::vector<R>{{"a", -2000, 1000, 1},
                               {"a", -1000, 2000, 1},
                               {"a", -1000, 2000, 2},
                               {"a", 0, 3000, 3},
                               {"a", 1000, 4000, 3},
                               {"a", 2000, 5000, 2},
                               {"a", 3000, 6000, 1}}));
}

TEST(WindowTest, SessionsMergeWhenARecordBridgesTheGap) {
  auto r = CountWindows({{"a", 0}, {"a", 500}, {"a", 3000}, {"a", 1400}, {"b", 100}}, Session(1000), 100000);
  std::sort(r.begin(), r.end());
  EXPECT_EQ(r, (std::vector<R>{{"a", 0, 2400, 3}, {"a", 3000, 4000, 1}, {"b", 100, 1100, 1}}));
}

TEST(WindowTest, SessionGapIsExclusive) {
  // 0 and 1000 with gap 1000: [0,1000) and [1000,2000) touch but do not overlap.
  auto r = CountWindows({{"a", 0}, {"a", 1000}}, Session(1000), 100000);
  std::sort(r.begin(), r.end());
  EXPECT_EQ(r, (std::vector<R>{{"a", 0, 1000, 1}, {"a", 1000, 2000, 1}}));
}

// A record inside a session that keeps its bounds (here: a repeated
// timestamp) must not leave a second timer behind: with allowed lateness
// that timer would drop the fired session early, and later records within
// the lateness would start a new, partial session instead of updating it.
TEST(WindowTest, FiredSessionIsUpdatedWithinTheAllowedLateness) {
  std::vector<KV> late;
  auto r = CountWindows({{"a", 0}, {"a", 0}, {"a", 3000}, {"a", 0}, {"a", 500}},
                        Session(1000).AllowedLateness(5000), 0, &late);
  std::sort(r.begin(), r.end());
  EXPECT_EQ(r, (std::vector<R>{{"a", 0, 1000, 2},      // fired when the watermark passed 999
                               {"a", 0, 1000, 3},      // 0 again, late: inside it, fired again
                               {"a", 0, 1500, 4},      // 500: extends it to 1500, fired again
                               {"a", 3000, 4000, 1}}));
  EXPECT_TRUE(late.empty());
}

TEST(WindowTest, WindowsThatCannotRunAreErrorsNamingTheOperator) {
  for (const WindowSpec& spec : {Tumbling(0), Sliding(1000, 0), Sliding(-5, 1), Session(0),
                                 Tumbling(1000).AllowedLateness(-1)}) {
    JobBuilder job;
    auto out = std::make_shared<Collected<R>>();
    job.FromCollection<KV>("in", {{"a", 1}}, [](const KV& kv) { return kv.second; })
        .KeyBy([](const KV& kv) { return kv.first; })
        .Window(spec)
        .Aggregate("count", Count{})
        .CollectInto("out", out);
    Status st = job.Run({});
    EXPECT_EQ(st.code(), Errc::kInvalidArgument);
    EXPECT_EQ(st.message().rfind("'count': ", 0), 0u) << st.message();
    EXPECT_TRUE(out->values().empty());
  }
}

TEST(WindowTest, LateSessionRecordIsCounted) {
  std::vector<KV> late;
  auto r = CountWindows({{"a", 5000}, {"a", 100}}, Session(1000), 0, &late);
  EXPECT_EQ(r, (std::vector<R>{{"a", 5000, 6000, 1}}));
  EXPECT_EQ(late, (std::vector<KV>{{"a", 100}}));
}

TEST(WindowTest, AggregatesSumMinMaxAvg) {
  JobBuilder job;
  using V = std::pair<std::string, double>;
  std::vector<V> in = {{"a", 1}, {"a", 4}, {"a", -2}, {"b", 10}};
  auto field = [](const V& v) { return v.second; };
  auto sum = std::make_shared<Collected<WindowResult<std::string, double>>>();
  auto mn = std::make_shared<Collected<WindowResult<std::string, double>>>();
  auto mx = std::make_shared<Collected<WindowResult<std::string, double>>>();
  auto avg = std::make_shared<Collected<WindowResult<std::string, double>>>();
  auto src = job.FromCollection<V>("in", in, [](const V&) { return Timestamp{0}; });
  auto keyed = src.Rebalance("spread").KeyBy([](const V& v) { return v.first; });
  auto s1 = job.FromCollection<V>("in1", in, [](const V&) { return Timestamp{0}; });
  auto s2 = job.FromCollection<V>("in2", in, [](const V&) { return Timestamp{0}; });
  auto s3 = job.FromCollection<V>("in3", in, [](const V&) { return Timestamp{0}; });
  keyed.Window(Tumbling(10)).Aggregate("sum", SumOf(field)).CollectInto("o1", sum);
  s1.KeyBy([](const V& v) { return v.first; }).Window(Tumbling(10)).Aggregate("min", MinOf(field)).CollectInto("o2", mn);
  s2.KeyBy([](const V& v) { return v.first; }).Window(Tumbling(10)).Aggregate("max", MaxOf(field)).CollectInto("o3", mx);
  s3.KeyBy([](const V& v) { return v.first; }).Window(Tumbling(10)).Aggregate("avg", AvgOf(field)).CollectInto("o4", avg);
  JobRunOptions o;
  o.parallelism = 2;
  ASSERT_TRUE(job.Run(o).ok());
  auto sorted = [](auto c) {
    auto v = c->values();
    std::sort(v.begin(), v.end());
    return v;
  };
  using W = WindowResult<std::string, double>;
  EXPECT_EQ(sorted(sum), (std::vector<W>{{"a", 0, 10, 3}, {"b", 0, 10, 10}}));
  EXPECT_EQ(sorted(mn), (std::vector<W>{{"a", 0, 10, -2}, {"b", 0, 10, 10}}));
  EXPECT_EQ(sorted(mx), (std::vector<W>{{"a", 0, 10, 4}, {"b", 0, 10, 10}}));
  EXPECT_EQ(sorted(avg), (std::vector<W>{{"a", 0, 10, 1}, {"b", 0, 10, 10}}));
}

TEST(WindowTest, WindowFunctionSeesEveryRecordOfTheWindow) {
  JobBuilder job;
  auto out = std::make_shared<Collected<std::string>>();
  std::vector<KV> in = {{"a", 10}, {"b", 20}, {"a", 30}, {"a", 1500}, {"a", 2600}};
  job.FromCollection<KV>("in", in, [](const KV& kv) { return kv.second; },
                         WatermarkStrategy::BoundedOutOfOrderness(10000))
      .KeyBy([](const KV& kv) { return kv.first; })
      .Window(Sliding(2000, 1000))
      .Apply("describe", [](const std::string& key, Timestamp start, Timestamp end, const std::vector<KV>& recs) {
        std::string s = key + "[" + std::to_string(start) + "," + std::to_string(end) + "):";
        std::vector<int64_t> ts;
        for (const auto& r : recs) ts.push_back(r.second);
        std::sort(ts.begin(), ts.end());
        for (auto t : ts) s += " " + std::to_string(t);
        return s;
      })
      .CollectInto("out", out);
  JobRunOptions o;
  o.parallelism = 2;
  ASSERT_TRUE(job.Run(o).ok());
  auto v = out->values();
  std::sort(v.begin(), v.end());
  EXPECT_EQ(v, (std::vector<std::string>{"a[-1000,1000): 10 30", "a[0,2000): 10 30 1500", "a[1000,3000): 1500 2600",
                                         "a[2000,4000): 2600", "b[-1000,1000): 20", "b[0,2000): 20"}));
}

TEST(WindowTest, LateRecordsShowInTheMetrics) {
  JobBuilder job;
  auto out = std::make_shared<Collected<R>>();
  std::vector<KV> in = {{"a", 5000}, {"a", 1000}, {"a", 4999}, {"a", 5500}};
  job.FromCollection<KV>("in", in, [](const KV& kv) { return kv.second; }, WatermarkStrategy::BoundedOutOfOrderness(0))
      .KeyBy([](const KV& kv) { return kv.first; })
      .Window(Tumbling(1000))
      .Aggregate("count", Count{})
      .CollectInto("out", out);
  engine::JobMetrics metrics;
  JobRunOptions o;
  o.parallelism = 1;
  o.runtime.batch_size = 1;
  o.runtime.metrics = &metrics;
  ASSERT_TRUE(job.Run(o).ok());
  EXPECT_EQ(metrics.operators[1]->late_records.load(), 2u);
  EXPECT_NE(metrics.PrometheusText().find("rivulet_operator_late_records_total{job=\"\",operator=\"count\"} 2\n"),
            std::string::npos)
      << metrics.PrometheusText();
}

}  // namespace
}  // namespace rivulet::operators

namespace rivulet::operators {
namespace {

// ProcessingTime(): records stamped with the wall clock whatever their
// event time (here far in the past, and out of order), and watermarks from
// the clock, so a processing-time window holds them all and fires.
TEST(WindowTest, ProcessingTimeRestampsRecordsAndWindowsFollowTheClock) {
  std::vector<KV> in;
  for (int i = 0; i < 5000; ++i) in.push_back({i % 2 ? "a" : "b", (i * 7919) % 1000});
  JobBuilder job;
  auto out = std::make_shared<Collected<R>>();
  const int64_t before = engine::WallClockMs();
  job.FromCollection<KV>("in", in, [](const KV& kv) { return kv.second; }, WatermarkStrategy::BoundedOutOfOrderness(0))
      .ProcessingTime("processing time")
      .KeyBy([](const KV& kv) { return kv.first; })
      .Window(Tumbling(3'600'000))
      .Aggregate("count", Count{})
      .CollectInto("out", out);
  engine::JobMetrics metrics;
  JobRunOptions o;
  o.parallelism = 2;
  o.runtime.metrics = &metrics;
  ASSERT_TRUE(job.Run(o).ok());
  const int64_t after = engine::WallClockMs();
  int64_t total = 0;
  for (const auto& r : out->values()) {
    total += r.value;
    EXPECT_LE(r.start, after);
    EXPECT_GT(r.end, before) << "a window of event time, not of the clock";
  }
  EXPECT_EQ(total, 5000);
  uint64_t late = 0;
  for (const auto& m : metrics.operators) late += m->late_records.load();
  EXPECT_EQ(late, 0u) << "event time out of order must not matter after ProcessingTime";
}

}  // namespace
}  // namespace rivulet::operators
