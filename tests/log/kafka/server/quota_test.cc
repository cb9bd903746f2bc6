// Byte-rate quotas (log/kafka/server/quota.h): Kafka's arithmetic of the
// throttle time, per user and per kind, and the per-user overrides.
#include "log/kafka/server/quota.h"

#include <gtest/gtest.h>

namespace rivulet::log::kafka {
namespace {

using Clock = ByteRateQuotas::Clock;
using Kind = ByteRateQuotas::Kind;
using std::chrono::milliseconds;

TEST(ByteRateQuotasTest, NoQuotaNoThrottle) {
  ByteRateQuotas q(QuotaOptions{});
  EXPECT_FALSE(q.enabled());
  EXPECT_EQ(q.Record(Kind::kProduce, "User:a", 1 << 30), 0);
  EXPECT_EQ(q.Limit(Kind::kFetch, "User:a"), 0);
}

TEST(ByteRateQuotasTest, ThrottleBringsTheRateBackToTheQuota) {
  QuotaOptions o;
  o.producer_byte_rate = 1000;  // bytes/s
  o.window_num = 11;
  o.window_size_seconds = 1;
  ByteRateQuotas q(o);
  EXPECT_TRUE(q.enabled());
  const auto t0 = Clock::now();
  // 10,000 bytes at once: measured over 10 s (all windows but one), the
  // rate is exactly the quota, so no throttle.
  EXPECT_EQ(q.Record(Kind::kProduce, "User:a", 10'000, t0), 0);
  // 10,000 more: 20,000 over 10 s is 2,000/s, twice the quota: wait as long
  // again as the window (10 s) for the rate to fall back to 1,000/s.
  EXPECT_NEAR(q.Record(Kind::kProduce, "User:a", 10'000, t0 + milliseconds(1)), 10'000, 5);
  // Another user and the other kind have budgets of their own.
  EXPECT_EQ(q.Record(Kind::kProduce, "User:b", 10'000, t0), 0);
  EXPECT_EQ(q.Record(Kind::kFetch, "User:a", 1 << 30, t0), 0);
  // Eleven seconds later the old windows are gone: the budget is back.
  EXPECT_EQ(q.Record(Kind::kProduce, "User:a", 1000, t0 + std::chrono::seconds(23)), 0);
}

TEST(ByteRateQuotasTest, PerUserOverridesTheDefault) {
  QuotaOptions o;
  o.consumer_byte_rate = 100;
  o.consumer_user["alice"] = 0;       // no quota for alice
  o.consumer_user["bob"] = 1'000'000;  // a larger one for bob
  ByteRateQuotas q(o);
  EXPECT_EQ(q.Limit(Kind::kFetch, "User:alice"), 0);
  EXPECT_EQ(q.Limit(Kind::kFetch, "User:bob"), 1'000'000);
  EXPECT_EQ(q.Limit(Kind::kFetch, "User:carol"), 100);
  EXPECT_EQ(q.Limit(Kind::kFetch, "client-id:x"), 100);
  const auto t0 = Clock::now();
  EXPECT_EQ(q.Record(Kind::kFetch, "User:alice", 1 << 30, t0), 0);
  EXPECT_EQ(q.Record(Kind::kFetch, "User:bob", 5'000'000, t0), 0);
  EXPECT_GT(q.Record(Kind::kFetch, "User:carol", 5'000, t0), 0);
}

}  // namespace
}  // namespace rivulet::log::kafka
