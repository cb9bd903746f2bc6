// payments' logic and record format, tested with Rivulet's harness.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "payments.h"
#include "rivulet/testing.h"

namespace payments {
namespace {

using rivulet::testing::Harness;

std::map<std::string, int64_t> ByUser(const std::vector<rivulet::testing::Record<Spend>>& records) {
  std::map<std::string, int64_t> m;
  for (const auto& r : records) m[r.value.key] += r.value.value;
  return m;
}

TEST(PaymentsTest, SpendPerUserPerWindowAtAnyParallelism) {
  for (int parallelism : {1, 2, 3}) {
    SCOPED_TRACE("parallelism " + std::to_string(parallelism));
    Harness h({.parallelism = parallelism});
    auto in = h.Input<Payment>("payments");
    auto out = h.Output(SpendPerUser(in.stream(), 60'000), "spend");
    ASSERT_TRUE(h.Start().ok());
    in.Send({"alice", 1250, 1'000}, 1'000);
    in.Send({"bob", 300, 2'000}, 2'000);
    in.Send({"alice", 99, 59'999}, 59'999);
    in.Send({"alice", 7, 60'000}, 60'000);  // the next window
    ASSERT_TRUE(h.AdvanceWatermark(59'999).ok());
    auto first = out.Take();
    EXPECT_EQ(ByUser(first), (std::map<std::string, int64_t>{{"alice", 1349}, {"bob", 300}}));
    for (const auto& r : first) EXPECT_EQ(r.value.start, 0);
    ASSERT_TRUE(h.Finish().ok());
    EXPECT_EQ(ByUser(out.Take()), (std::map<std::string, int64_t>{{"alice", 7}}));
  }
}

TEST(PaymentsTest, SpendIsCountedOnceAcrossARestartFromACheckpoint) {
  Harness h({.parallelism = 2, .visibility = rivulet::testing::Visibility::kCommitted});
  auto in = h.Input<Payment>("payments");
  auto out = h.Output(SpendPerUser(in.stream(), 60'000), "spend");
  ASSERT_TRUE(h.Start().ok());
  in.Send({"alice", 100, 1'000}, 1'000);
  ASSERT_TRUE(h.Checkpoint().ok());
  in.Send({"alice", 20, 2'000}, 2'000);
  ASSERT_TRUE(h.Restart(3).ok());
  in.Send({"alice", 3, 3'000}, 3'000);
  ASSERT_TRUE(h.Finish().ok());
  EXPECT_EQ(ByUser(out.All()), (std::map<std::string, int64_t>{{"alice", 123}}));
}

TEST(PaymentsTest, DecodeRefusesRecordsThatAreNotAPayment) {
  rivulet::log::ConsumerRecord r;
  std::string key = "alice", value = "1250";
  r.key = key;
  r.value = value;
  r.timestamp = 42;
  auto p = Decode(r);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->user, "alice");
  EXPECT_EQ(p->cents, 1250);
  EXPECT_EQ(p->ts, 42);
  for (std::string bad : {"", "12x", "x", "1.5"}) {
    value = bad;
    r.value = value;
    EXPECT_FALSE(Decode(r).has_value()) << bad;
  }
  value = "1.5";
  r.value = value;
  EXPECT_EQ(Decode(r).status().message(), "value '1.5' is not a whole number of cents");
  value = "5";
  r.value = value;
  r.key.reset();
  EXPECT_FALSE(Decode(r).has_value()) << "no key";
  EXPECT_EQ(Decode(r).status().message(), "no key (the user)");
}

}  // namespace
}  // namespace payments
