// Checkpoints through the job handle: barriers, alignment, snapshots of
// sources and windows, restore at the same and at other parallelisms, the
// final checkpoint, stop-at-checkpoint, restarts after a failure, and
// checkpoints under backpressure. Every test compares the committed output
// (CommittedCollectSink: records count once their checkpoint completed)
// with a run without failure: equal, record for record.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <utility>

#include "operators/stream.h"
#include "tests/job_test_util.h"

namespace rivulet::operators {
namespace {

using engine::Job;
using engine::LoadedCheckpoint;

struct Rec {
  int64_t key = 0;
  int64_t ts = 0;
  int64_t value = 0;
};

Rec Make(uint64_t n) {
  // Time advances 1 ms per 10 records; keys cycle through 37 values.
  return Rec{static_cast<int64_t>(n % 37), static_cast<int64_t>(n / 10), static_cast<int64_t>(n % 1000)};
}

using Out = WindowResult<int64_t, double>;

// generator (rate-limited so that checkpoints fall inside the run) ->
// key_by -> window sum -> committed collect; `second` adds a second source
// through a union (a task with two inputs aligns barriers).
struct Pipeline {
  JobBuilder job;
  std::shared_ptr<Collected<Out>> out = std::make_shared<Collected<Out>>();

  Pipeline(int64_t count, double rate, WindowSpec window, bool second = false) {
    auto ts = [](const Rec& r) { return r.ts; };
    const auto wm = WatermarkStrategy::BoundedOutOfOrderness(0);
    Stream<Rec> in = job.FromGenerator("gen", Make, count, rate, ts, wm);
    if (second) {
      in = in.Union("union", {job.FromGenerator(
                                     "gen2", [](uint64_t n) { return Make(n * 3 + 1); }, count / 2, rate / 2, ts, wm)
                                  .SetParallelism(1)});
    }
    in.KeyBy([](const Rec& r) { return r.key; })
        .Window(window)
        .Aggregate("sum", SumOf([](const Rec& r) { return r.value; }))
        .CollectCommitted("out", out);
  }

  std::vector<Out> Sorted() {
    auto v = out->values();
    std::sort(v.begin(), v.end());
    return v;
  }
};

JobRunOptions Options(int parallelism, int64_t interval_ms, std::shared_ptr<const LoadedCheckpoint> restore = {}) {
  return testing::CheckpointedOptions(parallelism, interval_ms, std::move(restore));
}

std::vector<Out> Reference(int64_t count, WindowSpec window, bool second = false) {
  Pipeline p(count, 0, window, second);
  Status st = p.job.Run(Options(1, 0));
  EXPECT_TRUE(st.ok()) << st.ToString();
  return p.Sorted();
}

struct Rescale {
  int before;
  int after;
  WindowSpec window;
  bool second;
};

class CheckpointRestoreTest : public ::testing::TestWithParam<Rescale> {};

std::string RescaleName(const ::testing::TestParamInfo<Rescale>& info) {
  static const char* const kKinds[] = {"tumbling", "sliding", "session"};
  return std::string(kKinds[static_cast<int>(info.param.window.kind)]) + "_p" + std::to_string(info.param.before) +
         "_to_p" + std::to_string(info.param.after) + (info.param.second ? "_union" : "") + "_" +
         std::to_string(info.index);
}

// A job cancelled (as if killed) after a few checkpoints and started again
// from the last one, maybe at another parallelism: nothing lost, nothing
// twice.
TEST_P(CheckpointRestoreTest, CancelledAfterCheckpointsAndRestoredGivesTheSameResults) {
  const Rescale r = GetParam();
  constexpr int64_t kCount = 40'000;
  const auto want = Reference(kCount, r.window, r.second);
  ASSERT_GT(want.size(), 100u);

  Pipeline p(kCount, 100'000, r.window, r.second);  // about 0.4 s
  auto last = testing::CancelAfterCheckpoints(p.job, Options(r.before, 10), 3);
  ASSERT_NE(last, nullptr);
  const size_t committed_before = p.out->values().size();
  EXPECT_LT(committed_before, want.size()) << "the job was cancelled too late to test anything";

  auto again = p.job.Start(Options(r.after, 10, last));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  Status st = (*again)->Wait();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(p.Sorted(), want);
  EXPECT_EQ((*again)->metrics().checkpoints.restored_id.load(), last->info.id);
  auto final_checkpoint = (*again)->last_checkpoint();
  ASSERT_NE(final_checkpoint, nullptr);
  EXPECT_TRUE(final_checkpoint->info.final);
}

INSTANTIATE_TEST_SUITE_P(
    Windows, CheckpointRestoreTest,
    ::testing::Values(Rescale{1, 1, Tumbling(100), false}, Rescale{2, 2, Tumbling(100), false},
                      Rescale{2, 1, Tumbling(100), false}, Rescale{2, 4, Tumbling(100), false},
                      Rescale{1, 3, Sliding(300, 100), false}, Rescale{2, 2, Sliding(300, 100), true},
                      Rescale{2, 1, Session(3), true}, Rescale{1, 2, Session(3), false},
                      Rescale{2, 4, Tumbling(100).AllowedLateness(50), true}),
    RescaleName);

TEST(CheckpointTest, AFinishedJobRestoredFromItsFinalCheckpointEmitsNothingMore) {
  Pipeline p(5'000, 0, Tumbling(100));
  auto job = p.job.Start(Options(2, 1000));
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE((*job)->Wait().ok());
  auto last = (*job)->last_checkpoint();
  ASSERT_NE(last, nullptr);
  EXPECT_TRUE(last->info.final);
  const auto first = p.Sorted();
  EXPECT_EQ(first, Reference(5'000, Tumbling(100)));
  auto again = p.job.Start(Options(1, 1000, last));
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE((*again)->Wait().ok());
  EXPECT_EQ(p.Sorted(), first);
}

// CollectCommitted, the tests' exactly-once sink, driven by hand: a run
// stopped after checkpoint 2 was written but before its sinks heard that
// it completed; a restore from 2 (at another parallelism, twice) commits
// what 2 named, once; epoch 3, which no restored checkpoint names, stays
// unseen.
TEST(CheckpointTest, CommittedCollectCommitsWhatARestoredCheckpointNamedOnce) {
  auto into = std::make_shared<Collected<int64_t>>();
  std::vector<engine::StateEntry> checkpoint2;
  for (int instance = 0; instance < 2; ++instance) {
    CommittedCollectSink<int64_t> sink(into);
    sink.EnableCheckpoints({"job", "out", instance, 2});
    Batch<int64_t> first{{0, instance * 100 + 1}};
    sink.OnBatch(first);
    engine::SnapshotWriter w1;
    sink.Snapshot(1, w1);
    sink.CheckpointComplete(1);
    Batch<int64_t> second{{0, instance * 100 + 2}};
    sink.OnBatch(second);
    engine::SnapshotWriter w2;
    sink.Snapshot(2, w2);  // written; its completion never arrives
    for (auto& e : w2.entries()) checkpoint2.push_back(e);
    Batch<int64_t> third{{0, instance * 100 + 3}};
    sink.OnBatch(third);
    engine::SnapshotWriter w3;
    sink.Snapshot(3, w3);  // never completes
  }
  auto sorted = [&] {
    auto v = into->values();
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(), (std::vector<int64_t>{1, 101}));
  for (int again = 0; again < 2; ++again) {
    for (int instance = 0; instance < 3; ++instance) {
      CommittedCollectSink<int64_t> sink(into);
      sink.EnableCheckpoints({"job", "out", instance, 3});
      engine::RestoreContext ctx;
      ctx.entries = &checkpoint2;
      ctx.old_parallelism = 2;
      ctx.index = instance;
      ctx.parallelism = 3;
      sink.Restore(ctx);
    }
    EXPECT_EQ(sorted(), (std::vector<int64_t>{1, 2, 101, 102})) << "restore " << again;
  }
}

// Runs `parallelism` instances of a source, each made by make(i,
// parallelism) and restored from `entries` (none: fresh) taken at
// `old_parallelism`, polling instance i `polls[i]` times of `batch`
// records; returns their snapshot.
template <typename Make>
std::vector<engine::StateEntry> RunInstances(Make make, int parallelism, const std::vector<engine::StateEntry>* entries,
                                             int old_parallelism, std::vector<int> polls, size_t batch) {
  std::vector<engine::StateEntry> snapshot;
  for (int i = 0; i < parallelism; ++i) {
    auto src = make(i, parallelism);
    if (entries) testing::RestoreInstance(*src, *entries, old_parallelism, i, parallelism);
    for (int k = 0; k < polls[static_cast<size_t>(i)]; ++k) src->PollRecords(batch);
    engine::SnapshotWriter w;
    src->Snapshot(1, w);
    for (auto& e : w.entries()) snapshot.push_back(e);
  }
  return snapshot;
}

std::vector<int64_t> SortedValues(Collected<int64_t>& c) {
  auto v = c.values();
  std::sort(v.begin(), v.end());
  return v;
}

using Numbers = GeneratorSource<int64_t, int64_t (*)(uint64_t), std::nullptr_t>;
int64_t Number(uint64_t n) { return static_cast<int64_t>(n); }

// A generator restored at another parallelism twice in a row, each time
// checkpointed before it caught up with the old instance that was ahead:
// every sequence number is emitted once over the three runs. (Positions
// kept only as each instance's next lost what the instance ahead had
// emitted: the second restore emitted those again.)
TEST(CheckpointTest, AGeneratorRescaledTwiceBeforeCatchingUpEmitsEveryNumberOnce) {
  constexpr int64_t kCount = 1000;
  auto into = std::make_shared<Collected<int64_t>>();
  CollectSink<int64_t> sink(into);
  auto make = [&](int i, int p) {
    return std::make_unique<Numbers>(sink.input(0), &Number, kCount, 0, i, p, nullptr,
                                     WatermarkStrategy::BoundedOutOfOrderness(0));
  };
  // Instance 1 of 2 runs far ahead of instance 0.
  const auto first = RunInstances(make, 2, nullptr, 0, {1, 5}, 40);
  // At 3, a little each: still behind the old instance 1.
  const auto second = RunInstances(make, 3, &first, 2, {1, 1, 1}, 10);
  // At 1, to the end.
  RunInstances(make, 1, &second, 3, {1000}, 1000);
  std::vector<int64_t> want(kCount);
  std::iota(want.begin(), want.end(), 0);
  EXPECT_EQ(SortedValues(*into), want);
}

// Checkpoints written before the claims format (58befa3) hold one
// (index, next) pair per instance: still read, as claims of the
// checkpoint's parallelism.
TEST(CheckpointTest, AGeneratorRestoresFromTheOldIndexNextEntries) {
  constexpr int64_t kCount = 100;
  // At 2: instance 0 had emitted the even numbers below 10, instance 1 the
  // odd ones below 31.
  const std::vector<engine::StateEntry> old{
      {engine::kNoGroup, engine::EncodeState(std::pair<int64_t, int64_t>(0, 10))},
      {engine::kNoGroup, engine::EncodeState(std::pair<int64_t, int64_t>(1, 31))}};
  auto into = std::make_shared<Collected<int64_t>>();
  CollectSink<int64_t> sink(into);
  auto make = [&](int i, int p) {
    return std::make_unique<Numbers>(sink.input(0), &Number, kCount, 0, i, p, nullptr,
                                     WatermarkStrategy::BoundedOutOfOrderness(0));
  };
  RunInstances(make, 3, &old, 2, {1000, 1000, 1000}, 1000);
  std::vector<int64_t> want;
  for (int64_t n = 0; n < kCount; ++n) {
    if (!(n % 2 == 0 ? n < 10 : n < 31)) want.push_back(n);
  }
  EXPECT_EQ(SortedValues(*into), want);
}

// The same for a collection source, whose instances own blocks.
TEST(CheckpointTest, ACollectionRescaledTwiceBeforeCatchingUpEmitsEveryRecordOnce) {
  using Src = CollectionSource<int64_t, std::nullptr_t>;
  constexpr int64_t kCount = 9 * 4096 + 123;
  auto data = std::make_shared<std::vector<int64_t>>(kCount);
  std::iota(data->begin(), data->end(), 0);
  auto into = std::make_shared<Collected<int64_t>>();
  CollectSink<int64_t> sink(into);
  auto make = [&](int i, int p) {
    return std::make_unique<Src>(sink.input(0), data, i, p, nullptr, WatermarkStrategy::BoundedOutOfOrderness(0));
  };
  const auto first = RunInstances(make, 2, nullptr, 0, {1, 6}, 1000);
  const auto second = RunInstances(make, 3, &first, 2, {1, 1, 1}, 300);
  RunInstances(make, 1, &second, 3, {100000}, 100000);
  EXPECT_EQ(SortedValues(*into), *data);
}

// The checkpoint ids a sink saw: snapshots and completions, in order.
struct SeenIds {
  std::mutex mu;
  std::vector<int64_t> snapshots, completions;
};

template <typename T>
class IdRecordingSink final : public SinkOperator<T> {
 public:
  explicit IdRecordingSink(std::shared_ptr<SeenIds> seen, std::chrono::milliseconds first_snapshot_takes = {})
      : seen_(std::move(seen)), first_snapshot_takes_(first_snapshot_takes) {}
  void OnBatch(Batch<T>&) override {}
  void OnEnd() override {}
  void EnableCheckpoints(const engine::CheckpointScope&) override {}
  void Snapshot(int64_t id, engine::SnapshotWriter&) override {
    std::this_thread::sleep_for(std::exchange(first_snapshot_takes_, {}));
    std::lock_guard<std::mutex> lock(seen_->mu);
    seen_->snapshots.push_back(id);
  }
  void CheckpointComplete(int64_t id) override {
    std::lock_guard<std::mutex> lock(seen_->mu);
    seen_->completions.push_back(id);
  }

 private:
  std::shared_ptr<SeenIds> seen_;
  std::chrono::milliseconds first_snapshot_takes_;
};

// Sinks record checkpoint ids as their progress (SqliteJobSink's
// rivulet_sink_progress), so the final checkpoint's id must be an id like
// the others: after them, and before those of a later run on the same
// store.
TEST(CheckpointTest, TheFinalCheckpointsIdFollowsTheOthersAndOperatorsSeeIt) {
  std::shared_ptr<const LoadedCheckpoint> previous;
  for (int run = 0; run < 2; ++run) {
    JobBuilder job;
    auto seen = std::make_shared<SeenIds>();
    // 20,000 records at 100,000/s: about 200 ms, checkpoints every 20 ms.
    auto in = job.FromGenerator("gen", Make, 20'000, 100'000, [](const Rec& r) { return r.ts; },
                                WatermarkStrategy::BoundedOutOfOrderness(0));
    in.job()->template AddNode<void>("ids", "sink", {in.Forward()}, [seen](int, int, engine::Port) {
      return std::make_unique<IdRecordingSink<Rec>>(seen);
    });
    auto started = job.Start(Options(1, 20, previous));
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    ASSERT_TRUE((*started)->Wait().ok());
    auto last = (*started)->last_checkpoint();
    ASSERT_NE(last, nullptr);
    ASSERT_TRUE(last->info.final);
    const int64_t final_id = last->info.id;
    std::lock_guard<std::mutex> lock(seen->mu);
    ASSERT_FALSE(seen->snapshots.empty());
    EXPECT_TRUE(std::is_sorted(seen->snapshots.begin(), seen->snapshots.end()));
    EXPECT_EQ(seen->snapshots.back(), final_id) << "the final snapshot carries the final checkpoint's id";
    ASSERT_FALSE(seen->completions.empty());
    EXPECT_EQ(seen->completions.back(), final_id);
    if (!previous) {
      ASSERT_GE(seen->snapshots.size(), 3u) << "too few checkpoints during the run";
      EXPECT_LT(seen->snapshots[seen->snapshots.size() - 2], final_id);
    } else {
      // Restored from the final checkpoint (as a run that completes an
      // interrupted one's commits): only a new final one, after it.
      EXPECT_EQ(seen->snapshots.size(), 1u);
      EXPECT_GT(final_id, previous->info.id);
    }
    previous = last;
  }
}

// A task slower than the checkpoint timeout: that checkpoint fails (and
// is counted), its late acknowledgement is ignored, and the next one
// completes.
TEST(CheckpointTest, ACheckpointThatTimesOutFailsAndTheNextOneCompletes) {
  JobBuilder job;
  auto seen = std::make_shared<SeenIds>();
  auto in = job.FromGenerator("gen", Make, 1'000'000, 500'000, [](const Rec& r) { return r.ts; },
                              WatermarkStrategy::BoundedOutOfOrderness(0));
  in.job()->template AddNode<void>("slow", "sink", {in.Forward()}, [seen](int, int, engine::Port) {
    return std::make_unique<IdRecordingSink<Rec>>(seen, std::chrono::milliseconds(1500));
  });
  JobRunOptions o = Options(1, 3'600'000);  // only the triggered checkpoints
  o.runtime.checkpoints.timeout_ms = 100;
  auto started = job.Start(o);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  Job& j = **started;
  auto first = j.TriggerCheckpoint();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const auto t0 = std::chrono::steady_clock::now();
  Status st = j.AwaitCheckpoint(*first, std::chrono::seconds(10));
  EXPECT_FALSE(st.ok()) << "checkpoint " << *first << " should have timed out";
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1000))
      << "failed at its deadline, not when the slow task answered";
  EXPECT_EQ(j.metrics().checkpoints.failed.load(), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the slow snapshot ends
  auto second = j.TriggerCheckpoint();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_GT(*second, *first);
  EXPECT_TRUE(j.AwaitCheckpoint(*second, std::chrono::seconds(10)).ok());
  ASSERT_NE(j.last_checkpoint(), nullptr);
  EXPECT_EQ(j.last_checkpoint()->info.id, *second);
  j.Cancel();
  (void)j.Wait();
}

// An accumulator that says nothing about how it is encoded.
struct Opaque {
  int64_t n = 0;
};
struct OpaqueCount {
  using Acc = Opaque;
  using Out = int64_t;
  Acc Create() const { return {}; }
  void Add(Acc& a, const Rec&) const { ++a.n; }
  void Merge(Acc& a, const Acc& b) const { a.n += b.n; }
  Out Result(const Acc& a) const { return a.n; }
};

// State without a codec cannot be checkpointed: with checkpoints on, the
// job does not start (naming the operator) rather than run with sinks
// that never commit; with them off it runs.
TEST(CheckpointTest, AWindowWhoseAccumulatorHasNoCodecIsRefusedWhenCheckpointing) {
  for (const int64_t interval : {int64_t{100}, int64_t{0}}) {
    JobBuilder job;
    auto out = std::make_shared<Collected<WindowResult<int64_t, int64_t>>>();
    job.FromGenerator("gen", Make, 1000, 0, [](const Rec& r) { return r.ts; },
                      WatermarkStrategy::BoundedOutOfOrderness(0))
        .KeyBy([](const Rec& r) { return r.key; })
        .Window(Tumbling(10))
        .Aggregate("opaque", OpaqueCount{})
        .CollectInto("out", out);
    Status st = job.Run(Options(1, interval));
    if (interval > 0) {
      EXPECT_EQ(st.code(), Errc::kInvalidArgument) << st.ToString();
      EXPECT_NE(st.message().find("operator 'opaque'"), std::string::npos) << st.message();
      EXPECT_NE(st.message().find("StateCodec"), std::string::npos) << st.message();
    } else {
      EXPECT_TRUE(st.ok()) << st.ToString();
      EXPECT_FALSE(out->values().empty());
    }
  }
}

// A sink whose snapshot throws at checkpoint 2 (it cannot pre-commit):
// the job fails, naming the sink and the checkpoint; it does not go on as
// if the checkpoint had only been skipped.
// (fail_at < 0: every snapshot throws.)
template <typename T>
class FailingSnapshotSink final : public SinkOperator<T> {
 public:
  explicit FailingSnapshotSink(int64_t fail_at = 2) : fail_at_(fail_at) {}
  void OnBatch(Batch<T>&) override {}
  void OnEnd() override {}
  void Snapshot(int64_t id, engine::SnapshotWriter&) override {
    if (fail_at_ < 0 || id == fail_at_) throw std::runtime_error("cannot pre-commit");
  }

 private:
  int64_t fail_at_;
};

TEST(CheckpointTest, ASnapshotThatThrowsFailsTheJobNamingTheOperator) {
  JobBuilder job;
  auto in = job.FromGenerator("gen", Make, 1'000'000, 200'000, [](const Rec& r) { return r.ts; },
                              WatermarkStrategy::BoundedOutOfOrderness(0));
  in.job()->template AddNode<void>("committer", "sink", {in.Forward()}, [](int, int, engine::Port) {
    return std::make_unique<FailingSnapshotSink<Rec>>();
  });
  auto started = job.Start(Options(1, 3'600'000));
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  Job& j = **started;
  auto first = j.TriggerCheckpoint();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(j.AwaitCheckpoint(*first, std::chrono::seconds(10)).ok());
  auto second = j.TriggerCheckpoint();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 2);
  Status st = j.Wait();
  EXPECT_EQ(st.code(), Errc::kJobFailed) << st.ToString();
  EXPECT_NE(st.message().find("'committer'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("checkpoint 2: cannot pre-commit"), std::string::npos) << st.message();
}

// The snapshot at the end of the input (the final checkpoint) fails the
// same way: the job fails naming the sink, and no final checkpoint is
// written as if its state had been taken.
TEST(CheckpointTest, AFinalSnapshotThatThrowsFailsTheJobNamingTheOperator) {
  JobBuilder job;
  auto in = job.FromGenerator("gen", Make, 1000, 0, [](const Rec& r) { return r.ts; },
                              WatermarkStrategy::BoundedOutOfOrderness(0));
  in.job()->template AddNode<void>("committer", "sink", {in.Forward()}, [](int, int, engine::Port) {
    return std::make_unique<FailingSnapshotSink<Rec>>(/*fail_at=*/-1);
  });
  auto started = job.Start(Options(1, 3'600'000));  // no checkpoint but the final one
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  Status st = (*started)->Wait();
  EXPECT_EQ(st.code(), Errc::kJobFailed) << st.ToString();
  EXPECT_NE(st.message().find("'committer'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("cannot pre-commit"), std::string::npos) << st.message();
  EXPECT_EQ((*started)->last_checkpoint(), nullptr);
}

// A sink whose commit throws.
template <typename T>
class FailingCommitSink final : public SinkOperator<T> {
 public:
  void OnBatch(Batch<T>&) override {}
  void OnEnd() override {}
  void CheckpointComplete(int64_t) override { throw std::runtime_error("the database refused the commit"); }
};

// Two sinks of one job, the first to be told failing its commit of the
// final checkpoint: the job fails naming it, and the other sink is still
// told and commits everything (before, the first failure stopped the
// notifications, and a healthy sink's last epoch was left to a rerun).
TEST(CheckpointTest, EverySinkIsToldOfTheFinalCheckpointWhenAnotherFailsToCommit) {
  for (int parallelism : {1, 2}) {
    JobBuilder job;
    auto in = job.FromGenerator("gen", [](uint64_t n) { return static_cast<int64_t>(n); }, 5000, 0);
    in.job()->template AddNode<void>("refused", "sink", {in.Forward()}, [](int, int, engine::Port) {
      return std::make_unique<FailingCommitSink<int64_t>>();
    });
    auto out = std::make_shared<Collected<int64_t>>();
    in.CollectCommitted("out", out);
    Status st = job.Run(Options(parallelism, 3'600'000));
    EXPECT_EQ(st.code(), Errc::kJobFailed) << st.ToString();
    EXPECT_NE(st.message().find("'refused'"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("the database refused the commit"), std::string::npos) << st.message();
    EXPECT_EQ(out->values().size(), 5000u) << "parallelism " << parallelism;
  }
}

TEST(CheckpointTest, StopFlagStopsAtACheckpointAndARerunGoesOnFromIt) {
  constexpr int64_t kCount = 40'000;
  const auto want = Reference(kCount, Sliding(200, 50));
  Pipeline p(kCount, 50'000, Sliding(200, 50));
  std::atomic<bool> stop{false};
  JobRunOptions o = Options(2, 50);
  o.runtime.stop = &stop;
  auto job = p.job.Start(o);
  ASSERT_TRUE(job.ok());
  ASSERT_TRUE((*job)->AwaitCheckpoint(2, std::chrono::seconds(20)).ok());
  stop = true;
  ASSERT_TRUE((*job)->Wait().ok());  // a stop is no failure
  auto last = (*job)->last_checkpoint();
  ASSERT_NE(last, nullptr);
  EXPECT_FALSE(last->info.final);
  // Nothing was flushed at the stop: every window output so far belongs to
  // a completed checkpoint, and no window fired early.
  const auto partial = p.Sorted();
  EXPECT_LT(partial.size(), want.size());
  for (const auto& o2 : partial) EXPECT_TRUE(std::binary_search(want.begin(), want.end(), o2));
  auto again = p.job.Start(Options(2, 50, last));
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE((*again)->Wait().ok());
  EXPECT_EQ(p.Sorted(), want);
}

TEST(CheckpointTest, AUserFunctionThatThrowsRestartsFromTheLastCheckpoint) {
  constexpr int64_t kCount = 30'000;
  const auto want = Reference(kCount, Tumbling(100));
  // The same pipeline with a map that throws at its 12000th and 25000th record.
  JobBuilder job;
  auto out = std::make_shared<Collected<Out>>();
  auto seen = std::make_shared<std::atomic<int64_t>>(0);
  job.FromGenerator("gen", Make, kCount, 100'000, [](const Rec& r) { return r.ts; },
                    WatermarkStrategy::BoundedOutOfOrderness(0))
      .Map("flaky",
           [seen](const Rec& r) {
             const int64_t n = seen->fetch_add(1) + 1;
             if (n == 12'000 || n == 25'000) throw std::runtime_error("flaky at " + std::to_string(n));
             return r;
           })
      .KeyBy([](const Rec& r) { return r.key; })
      .Window(Tumbling(100))
      .Aggregate("sum", SumOf([](const Rec& r) { return r.value; }))
      .CollectCommitted("out", out);
  std::shared_ptr<const LoadedCheckpoint> last;
  int failures = 0;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto j = job.Start(Options(attempt % 2 + 1, 10, last));
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    Status st = (*j)->Wait();
    if (st.ok()) break;
    EXPECT_EQ(st.code(), Errc::kJobFailed);
    EXPECT_NE(st.message().find("flaky"), std::string::npos) << st.ToString();
    ++failures;
    last = (*j)->last_checkpoint();
  }
  EXPECT_EQ(failures, 2);
  ASSERT_NE(last, nullptr) << "no checkpoint before the failures: the test tests nothing";
  auto v = out->values();
  std::sort(v.begin(), v.end());
  EXPECT_EQ(v, want);
}

TEST(CheckpointTest, CheckpointsCompleteUnderBackpressure) {
  // A sink far slower than the source: channels stay full, and barriers
  // still get through behind the records.
  JobBuilder job;
  std::atomic<int64_t> got{0};
  job.FromGenerator("gen", Make, -1, 0)
      .KeyBy([](const Rec& r) { return r.key; })
      .Window(Tumbling(10))
      .Aggregate("count", Count{})
      .Sink("slow", [&got](Batch<WindowResult<int64_t, int64_t>>& b) {
        got += static_cast<int64_t>(b.size());
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      });
  auto j = job.Start(Options(2, 20));
  ASSERT_TRUE(j.ok());
  Status st = (*j)->AwaitCheckpoint(3, std::chrono::seconds(30));
  EXPECT_TRUE(st.ok()) << st.ToString();
  EXPECT_GT((*j)->metrics().checkpoints.completed.load(), 2u);
  (*j)->Cancel();
  (void)(*j)->Wait();
}

TEST(CheckpointTest, TriggerIsRefusedWhenOffOrBusyAndAForeignCheckpointIsRefused) {
  Pipeline p(-1, 10'000, Tumbling(100));
  auto off = p.job.Start(Options(1, 0));
  ASSERT_TRUE(off.ok());
  EXPECT_EQ((*off)->TriggerCheckpoint().status().code(), Errc::kInvalidArgument);
  (*off)->Cancel();
  (void)(*off)->Wait();

  JobRunOptions o = Options(1, 0);
  o.runtime.checkpoints.store = nullptr;
  o.runtime.checkpoints.interval_ms = 60'000;  // on, but only when asked
  auto on = p.job.Start(o);
  ASSERT_TRUE(on.ok());
  auto id = (*on)->TriggerCheckpoint();
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  ASSERT_TRUE((*on)->AwaitCheckpoint(*id, std::chrono::seconds(10)).ok());
  auto last = (*on)->last_checkpoint();
  (*on)->Cancel();
  (void)(*on)->Wait();

  // The checkpoint of one graph does not restore into another.
  Pipeline other(-1, 10'000, Tumbling(200), /*second=*/true);
  auto refused = other.job.Start(Options(1, 0, last));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("another job graph"), std::string::npos);
}

TEST(CheckpointTest, KeyGroupsSplitEvenlyAndCoverEveryGroupOnce) {
  for (int p : {1, 2, 3, 4, 7, 128}) {
    int next = 0;
    for (int i = 0; i < p; ++i) {
      const engine::KeyGroupRange r = engine::KeyGroupsOf(i, p);
      EXPECT_EQ(r.first, next) << p;
      EXPECT_GE(r.last, r.first) << p;
      for (int g = r.first; g <= r.last; ++g) EXPECT_EQ(engine::InstanceOfKeyGroup(g, p), i);
      next = r.last + 1;
    }
    EXPECT_EQ(next, engine::kDefaultMaxParallelism);
  }
}

}  // namespace
}  // namespace rivulet::operators
