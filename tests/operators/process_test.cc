// Keyed process functions (operators/process.h): a rule with value state
// against hand-computed alerts, timers driven by hand (fire at the
// watermark, in time order, once per (key, t), deleted ones not at all),
// per-key buckets kept in map, list and value state against plain loops,
// and the same job cancelled after checkpoints at parallelism 2 and
// restored at 1 and at 4.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "operators/stream.h"
#include "tests/job_test_util.h"

namespace rivulet::operators {
namespace {

struct Login {
  std::string user;
  int64_t ts = 0;
  bool ok = false;
};

struct Alert {
  std::string user;
  int64_t ts = 0;
  int64_t failures = 0;
  auto operator<=>(const Alert&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const Alert& a) {
    return os << "{" << a.user << " " << a.ts << " " << a.failures << "}";
  }
};

// Alerts on a user's third failed login in a row; a success starts the
// count again, and so does a failure 1000 ms or more after the previous
// one (a timer clears the count then, so that idle users hold no state).
struct FailedLogins {
  ValueState<std::string, int64_t> failures;
  ValueState<std::string, int64_t> expires;  // when the count's timer fires

  void Open(KeyedStateBackend<std::string>& states) {
    failures = states.Value<int64_t>("failures");
    expires = states.Value<int64_t>("expires");
  }
  void ProcessElement(const Login& l, ProcessContext<std::string, Alert>& ctx) {
    if (const int64_t* at = expires.Get()) {
      ctx.DeleteTimer(*at);
      // The timer may not have fired yet though the record is past it.
      if (l.ok || *at <= l.ts) failures.Clear();
      expires.Clear();
    }
    if (l.ok) return;
    const int64_t n = failures.GetOr(0) + 1;
    failures.Update(n);
    if (n == 3) ctx.Emit(Alert{ctx.key(), ctx.timestamp(), n});
    expires.Update(l.ts + 1000);
    ctx.RegisterTimer(l.ts + 1000);
  }
  void OnTimer(Timestamp, ProcessContext<std::string, Alert>&) {
    failures.Clear();
    expires.Clear();
  }
};

TEST(ProcessTest, ARuleWithValueStateGivesTheHandComputedAlerts) {
  const std::vector<Login> logins = {
      {"alice", 100, false}, {"alice", 200, false}, {"bob", 250, false},    {"alice", 300, false},  // alice's 3rd
      {"alice", 400, false}, {"bob", 500, true},    {"bob", 600, false},    {"bob", 700, false},
      {"bob", 2000, false},  // 1300 ms after bob's last failure: a new count
      {"carol", 1000, false}, {"carol", 1500, false}, {"carol", 2400, false},  // within 1000 ms of each other
      {"alice", 5000, false}, {"alice", 5100, false}, {"alice", 5200, false},
  };
  const std::vector<Alert> want = {{"alice", 300, 3}, {"alice", 5200, 3}, {"carol", 2400, 3}};
  for (int parallelism : {1, 2}) {
    for (int64_t bound : {0, 5000}) {  // timers firing early and late against the records
      JobBuilder job;
      auto out = std::make_shared<Collected<Alert>>();
      job.FromCollection<Login>("logins", logins, [](const Login& l) { return l.ts; },
                                WatermarkStrategy::BoundedOutOfOrderness(bound))
          .SetParallelism(1)
          .KeyBy([](const Login& l) { return l.user; })
          .Process<Alert>("failed logins", FailedLogins{})
          .CollectInto("out", out);
      JobRunOptions o;
      o.parallelism = parallelism;
      o.runtime.batch_size = 1;
      Status st = job.Run(o);
      ASSERT_TRUE(st.ok()) << st.ToString();
      auto got = out->values();
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, want) << "parallelism " << parallelism << " bound " << bound;
    }
  }
}

// Timers driven by hand: a record asks for timers (and deletes one); each
// firing is emitted with the watermark it fired at.
struct TimerRequest {
  std::string key;
  std::vector<Timestamp> add;
  Timestamp remove = -1;
};
struct Fired {
  std::string key;
  Timestamp t = 0;
  Timestamp watermark = 0;
  auto operator<=>(const Fired&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const Fired& f) {
    return os << "{" << f.key << " " << f.t << " @" << f.watermark << "}";
  }
};
struct Timers {
  void ProcessElement(const TimerRequest& r, ProcessContext<std::string, Fired>& ctx) {
    for (Timestamp t : r.add) ctx.RegisterTimer(t);
    if (r.remove >= 0) ctx.DeleteTimer(r.remove);
  }
  void OnTimer(Timestamp t, ProcessContext<std::string, Fired>& ctx) {
    EXPECT_EQ(ctx.timestamp(), t);
    ctx.Emit(Fired{ctx.key(), t, ctx.watermark()});
    if (t == 25) ctx.RegisterTimer(27);  // already due: fires in the same advance
    if (t == 30) ctx.RegisterTimer(130);  // periodic: the end of input does not chase it
  }
};

TEST(ProcessTest, TimersFireAtTheWatermarkInTimeOrderOncePerKeyAndTime) {
  auto into = std::make_shared<Collected<Fired>>();
  CollectSink<Fired> sink(into);
  auto key = [](const TimerRequest& r) { return r.key; };
  KeyedProcessOperator<TimerRequest, decltype(key), Fired, Timers> op(sink.input(0), key, Timers{});
  auto fired = [&] {
    std::vector<Fired> v = into->values();
    into->events.clear();
    return v;
  };
  Batch<TimerRequest> batch{{1, {"a", {30, 10, 10}}}, {2, {"b", {10, 20}}}, {3, {"b", {25}}}, {4, {"b", {}, 20}}};
  op.OnBatch(batch);
  EXPECT_EQ(op.states().timer_count(), 4u);
  op.OnWatermark(9);
  EXPECT_EQ(fired(), std::vector<Fired>{});
  op.OnWatermark(10);
  EXPECT_EQ(fired(), (std::vector<Fired>{{"a", 10, 10}, {"b", 10, 10}}));
  op.OnWatermark(10);
  op.OnWatermark(24);
  EXPECT_EQ(fired(), std::vector<Fired>{});  // b's 20 was deleted
  op.OnWatermark(29);
  EXPECT_EQ(fired(), (std::vector<Fired>{{"b", 25, 29}, {"b", 27, 29}}));
  op.OnEnd();  // the end of input fires the rest, not what they register later
  const std::vector<Event<Fired>> last = into->events;
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].value, (Fired{"a", 30, engine::kMaxTimestamp}));
  EXPECT_EQ(last[0].ts, 30);  // emitted at the timer's time
  EXPECT_EQ(op.states().timer_count(), 1u);  // a's 130
  EXPECT_EQ(op.timers_dropped_at_end(), 1u);  // counted and logged
}

// Per key, 100 ms buckets as a tumbling window would keep them, but in
// keyed state: the sum in map state (bucket -> sum), the records in list
// state (bucket, value) until their bucket fires, and in value state how
// many buckets of the key fired before; a timer at each bucket's end. And
// a timer far after the input, which the end of input fires, emitting
// per key the number of its buckets: keys seen only early (before any
// checkpoint) need it to survive every restore.
struct Rec {
  int64_t key = 0;
  int64_t ts = 0;
  int64_t value = 0;
};
Rec MakeRec(uint64_t n) {
  // Time advances 1 ms per 10 records; keys cycle through 37 values, and
  // 7 more only in the first 300 ms.
  const int64_t key = n < 3000 && n % 10 == 3 ? 100 + static_cast<int64_t>(n / 10 % 7) : static_cast<int64_t>(n % 37);
  return Rec{key, static_cast<int64_t>(n / 10), static_cast<int64_t>(n % 1000)};
}

struct Bucket {
  int64_t key = 0;
  int64_t start = 0;
  int64_t sum = 0;
  int64_t count = 0;
  int64_t ordinal = 0;  // buckets of the key before this one
  auto operator<=>(const Bucket&) const = default;
  friend std::ostream& operator<<(std::ostream& os, const Bucket& b) {
    return os << "{" << b.key << " " << b.start << " sum " << b.sum << " n " << b.count << " #" << b.ordinal << "}";
  }
};

constexpr int64_t kBucket = 100;
constexpr int64_t kFar = 1'000'000'000;  // after every record

struct Buckets {
  MapState<int64_t, int64_t, int64_t> sums;
  ListState<int64_t, std::pair<int64_t, int64_t>> pending;
  ValueState<int64_t, int64_t> fired;

  void Open(KeyedStateBackend<int64_t>& states) {
    sums = states.Map<int64_t, int64_t>("sums");
    pending = states.List<std::pair<int64_t, int64_t>>("pending");
    fired = states.Value<int64_t>("fired");
  }
  void ProcessElement(const Rec& r, ProcessContext<int64_t, Bucket>& ctx) {
    const int64_t start = FloorDiv(r.ts, kBucket) * kBucket;
    sums.Put(start, (sums.Get(start) ? *sums.Get(start) : 0) + r.value);
    pending.Add({start, r.value});
    ctx.RegisterTimer(start + kBucket - 1);
    ctx.RegisterTimer(kFar);  // one timer, however often registered
  }
  void OnTimer(Timestamp t, ProcessContext<int64_t, Bucket>& ctx) {
    if (t == kFar) {
      ctx.Emit(Bucket{ctx.key(), kFar, 0, 0, fired.GetOr(0)});
      return;
    }
    const int64_t start = t - kBucket + 1;
    std::vector<std::pair<int64_t, int64_t>> rest;
    int64_t count = 0;
    for (const auto& p : pending.Get()) {
      if (p.first == start) {
        ++count;
      } else {
        rest.push_back(p);
      }
    }
    pending.Update(std::move(rest));
    const int64_t ordinal = fired.GetOr(0);
    fired.Update(ordinal + 1);
    ctx.Emit(Bucket{ctx.key(), start, *sums.Get(start), count, ordinal});
    sums.Remove(start);
  }
};

// The buckets of records 0..count-1, as plain loops.
std::vector<Bucket> ExpectedBuckets(int64_t count) {
  std::map<std::pair<int64_t, int64_t>, std::pair<int64_t, int64_t>> sums;  // (key, start) -> (sum, count)
  for (int64_t n = 0; n < count; ++n) {
    const Rec r = MakeRec(static_cast<uint64_t>(n));
    auto& s = sums[{r.key, FloorDiv(r.ts, kBucket) * kBucket}];
    s.first += r.value;
    ++s.second;
  }
  std::vector<Bucket> out;
  std::map<int64_t, int64_t> ordinals;
  for (const auto& [k, s] : sums) out.push_back(Bucket{k.first, k.second, s.first, s.second, ordinals[k.first]++});
  for (const auto& [k, buckets] : ordinals) out.push_back(Bucket{k, kFar, 0, 0, buckets});
  std::sort(out.begin(), out.end());
  return out;
}

struct BucketJob {
  JobBuilder job;
  std::shared_ptr<Collected<Bucket>> out = std::make_shared<Collected<Bucket>>();

  BucketJob(int64_t count, double rate) {
    job.FromGenerator("gen", MakeRec, count, rate, [](const Rec& r) { return r.ts; },
                      WatermarkStrategy::BoundedOutOfOrderness(0))
        .KeyBy([](const Rec& r) { return r.key; })
        .Process<Bucket>("buckets", Buckets{})
        .CollectCommitted("out", out);
  }
  std::vector<Bucket> Sorted() {
    auto v = out->values();
    std::sort(v.begin(), v.end());
    return v;
  }
};

TEST(ProcessTest, MapListAndValueStateGiveWhatPlainLoopsGiveAtParallelism1_2_4) {
  constexpr int64_t kCount = 20'000;
  const auto want = ExpectedBuckets(kCount);
  ASSERT_GT(want.size(), 500u);
  for (int parallelism : {1, 2, 4}) {
    BucketJob j(kCount, 0);
    Status st = j.job.Run(testing::CheckpointedOptions(parallelism, 0));
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(j.Sorted(), want) << "parallelism " << parallelism;
  }
}

// Cancelled (as if killed) after a few checkpoints at parallelism 2, then
// restored at `after`: the states and timers of every key reach the
// instance that owns it now; nothing lost, nothing twice.
class ProcessRestoreTest : public ::testing::TestWithParam<int> {};

TEST_P(ProcessRestoreTest, ACheckpointAtParallelism2RestoresWithTheSameOutput) {
  constexpr int64_t kCount = 40'000;
  const auto want = ExpectedBuckets(kCount);
  {
    BucketJob reference(kCount, 0);  // without failure
    ASSERT_TRUE(reference.job.Run(testing::CheckpointedOptions(1, 0)).ok());
    ASSERT_EQ(reference.Sorted(), want);
  }
  BucketJob j(kCount, 100'000);  // about 0.4 s
  auto last = testing::CancelAfterCheckpoints(j.job, testing::CheckpointedOptions(2, 10), 3);
  ASSERT_NE(last, nullptr);
  EXPECT_LT(j.out->values().size(), want.size()) << "the job was cancelled too late to test anything";
  auto again = j.job.Start(testing::CheckpointedOptions(GetParam(), 10, last));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  Status st = (*again)->Wait();
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(j.Sorted(), want);
  EXPECT_EQ((*again)->metrics().checkpoints.restored_id.load(), last->info.id);
}

INSTANTIATE_TEST_SUITE_P(Rescale, ProcessRestoreTest, ::testing::Values(1, 2, 4),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return "p2_to_p" + std::to_string(info.param);
                         });

// A plain callable serves as ProcessElement: here each record's key and
// time, read from the context.
TEST(ProcessTest, ACallableServesAsProcessElement) {
  JobBuilder job;
  auto out = std::make_shared<Collected<std::pair<int64_t, int64_t>>>();
  job.FromGenerator("gen", MakeRec, 1000, 0, [](const Rec& r) { return r.ts; },
                    WatermarkStrategy::BoundedOutOfOrderness(0))
      .KeyBy([](const Rec& r) { return r.key; })
      .Process<std::pair<int64_t, int64_t>>(
          "key and time", [](const Rec& r, ProcessContext<int64_t, std::pair<int64_t, int64_t>>& ctx) {
            EXPECT_EQ(ctx.key(), r.key);
            ctx.Emit({ctx.key(), ctx.timestamp()});
          })
      .CollectInto("out", out);
  ASSERT_TRUE(job.Run(testing::CheckpointedOptions(2, 0)).ok());
  std::vector<std::pair<int64_t, int64_t>> want;
  for (uint64_t n = 0; n < 1000; ++n) want.emplace_back(MakeRec(n).key, MakeRec(n).ts);
  auto got = out->values();
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
}

struct Opaque {
  int64_t n = 0;
};
struct OpaqueCounter {
  ValueState<int64_t, Opaque> count;
  void Open(KeyedStateBackend<int64_t>& states) { count = states.Value<Opaque>("opaque"); }
  void ProcessElement(const Rec&, ProcessContext<int64_t, int64_t>& ctx) {
    Opaque o = count.GetOr({});
    ++o.n;
    count.Update(o);
    ctx.Emit(o.n);
  }
};

// State without a codec: with checkpoints on, the job does not start
// (naming the operator and the state); with them off it runs.
TEST(ProcessTest, AStateWithoutACodecIsRefusedWhenCheckpointing) {
  for (const int64_t interval : {int64_t{100}, int64_t{0}}) {
    JobBuilder job;
    auto out = std::make_shared<Collected<int64_t>>();
    job.FromGenerator("gen", MakeRec, 1000, 0, [](const Rec& r) { return r.ts; },
                      WatermarkStrategy::BoundedOutOfOrderness(0))
        .KeyBy([](const Rec& r) { return r.key; })
        .Process<int64_t>("opaque counter", OpaqueCounter{})
        .CollectInto("out", out);
    Status st = job.Run(testing::CheckpointedOptions(1, interval));
    if (interval > 0) {
      EXPECT_EQ(st.code(), Errc::kInvalidArgument) << st.ToString();
      EXPECT_NE(st.message().find("operator 'opaque counter'"), std::string::npos) << st.message();
    } else {
      EXPECT_TRUE(st.ok()) << st.ToString();
      EXPECT_EQ(out->values().size(), 1000u);
    }
  }
}

}  // namespace
}  // namespace rivulet::operators
