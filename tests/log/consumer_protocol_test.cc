// Consumer protocol bytes (Kafka's ConsumerProtocol v0) and the range /
// roundrobin assignors, checked against Kafka's documented examples.
#include "log/consumer_protocol.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace rivulet::log {
namespace {

TEST(ConsumerProtocolTest, SubscriptionBytesAreKafkas) {
  const std::string b = EncodeSubscription({{"ab"}, ""});
  // version 0, one topic "ab", empty user data.
  EXPECT_EQ(b, std::string("\x00\x00" "\x00\x00\x00\x01" "\x00\x02" "ab" "\x00\x00\x00\x00", 14));
  auto s = DecodeSubscription(b);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->topics, std::vector<std::string>{"ab"});
}

TEST(ConsumerProtocolTest, AssignmentRoundTrip) {
  Assignment a = {{"t0", {0, 2}}, {"t1", {1}}};
  auto d = DecodeAssignment(EncodeAssignment(a));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, a);
  EXPECT_TRUE(DecodeAssignment("")->empty());
}

TEST(ConsumerProtocolTest, GarbageIsCorruptionNotACrash) {
  const std::string good = EncodeAssignment({{"topic", {0, 1, 2}}});
  for (size_t n = 1; n < good.size() - 4; ++n) {
    EXPECT_FALSE(DecodeAssignment(good.substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeSubscription(std::string("\x00\x00\x7f\xff\xff\xff", 6)).ok());
  EXPECT_FALSE(DecodeAssignment(std::string("\x00\x00\x00\x00\x00\x01\x7f\xff", 8)).ok());
}

std::map<std::string, Subscription> Members(std::initializer_list<std::string> ids,
                                            std::vector<std::string> topics) {
  std::map<std::string, Subscription> m;
  for (const auto& id : ids) m[id] = Subscription{topics, ""};
  return m;
}

TEST(ConsumerProtocolTest, RangeMatchesKafkasExample) {
  auto plan = Assign("range", Members({"C0", "C1"}, {"t0", "t1"}), {{"t0", 3}, {"t1", 3}});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ((*plan)["C0"], (Assignment{{"t0", {0, 1}}, {"t1", {0, 1}}}));
  EXPECT_EQ((*plan)["C1"], (Assignment{{"t0", {2}}, {"t1", {2}}}));
}

TEST(ConsumerProtocolTest, RoundRobinMatchesKafkasExample) {
  auto plan = Assign("roundrobin", Members({"C0", "C1"}, {"t0", "t1"}), {{"t0", 3}, {"t1", 3}});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ((*plan)["C0"], (Assignment{{"t0", {0, 2}}, {"t1", {1}}}));
  EXPECT_EQ((*plan)["C1"], (Assignment{{"t0", {1}}, {"t1", {0, 2}}}));
}

TEST(ConsumerProtocolTest, UnknownAssignor) {
  EXPECT_EQ(Assign("sticky-ish", Members({"a"}, {"t"}), {{"t", 1}}).status().code(), Errc::kInvalidArgument);
}

TEST(ConsumerProtocolTest, EveryPartitionExactlyOnce) {
  std::mt19937 rng(5);
  for (int round = 0; round < 200; ++round) {
    std::map<std::string, Subscription> members;
    std::map<std::string, int32_t> topics;
    const int nt = 1 + static_cast<int>(rng() % 4);
    for (int t = 0; t < nt; ++t) topics["t" + std::to_string(t)] = 1 + static_cast<int32_t>(rng() % 9);
    const int nm = 1 + static_cast<int>(rng() % 6);
    for (int m = 0; m < nm; ++m) {
      Subscription s;
      for (const auto& [t, n] : topics) {
        if (m == 0 || rng() % 2) s.topics.push_back(t);  // member 0 takes everything
      }
      members["m" + std::to_string(m)] = s;
    }
    for (const std::string name : {"range", "roundrobin"}) {
      auto plan = Assign(name, members, topics);
      ASSERT_TRUE(plan.ok());
      std::set<std::pair<std::string, int32_t>> seen;
      for (const auto& [id, a] : *plan) {
        for (const auto& [t, ps] : a) {
          const auto& sub = members[id].topics;
          ASSERT_NE(std::find(sub.begin(), sub.end(), t), sub.end()) << "assigned an unsubscribed topic";
          for (int32_t p : ps) ASSERT_TRUE(seen.insert({t, p}).second) << name << " twice: " << t << p;
        }
      }
      size_t total = 0;
      for (const auto& [t, n] : topics) total += static_cast<size_t>(n);
      ASSERT_EQ(seen.size(), total) << name;
    }
  }
}

}  // namespace
}  // namespace rivulet::log
