// SplitWatermarks (operators/watermarks.h): the watermark over splits,
// idleness on a manual clock, finished splits, monotone emission.
#include "operators/watermarks.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

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
  EXPECT_EQ(w.Advance(), std::nullopt);  // b has no record yet: held back
  b.Record(50);
  a.Record(200);
  EXPECT_EQ(w.Advance(), std::optional<Timestamp>(50 - 10 - 1));
  b.Record(70);
  EXPECT_EQ(w.Advance(), std::optional<Timestamp>(70 - 10 - 1));
  EXPECT_EQ(w.Advance(), std::nullopt);  // unchanged: not emitted again
  b.Record(300);
  EXPECT_EQ(w.Advance(), std::optional<Timestamp>(200 - 10 - 1));
  EXPECT_EQ(w.watermark(), 189);
  EXPECT_FALSE(w.idle());  // no idle timeout: never idle
}

TEST(SplitWatermarksTest, NeverBackwards) {
  ManualSourceClock clock;
  SplitWatermarks w(Strategy(0, -1, &clock));
  auto& a = w.Add(0);
  a.Record(100);
  EXPECT_EQ(w.Advance(), std::optional<Timestamp>(99));
  // A split added later with older time does not move it back.
  w.Add(1).Record(20);
  EXPECT_EQ(w.Advance(), std::nullopt);
  EXPECT_EQ(w.watermark(), 99);
}

TEST(SplitWatermarksTest, SplitWithoutRecordsHoldsBackUntilIdle) {
  ManualSourceClock clock;
  SplitWatermarks w(Strategy(0, 100, &clock));
  auto& a = w.Add(0);
  w.Add(1);  // stays empty
  a.Record(1000);
  EXPECT_EQ(w.Advance(), std::nullopt);
  clock.Advance(milliseconds(99));
  a.Record(1001);
  EXPECT_EQ(w.Advance(), std::nullopt);
  clock.Advance(milliseconds(1));  // split 1 quiet for 100 ms since it was added
  EXPECT_EQ(w.Advance(), std::optional<Timestamp>(1000));
  EXPECT_FALSE(w.idle());  // split 0 had a record 1 ms ago
}

TEST(SplitWatermarksTest, IdleSplitExcludedThenIncludedWithoutGoingBack) {
  ManualSourceClock clock;
  SplitWatermarks w(Strategy(0, 100, &clock));
  auto& a = w.Add(0);
  auto& b = w.Add(1);
  a.Record(10);
  b.Record(10);
  EXPECT_EQ(w.Advance(), std::optional<Timestamp>(9));
  // b goes quiet; a goes on.
  for (int i = 1; i <= 10; ++i) {
    clock.Advance(milliseconds(20));
    a.Record(10 + i * 100);
    const auto wm = w.Advance();
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
  EXPECT_EQ(w.Advance(), std::nullopt);
  EXPECT_EQ(w.watermark(), 1009);
  b.Record(2000);
  a.Record(1500);
  EXPECT_EQ(w.Advance(), std::optional<Timestamp>(1499));
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
  EXPECT_EQ(w.Advance(), std::nullopt);
  clock.Advance(milliseconds(100));
  EXPECT_EQ(w.Advance(), std::optional<Timestamp>(299));
  EXPECT_TRUE(w.idle());
}

TEST(SplitWatermarksTest, FinishedSplitHoldsNothingBack) {
  ManualSourceClock clock;
  SplitWatermarks w(Strategy(0, -1, &clock));
  auto& a = w.Add(0);
  w.Add(1).Record(5);
  w.Add(2);  // no record, ever
  a.Record(100);
  EXPECT_EQ(w.Advance(), std::nullopt);
  w.Finish(2);
  EXPECT_EQ(w.Advance(), std::optional<Timestamp>(4));
  w.Finish(1);
  EXPECT_EQ(w.Advance(), std::optional<Timestamp>(99));
  w.Finish(0);
  EXPECT_EQ(w.Advance(), std::nullopt);  // none active: stays
  EXPECT_EQ(w.watermark(), 99);
}

TEST(SplitWatermarksTest, InstanceIdleWhenEverySplitIs) {
  ManualSourceClock clock;
  SplitWatermarks w(Strategy(0, 50, &clock));
  auto& a = w.Add(0);
  auto& b = w.Add(1);
  a.Record(1);
  b.Record(1);
  w.Advance();
  clock.Advance(milliseconds(30));
  a.Record(2);
  w.Advance();
  clock.Advance(milliseconds(30));
  EXPECT_FALSE(w.idle());  // b idle, a not
  clock.Advance(milliseconds(20));
  EXPECT_TRUE(w.idle());
  a.Record(3);  // a record not yet taken in by Advance counts already
  EXPECT_FALSE(w.idle());
  w.Advance();
  EXPECT_FALSE(w.idle());
  clock.Advance(milliseconds(50));
  EXPECT_TRUE(w.idle());
  w.Finish(0);
  w.Finish(1);
  EXPECT_TRUE(w.idle());
}

TEST(SplitWatermarksTest, NoSplitsIsIdleOnlyWithAnIdleTimeout) {
  ManualSourceClock clock;
  SplitWatermarks with(Strategy(0, 10, &clock));
  SplitWatermarks without(Strategy(0, -1, &clock));
  EXPECT_TRUE(with.idle());
  EXPECT_FALSE(without.idle());
  EXPECT_EQ(with.Advance(), std::nullopt);
}

TEST(SplitWatermarksTest, RestoredMaxTimestampAndRemove) {
  ManualSourceClock clock;
  SplitWatermarks w(Strategy(5, -1, &clock));
  w.Add(3, 1000);
  w.Add(3, 900);  // never lowers
  EXPECT_EQ(w.Find(3)->max_ts(), 1000);
  w.Add(4);
  EXPECT_EQ(w.Advance(), std::nullopt);
  w.Remove(4);  // e.g. a partition revoked
  EXPECT_EQ(w.Find(4), nullptr);
  EXPECT_EQ(w.Advance(), std::optional<Timestamp>(994));
  EXPECT_EQ(w.size(), 1u);
}

}  // namespace
}  // namespace rivulet::operators
