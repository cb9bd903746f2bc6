// SplitWatermarks (operators/watermarks.h): the watermark over splits,
// idleness on a manual clock, finished splits, monotone emission.
#include "operators/watermarks.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "operators/stream.h"
#include "tests/job_test_util.h"

namespace rivulet::operators {
namespace {

using std::chrono::milliseconds;
using Timestamp = engine::Timestamp;

WatermarkStrategy Strategy(int64_t bound, int64_t idle, const SourceClock* clock) {
  return WatermarkStrategy::BoundedOutOfOrderness(bound).WithIdleness(idle).WithClock(clock);
}

TEST(SplitWatermarksTest, SmallestOverSplits) {
  ManualSourceClock clock;
  SplitWatermarks w(Strategy(10, -1, &clock));
  auto& a = w.Add(0);
  auto& b = w.Add(1);
  a.Record(100);
  EXPECT_EQ(w.Advance(true), std::nullopt);  // b has no record yet: held back
  b.Record(50);
  a.Record(200);
  EXPECT_EQ(w.Advance(true), std::optional<Timestamp>(50 - 10 - 1));
  b.Record(70);
  EXPECT_EQ(w.Advance(true), std::optional<Timestamp>(70 - 10 - 1));
  EXPECT_EQ(w.Advance(true), std::nullopt);  // unchanged: not emitted again
  b.Record(300);
  EXPECT_EQ(w.Advance(true), std::optional<Timestamp>(200 - 10 - 1));
  EXPECT_EQ(w.watermark(), 189);
  EXPECT_FALSE(w.idle());  // no idle timeout: never idle
}

TEST(SplitWatermarksTest, NeverBackwards) {
  ManualSourceClock clock;
  SplitWatermarks w(Strategy(0, -1, &clock));
  auto& a = w.Add(0);
  a.Record(100);
  EXPECT_EQ(w.Advance(true), std::optional<Timestamp>(99));
  // A split added later with older time does not move it back.
  w.Add(1).Record(20);
  EXPECT_EQ(w.Advance(true), std::nullopt);
  EXPECT_EQ(w.watermark(), 99);
}

TEST(SplitWatermarksTest, SplitWithoutRecordsHoldsBackUntilIdle) {
  ManualSourceClock clock;
  SplitWatermarks w(Strategy(0, 100, &clock));
  auto& a = w.Add(0);
  w.Add(1);  // stays empty
  a.Record(1000);
  EXPECT_EQ(w.Advance(true), std::nullopt);
  clock.Advance(milliseconds(99));
  a.Record(1001);
  EXPECT_EQ(w.Advance(true), std::nullopt);
  clock.Advance(milliseconds(1));  // split 1 quiet for 100 ms since it was added
  EXPECT_EQ(w.Advance(true), std::optional<Timestamp>(1000));
  EXPECT_FALSE(w.idle());  // split 0 had a record 1 ms ago
}

TEST(SplitWatermarksTest, IdleSplitExcludedThenIncludedWithoutGoingBack) {
  ManualSourceClock clock;
  SplitWatermarks w(Strategy(0, 100, &clock));
  auto& a = w.Add(0);
  auto& b = w.Add(1);
  a.Record(10);
  b.Record(10);
  EXPECT_EQ(w.Advance(true), std::optional<Timestamp>(9));
  // b goes quiet; a goes on.
  for (int i = 1; i <= 10; ++i) {
    clock.Advance(milliseconds(20));
    a.Record(10 + i * 100);
    const auto wm = w.Advance(true);
    if (i < 5) {
      EXPECT_EQ(wm, std::nullopt) << i;  // b not idle yet
    } else {
      ASSERT_TRUE(wm.has_value()) << i;  // b idle after 100 ms: a alone
      EXPECT_EQ(*wm, 10 + i * 100 - 1);
    }
  }
  EXPECT_EQ(w.watermark(), 1009);
  // b has records again, behind a: the watermark waits for b, never back.
  b.Record(500);
  EXPECT_EQ(w.Advance(true), std::nullopt);
  EXPECT_EQ(w.watermark(), 1009);
  b.Record(2000);
  a.Record(1500);
  EXPECT_EQ(w.Advance(true), std::optional<Timestamp>(1499));
}

// Every split idle at once (the busy one went quiet too): the smallest
// over those with records, so its last windows fire; the empty one is
// left out.
TEST(SplitWatermarksTest, AllIdleTakesTheSplitsWithRecords) {
  ManualSourceClock clock;
  SplitWatermarks w(Strategy(0, 100, &clock));
  w.Add(0).Record(500);
  w.Add(1).Record(300);
  w.Add(2);  // empty
  EXPECT_EQ(w.Advance(true), std::nullopt);
  clock.Advance(milliseconds(100));
  EXPECT_EQ(w.Advance(true), std::optional<Timestamp>(299));
  EXPECT_TRUE(w.idle());
}

TEST(SplitWatermarksTest, FinishedSplitHoldsNothingBack) {
  ManualSourceClock clock;
  SplitWatermarks w(Strategy(0, -1, &clock));
  auto& a = w.Add(0);
  w.Add(1).Record(5);
  w.Add(2);  // no record, ever
  a.Record(100);
  EXPECT_EQ(w.Advance(true), std::nullopt);
  w.Finish(2);
  EXPECT_EQ(w.Advance(true), std::optional<Timestamp>(4));
  w.Finish(1);
  EXPECT_EQ(w.Advance(true), std::optional<Timestamp>(99));
  w.Finish(0);
  EXPECT_EQ(w.Advance(true), std::nullopt);  // none active: stays
  EXPECT_EQ(w.watermark(), 99);
}

TEST(SplitWatermarksTest, InstanceIdleWhenEverySplitIs) {
  ManualSourceClock clock;
  SplitWatermarks w(Strategy(0, 50, &clock));
  auto& a = w.Add(0);
  auto& b = w.Add(1);
  a.Record(1);
  b.Record(1);
  w.Advance(true);
  clock.Advance(milliseconds(30));
  a.Record(2);
  w.Advance(true);
  clock.Advance(milliseconds(30));
  EXPECT_FALSE(w.idle());  // b idle, a not
  clock.Advance(milliseconds(20));
  EXPECT_TRUE(w.idle());
  a.Record(3);  // a record not yet taken in by Advance counts already
  EXPECT_FALSE(w.idle());
  w.Advance(true);
  EXPECT_FALSE(w.idle());
  clock.Advance(milliseconds(50));
  EXPECT_TRUE(w.idle());
  w.Finish(0);
  w.Finish(1);
  EXPECT_TRUE(w.idle());
}

// No splits (e.g. a Kafka group member before its first assignment, or
// during a rebalance): idle only once the timeout has passed since the
// instance was made or last had a split.
TEST(SplitWatermarksTest, NoSplitsIsIdleOnlyWithAnIdleTimeout) {
  ManualSourceClock clock;
  SplitWatermarks with(Strategy(0, 10, &clock));
  SplitWatermarks without(Strategy(0, -1, &clock));
  EXPECT_FALSE(with.idle());  // just made
  EXPECT_EQ(with.Advance(true), std::nullopt);
  clock.Advance(milliseconds(9));
  EXPECT_FALSE(with.idle());
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(with.idle());
  EXPECT_FALSE(without.idle());
  EXPECT_EQ(with.Advance(true), std::nullopt);
  with.Add(1).Record(5);  // assigned
  EXPECT_FALSE(with.idle());
  clock.Advance(milliseconds(5));
  with.Advance(true);
  with.Remove(1);  // revoked: no split again, idle time counts from now
  EXPECT_FALSE(with.idle());
  clock.Advance(milliseconds(9));
  EXPECT_FALSE(with.idle());
  clock.Advance(milliseconds(1));
  EXPECT_TRUE(with.idle());
}

// A full poll (a backlog) after a pause longer than the idle timeout brings
// records of one split only: the others must not count as idle, or the
// watermark passes over their backlog.
TEST(SplitWatermarksTest, SplitsDoNotAgeWhilePollsAreFull) {
  ManualSourceClock clock;
  SplitWatermarks w(Strategy(0, 1000, &clock));
  auto& a = w.Add(0);
  auto& b = w.Add(1);
  a.Record(100);
  b.Record(100);
  EXPECT_EQ(w.Advance(false), std::optional<Timestamp>(99));
  clock.Advance(milliseconds(2000));  // not polled (backpressure)
  a.Record(5000);
  EXPECT_EQ(w.Advance(false), std::nullopt);  // b has a backlog: held at 99
  EXPECT_FALSE(w.idle());
  clock.Advance(milliseconds(2000));
  a.Record(6000);
  EXPECT_EQ(w.Advance(false), std::nullopt);
  // Caught up: b ages from now, not from its last record 4 s ago.
  a.Record(6001);
  EXPECT_EQ(w.Advance(true), std::nullopt);
  clock.Advance(milliseconds(999));
  a.Record(6002);
  EXPECT_EQ(w.Advance(true), std::nullopt);
  clock.Advance(milliseconds(1));
  a.Record(6003);
  EXPECT_EQ(w.Advance(true), std::optional<Timestamp>(6002));  // b idle now
}

// Time without polls does not make an instance idle: the last Advance
// must have been caught up, and splits age only from the first such one.
TEST(SplitWatermarksTest, IdleOnlyAfterCatchingUp) {
  ManualSourceClock clock;
  SplitWatermarks w(Strategy(0, 10, &clock));
  w.Add(0).Record(1);
  w.Advance(true);
  clock.Advance(milliseconds(10));
  EXPECT_TRUE(w.idle());
  w.Advance(false);  // a full poll
  EXPECT_FALSE(w.idle());
  clock.Advance(milliseconds(100));  // no polls
  EXPECT_FALSE(w.idle());
  w.Advance(true);  // caught up from now
  EXPECT_FALSE(w.idle());
  clock.Advance(milliseconds(9));
  w.Advance(true);
  EXPECT_FALSE(w.idle());
  clock.Advance(milliseconds(1));
  w.Advance(true);
  EXPECT_TRUE(w.idle());
}

// A finished split is not kept from finishing by full polls.
TEST(SplitWatermarksTest, FullPollsLeaveFinishedSplitsAlone) {
  ManualSourceClock clock;
  SplitWatermarks w(Strategy(0, 10, &clock));
  w.Add(0).Record(50);
  w.Add(1).Record(70);
  w.Finish(0);
  EXPECT_EQ(w.Advance(false), std::optional<Timestamp>(69));
}

TEST(SplitWatermarksTest, RefusesANegativeBoundAndAZeroIdleTimeout) {
  EXPECT_THROW(SplitWatermarks(Strategy(-1, -1, nullptr)), std::invalid_argument);
  EXPECT_THROW(SplitWatermarks(Strategy(0, 0, nullptr)), std::invalid_argument);
  try {
    SplitWatermarks w(Strategy(-5, -1, nullptr));
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("max_out_of_orderness_ms"), std::string::npos) << e.what();
  }
  try {
    SplitWatermarks w(Strategy(0, 0, nullptr));
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("idle_timeout_ms"), std::string::npos) << e.what();
  }
  SplitWatermarks never(Strategy(0, -1, nullptr));  // negative: never idle
  SplitWatermarks positive(Strategy(0, 1, nullptr));
}

TEST(SplitWatermarksTest, RestoredMaxTimestampAndRemove) {
  ManualSourceClock clock;
  SplitWatermarks w(Strategy(5, -1, &clock));
  w.Add(3, 1000);
  w.Add(3, 900);  // never lowers
  EXPECT_EQ(w.Find(3)->max_ts(), 1000);
  w.Add(4);
  EXPECT_EQ(w.Advance(true), std::nullopt);
  w.Remove(4);  // e.g. a partition revoked
  EXPECT_EQ(w.Find(4), nullptr);
  EXPECT_EQ(w.Advance(true), std::optional<Timestamp>(994));
  EXPECT_EQ(w.size(), 1u);
}

// Through a job: the run fails at the start, naming the source and what
// is wrong with its strategy.
TEST(SplitWatermarksTest, AJobWithAnInvalidStrategyFailsToStart) {
  const std::vector<int64_t> data = {1, 2, 3};
  for (const auto& [strategy, what] :
       {std::pair{WatermarkStrategy::BoundedOutOfOrderness(-1), "max_out_of_orderness_ms"},
        std::pair{WatermarkStrategy::BoundedOutOfOrderness(0).WithIdleness(0), "idle_timeout_ms"}}) {
    JobBuilder job;
    auto out = std::make_shared<Collected<int64_t>>();
    job.FromCollection<int64_t>("numbers", data, [](const int64_t& v) { return v; }, strategy)
        .CollectInto("out", out);
    Status st = job.Run(JobRunOptions{});
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.ToString().find(what), std::string::npos) << st.ToString();
    EXPECT_NE(st.ToString().find("numbers"), std::string::npos) << st.ToString();
  }
}

}  // namespace
}  // namespace rivulet::operators
