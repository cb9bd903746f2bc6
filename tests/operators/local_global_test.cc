// Two-phase window aggregation (operators/local_global.h): when the planner
// splits, what the local phase hands on and when, and that a split job
// gives the one-phase job's results, late counts and checkpoints.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "engine/metrics.h"
#include "operators/stream.h"
#include "testing/harness.h"

namespace rivulet::operators {
namespace {

using Counted = WindowResult<int, int64_t>;

struct Rec {
  int key;
  int64_t ts;
  int id = 0;
  bool operator==(const Rec&) const = default;
  auto operator<=>(const Rec&) const = default;
};

std::string ExplainCount(int parallelism, engine::PlanOptions options, WindowSpec spec, bool on_late = false) {
  JobBuilder job;
  auto windowed = job.FromCollection<Rec>("recs", {{1, 1}}, [](const Rec& r) { return r.ts; })
                      .KeyBy([](const Rec& r) { return r.key; })
                      .Window(spec);
  if (on_late) windowed.OnLate([](const Rec&, Timestamp) {});
  windowed.Aggregate("count", Count{}).Sink("out", [](Batch<Counted>&) {});
  auto plan = job.Plan(parallelism, options);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return engine::Explain(job.graph(), *plan);
}

TEST(LocalGlobalTest, PlannedWhereRecordsCrossAnExchange) {
  const std::string split = ExplainCount(2, {}, Tumbling(10));
  EXPECT_NE(split.find("recs [source] -> count [local pre-aggregation]"), std::string::npos) << split;
  EXPECT_NE(split.find("count [tumbling window, global]"), std::string::npos) << split;
  EXPECT_NE(split.find("hash of partials"), std::string::npos) << split;
  EXPECT_NE(ExplainCount(2, {}, Sliding(10, 5)).find("local pre-aggregation"), std::string::npos);
  // One instance on each side: chained, nothing to save.
  EXPECT_EQ(ExplainCount(1, {}, Tumbling(10)).find("local"), std::string::npos);
  EXPECT_EQ(ExplainCount(2, {.local_global = false}, Tumbling(10)).find("local"), std::string::npos);
  // Sessions merge by gaps, and a late handler wants the records.
  EXPECT_EQ(ExplainCount(2, {}, Session(10)).find("local"), std::string::npos);
  EXPECT_EQ(ExplainCount(2, {}, Tumbling(10), /*on_late=*/true).find("local"), std::string::npos);
}

TEST(LocalGlobalTest, NotPlannedForCollectAllOrAnInputWithOtherConsumers) {
  JobBuilder job;
  auto recs = job.FromCollection<Rec>("recs", {{1, 1}}, [](const Rec& r) { return r.ts; });
  recs.KeyBy([](const Rec& r) { return r.key; })
      .Window(Tumbling(10))
      .Apply("all", [](int, Timestamp, Timestamp, const std::vector<Rec>& v) { return v.size(); })
      .Sink("out", [](Batch<size_t>&) {});
  auto plan = job.Plan(2);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(engine::Explain(job.graph(), *plan).find("local"), std::string::npos);

  JobBuilder fan;
  auto in = fan.FromCollection<Rec>("recs", {{1, 1}}, [](const Rec& r) { return r.ts; });
  in.KeyBy([](const Rec& r) { return r.key; }).Window(Tumbling(10)).Aggregate("count", Count{}).Sink("a", [](Batch<Counted>&) {});
  in.Sink("b", [](Batch<Rec>&) {});
  auto fan_plan = fan.Plan(2);
  ASSERT_TRUE(fan_plan.ok());
  EXPECT_EQ(engine::Explain(fan.graph(), *fan_plan).find("local"), std::string::npos);
}

// What the local phase sends, with watermarks and the end, as text.
class Recorder final : public engine::Receiver<Partial<int, int64_t>> {
 public:
  void OnBatch(Batch<Partial<int, int64_t>>& b) override {
    for (const auto& e : b) log.push_back(std::to_string(e.value.key) + "@" + std::to_string(e.ts) + "=" + std::to_string(e.value.acc));
  }
  void OnWatermark(Timestamp w) override { log.push_back("wm " + std::to_string(w)); }
  void OnEnd() override { log.push_back("end"); }
  std::vector<std::string> log;
};

struct KeyOf {
  int operator()(const Rec& r) const { return r.key; }
};

void Send(Receiver<Rec>& to, std::vector<Rec> recs) {
  Batch<Rec> b;
  for (const Rec& r : recs) b.push_back({r.ts, r});
  to.OnBatch(b);
}

TEST(LocalGlobalTest, LocalPhaseHandsOnPanesAsTheirWindowsClose) {
  Recorder rec;
  // Sliding 10/5: panes of 5; pane [0,5) is first in window [-5,5), which
  // the watermark 4 completes; pane [5,10) waits for 9.
  LocalWindowAggregate<Rec, KeyOf, Count> local(engine::Port::Of<Partial<int, int64_t>>(&rec), KeyOf{}, Count{},
                                                Sliding(10, 5));
  Send(local, {{1, 1}, {1, 3}, {2, 7}, {1, 2}});
  EXPECT_TRUE(rec.log.empty());  // all held
  local.OnWatermark(4);
  EXPECT_EQ(rec.log, (std::vector<std::string>{"1@3=3", "wm 4"}));
  rec.log.clear();
  // At or behind the watermark: on at once, one record each, judged by
  // the window operator.
  Send(local, {{1, 4}, {3, 0}, {2, 8}});
  EXPECT_EQ(rec.log, (std::vector<std::string>{"1@4=1", "3@0=1"}));
  rec.log.clear();
  local.Flush();  // before idle or a barrier: everything
  EXPECT_EQ(rec.log, (std::vector<std::string>{"2@8=2"}));
  rec.log.clear();
  Send(local, {{5, 12}});
  local.OnEnd();
  EXPECT_EQ(rec.log, (std::vector<std::string>{"5@12=1", "end"}));
}

TEST(LocalGlobalTest, LocalPhaseHoldsAtMostItsBound) {
  Recorder rec;
  LocalWindowAggregate<Rec, KeyOf, Count> local(engine::Port::Of<Partial<int, int64_t>>(&rec), KeyOf{}, Count{},
                                                Tumbling(100), /*max_held=*/2);
  Send(local, {{1, 1}, {1, 2}, {2, 3}, {3, 4}, {3, 5}});
  // Two keys held: handed on (in the hash map's order); then key 3 alone (held).
  std::sort(rec.log.begin(), rec.log.end());
  EXPECT_EQ(rec.log, (std::vector<std::string>{"1@2=2", "2@3=1"}));
  local.OnEnd();
  EXPECT_EQ(rec.log.back(), "end");
  EXPECT_EQ(rec.log[2], "3@5=2");
}

// The ids of a window's records in arrival order: an aggregate whose
// result depends on order (split, unlike CollectAll).
struct Arrivals {
  using Acc = std::vector<int>;
  using Out = std::string;  // "3,1,2"
  Acc Create() const { return {}; }
  void Add(Acc& a, const Rec& r) const { a.push_back(r.id); }
  void Merge(Acc& a, const Acc& b) const { a.insert(a.end(), b.begin(), b.end()); }
  Out Result(const Acc& a) const {
    std::string s;
    for (int id : a) s += (s.empty() ? "" : ",") + std::to_string(id);
    return s;
  }
};

// Out-of-order records, some beyond the bound and some within the allowed
// lateness, from one source instance (so that lateness is deterministic)
// into a window at `parallelism`: results (updates included) and late
// counts.
template <typename Agg>
struct Outcome {
  std::vector<WindowResult<int, typename Agg::Out>> results;
  uint64_t late = 0;
};
template <typename Agg = Count>
Outcome<Agg> RunAgg(const std::vector<Rec>& input, WindowSpec spec, int parallelism, bool local_global, Agg agg = {}) {
  using R = WindowResult<int, typename Agg::Out>;
  JobBuilder job;
  auto out = std::make_shared<Collected<R>>();
  job.FromCollection<Rec>("recs", input, [](const Rec& r) { return r.ts; },
                          WatermarkStrategy::BoundedOutOfOrderness(20))
      .SetParallelism(1)
      .KeyBy([](const Rec& r) { return r.key; })
      .Window(spec)
      .Aggregate("agg", agg)
      .CollectInto("out", out);
  engine::JobMetrics metrics;
  JobRunOptions o;
  o.parallelism = parallelism;
  o.plan.local_global = local_global;
  o.runtime.metrics = &metrics;
  o.runtime.batch_size = 64;  // many watermarks
  EXPECT_TRUE(job.Run(o).ok());
  Outcome<Agg> r{out->values(), metrics.operators[1]->late_records.load()};
  std::sort(r.results.begin(), r.results.end());
  return r;
}

std::vector<Rec> DisorderedInput() {
  std::mt19937_64 rng(7);
  std::vector<Rec> input;
  for (int i = 0; i < 20000; ++i) {
    int64_t ts = i / 4 - static_cast<int64_t>(rng() % 30);  // up to 30 behind: some beyond the bound of 20
    if (rng() % 200 == 0) ts -= 150;                       // and a few far behind
    input.push_back(Rec{static_cast<int>(rng() % 37), ts, i});
  }
  return input;
}

TEST(LocalGlobalTest, SameResultsAndLateCountsAsOnePhase) {
  const std::vector<Rec> input = DisorderedInput();
  // Tumbling, sliding, and sliding with gaps between windows (slide > size).
  for (WindowSpec spec : {Tumbling(100).AllowedLateness(50), Sliding(100, 25).AllowedLateness(50), Tumbling(50),
                          Sliding(40, 100).AllowedLateness(30), Sliding(7, 10)}) {
    const auto one = RunAgg(input, spec, 1, true);
    ASSERT_GT(one.late, 0u);
    ASSERT_GT(one.results.size(), 37u * 5000 / 100 * spec.size_ms / spec.slide_ms / 2);  // windows fired
    for (int p : {2, 4}) {
      const auto split = RunAgg(input, spec, p, true);
      const auto whole = RunAgg(input, spec, p, false);
      EXPECT_EQ(split.results, one.results) << "parallelism " << p << " size " << spec.size_ms << " slide " << spec.slide_ms;
      EXPECT_EQ(split.late, one.late) << "parallelism " << p << " size " << spec.size_ms << " slide " << spec.slide_ms;
      EXPECT_EQ(whole.results, one.results);
      EXPECT_EQ(whole.late, one.late);
    }
  }
}

// Records of a key and window reach an order-sensitive aggregate in the
// order they came, late ones (sent on alone) included.
TEST(LocalGlobalTest, OrderPerKeyAndWindowIsKept) {
  const std::vector<Rec> input = DisorderedInput();
  for (WindowSpec spec : {Tumbling(100).AllowedLateness(50), Sliding(100, 25).AllowedLateness(50)}) {
    const auto one = RunAgg(input, spec, 1, true, Arrivals{});
    ASSERT_GT(one.late, 0u);
    for (int p : {2, 4}) {
      const auto split = RunAgg(input, spec, p, true, Arrivals{});
      EXPECT_EQ(split.results, one.results) << "parallelism " << p << " slide " << spec.slide_ms;
      EXPECT_EQ(split.late, one.late);
    }
  }
}

// A checkpoint taken in one form restores in the other: the local phase
// hands what it holds on before the barrier, the global phase keeps the
// one-phase layout.
TEST(LocalGlobalTest, CheckpointsRestoreAcrossPhases) {
  testing::Harness h({.parallelism = 1});
  auto in = h.Input<Rec>("recs");
  auto out = h.Output(in.stream()
                          .KeyBy([](const Rec& r) { return r.key; })
                          .Window(Tumbling(100))
                          .Aggregate("count", Count{}),
                      "counts");
  ASSERT_TRUE(h.Start().ok());
  auto send = [&](int64_t from, int n) {
    for (int i = 0; i < n; ++i) in.Send(Rec{i % 5, from + i % 100}, from + i % 100);
  };
  auto expect_counts = [&](int64_t start, int64_t each) {
    std::vector<Counted> got;
    for (const Counted& c : out.Values()) {
      if (c.start == start) got.push_back(c);
    }
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got.size(), 5u);
    for (int k = 0; k < 5; ++k) EXPECT_EQ(got[static_cast<size_t>(k)], (Counted{k, start, start + 100, each}));
  };
  send(0, 50);  // one phase holds them in the window's state
  ASSERT_TRUE(h.Checkpoint().ok());
  send(0, 50);
  ASSERT_TRUE(h.Restart(2).ok());  // two phases from here; the 50 after the checkpoint again
  ASSERT_TRUE(h.AdvanceWatermark(99).ok());
  expect_counts(0, 20);
  send(100, 50);  // held by the local phases until the barrier
  ASSERT_TRUE(h.Checkpoint().ok());
  send(100, 50);
  ASSERT_TRUE(h.Restart(1).ok());
  ASSERT_TRUE(h.AdvanceWatermark(199).ok());
  expect_counts(100, 20);
  send(200, 50);
  ASSERT_TRUE(h.Checkpoint().ok());
  ASSERT_TRUE(h.Restart(3).ok());  // two phases, other key groups per instance
  ASSERT_TRUE(h.Finish().ok());
  expect_counts(200, 10);
}

// A two-instance source made by make(index, out) into a count per key in
// tumbling windows of 100 at parallelism 2; `fired` is set once window
// [0, 100) comes out. The results, sorted, and the window's late count.
struct ScriptedOutcome {
  std::vector<Counted> results;
  uint64_t late = 0;
};
template <typename MakeSource>
ScriptedOutcome RunScripted(MakeSource make, std::shared_ptr<std::atomic<bool>> fired, bool local_global) {
  JobBuilder job;
  auto results = std::make_shared<std::vector<Counted>>();  // both sink instances add, under mu
  auto mu = std::make_shared<std::mutex>();
  const int src = job.AddNode<Rec>("scripted", "source", {}, [make](int index, int, engine::Port out) {
    return make(index, out);
  }, /*source=*/true);
  Stream<Rec>(&job, src)
      .KeyBy([](const Rec& r) { return r.key; })
      .Window(Tumbling(100))
      .Aggregate("count", Count{})
      .Sink("out", [fired, results, mu](Batch<Counted>& b) {
        std::lock_guard<std::mutex> lock(*mu);
        for (auto& e : b) {
          results->push_back(e.value);
          if (e.value.start == 0) fired->store(true);
        }
      });
  JobRunOptions o;
  o.parallelism = 2;
  o.plan.local_global = local_global;
  auto plan = job.Plan(2, o.plan);
  EXPECT_TRUE(plan.ok());
  EXPECT_EQ(engine::Explain(job.graph(), *plan).find("local pre-aggregation") != std::string::npos, local_global);
  engine::JobMetrics metrics;
  o.runtime.metrics = &metrics;
  EXPECT_TRUE(job.Run(o).ok());
  ScriptedOutcome r{*results, metrics.operators[1]->late_records.load()};
  std::sort(r.results.begin(), r.results.end());
  return r;
}

// The busy instance of the scripted sources below: key 1 at 0..999, in
// batches of 100 each followed by its watermark. False once all are sent.
bool MoveEventTime(Receiver<Rec>* out, int64_t* sent) {
  if (*sent >= 1000) return false;
  Batch<Rec> b;
  for (int i = 0; i < 100; ++i, ++*sent) b.push_back({*sent, Rec{1, *sent}});
  out->OnBatch(b);
  out->OnWatermark(*sent - 1);
  return true;
}

// A source instance that sends one record and then idles, beside one that
// keeps event time moving: the idle one's record must reach its window
// before the window fires without it (it is handed on before the idle mark).
class ScriptedSource final : public engine::SourceInstance {
 public:
  ScriptedSource(engine::Port out, int index, std::shared_ptr<std::atomic<bool>> fired)
      : out_(out.As<Rec>()), index_(index), fired_(std::move(fired)) {}
  Poll PollRecords(size_t) override {
    if (fired_->load()) return Poll::kEnd;
    if (index_ == 0) {
      if (sent_ == 0) {
        Batch<Rec> b{{5, Rec{0, 5}}};
        out_->OnBatch(b);
        out_->OnWatermark(5);
        sent_ = 1;
        return Poll::kMore;
      }
      return Poll::kIdle;
    }
    if (MoveEventTime(out_, &sent_)) return Poll::kMore;
    return Poll::kIdle;
  }
  bool idle() const override { return index_ == 0 && sent_ > 0; }
  std::chrono::milliseconds retry_after() const override { return std::chrono::milliseconds(1); }
  void End() override { out_->OnEnd(); }

 private:
  Receiver<Rec>* out_;
  const int index_;
  std::shared_ptr<std::atomic<bool>> fired_;
  int64_t sent_ = 0;
};

TEST(LocalGlobalTest, IdleInstanceHandsOnWhatItHolds) {
  auto fired = std::make_shared<std::atomic<bool>>(false);
  const ScriptedOutcome got = RunScripted(
      [fired](int index, engine::Port out) { return std::make_unique<ScriptedSource>(out, index, fired); }, fired,
      /*local_global=*/true);
  EXPECT_EQ(got.late, 0u);
  ASSERT_FALSE(got.results.empty());
  EXPECT_EQ(got.results[0], (Counted{0, 0, 100, 1}));
}

// The window's watermark ahead of a local phase's: instance 0 is idle while
// instance 1 moves event time past window [0, 100); then instance 0 sends
// ten records at 5, which its local phase folds into one partial. The
// window counts ten late records, as it does for the ten records in one
// phase.
class LateAfterIdleSource final : public engine::SourceInstance {
 public:
  LateAfterIdleSource(engine::Port out, int index, std::shared_ptr<std::atomic<bool>> fired,
                      std::shared_ptr<std::atomic<bool>> late_sent)
      : out_(out.As<Rec>()), index_(index), fired_(std::move(fired)), late_sent_(std::move(late_sent)) {}
  Poll PollRecords(size_t) override {
    if (index_ == 0) {
      if (!fired_->load()) return Poll::kIdle;
      Batch<Rec> b;
      for (int i = 0; i < 10; ++i) b.push_back({5, Rec{0, 5, i}});
      out_->OnBatch(b);
      late_sent_->store(true);
      return Poll::kEnd;
    }
    if (MoveEventTime(out_, &sent_)) return Poll::kMore;
    return late_sent_->load() ? Poll::kEnd : Poll::kIdle;
  }
  bool idle() const override { return index_ == 0 && !fired_->load(); }
  std::chrono::milliseconds retry_after() const override { return std::chrono::milliseconds(1); }
  void End() override { out_->OnEnd(); }

 private:
  Receiver<Rec>* out_;
  const int index_;
  std::shared_ptr<std::atomic<bool>> fired_;
  std::shared_ptr<std::atomic<bool>> late_sent_;
  int64_t sent_ = 0;
};

TEST(LocalGlobalTest, RecordsFoldedBehindTheWindowsWatermarkCountAsTheirRecords) {
  for (bool local_global : {true, false}) {
    auto fired = std::make_shared<std::atomic<bool>>(false);
    auto late_sent = std::make_shared<std::atomic<bool>>(false);
    const ScriptedOutcome got = RunScripted(
        [fired, late_sent](int index, engine::Port out) {
          return std::make_unique<LateAfterIdleSource>(out, index, fired, late_sent);
        },
        fired, local_global);
    EXPECT_EQ(got.late, 10u) << (local_global ? "two phases" : "one phase");
    for (const Counted& c : got.results) EXPECT_NE(c.key, 0) << "the late records were dropped";
  }
}

}  // namespace
}  // namespace rivulet::operators
