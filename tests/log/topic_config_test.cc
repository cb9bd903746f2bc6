// TopicConfig parsing: Kafka's names and defaults, validation of values,
// and topic-name rules.
#include "log/topic_config.h"

#include <gtest/gtest.h>

namespace rivulet::log {
namespace {

TEST(TopicConfigTest, DefaultsAreKafkas) {
  TopicConfig c;
  EXPECT_EQ(c.retention_ms, 604800000);
  EXPECT_EQ(c.retention_bytes, -1);
  EXPECT_EQ(c.segment_bytes, 1073741824);
  EXPECT_EQ(c.segment_ms, 604800000);
  EXPECT_EQ(c.index_interval_bytes, 4096);
  EXPECT_EQ(c.max_message_bytes, 1048588);
  EXPECT_EQ(c.flush_messages, TopicConfig::kNever);
}

TEST(TopicConfigTest, SetsKnownKeys) {
  auto c = TopicConfig::FromMap({{"retention.ms", "-1"},
                                 {"retention.bytes", "1000"},
                                 {"segment.bytes", "4096"},
                                 {"segment.ms", "60000"},
                                 {"flush.messages", "1"},
                                 {"flush.ms", "0"},
                                 {"message.timestamp.type", "LogAppendTime"},
                                 {"cleanup.policy", "delete"}},
                                TopicConfig());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->retention_ms, -1);
  EXPECT_EQ(c->retention_bytes, 1000);
  EXPECT_EQ(c->segment_bytes, 4096);
  EXPECT_EQ(c->segment_ms, 60000);
  EXPECT_EQ(c->flush_messages, 1);
  EXPECT_EQ(c->flush_ms, 0);
  EXPECT_TRUE(c->log_append_time);
  // Round trip through ToMap.
  auto again = TopicConfig::FromMap(c->ToMap(), TopicConfig());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->ToMap(), c->ToMap());
}

TEST(TopicConfigTest, RejectsBadValuesNamingTheKey) {
  TopicConfig c;
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"retention.ms", "abc"}, {"retention.ms", "-2"}, {"segment.bytes", "10"},
           {"segment.bytes", "99999999999"}, {"flush.messages", "0"}, {"segment.ms", ""},
           {"message.timestamp.type", "Now"}, {"retention.bytes", "12x"}}) {
    Status st = c.Set(k, v);
    EXPECT_EQ(st.code(), Errc::kInvalidArgument) << k << "=" << v;
    EXPECT_NE(st.message().find(k), std::string::npos) << st.message();
  }
  Status st = c.Set("retention.hours", "1");
  EXPECT_EQ(st.code(), Errc::kInvalidArgument);
  EXPECT_NE(st.message().find("unknown topic config"), std::string::npos);
}

TEST(TopicConfigTest, TopicNames) {
  EXPECT_TRUE(ValidateTopicName("a.b_c-D9").ok());
  EXPECT_TRUE(ValidateTopicName(std::string(249, 'x')).ok());
  EXPECT_FALSE(ValidateTopicName(std::string(250, 'x')).ok());
  EXPECT_FALSE(ValidateTopicName("").ok());
  EXPECT_FALSE(ValidateTopicName(".").ok());
  EXPECT_FALSE(ValidateTopicName("..").ok());
  EXPECT_FALSE(ValidateTopicName("a b").ok());
  EXPECT_FALSE(ValidateTopicName("a/b").ok());
  EXPECT_FALSE(ValidateTopicName("é").ok());
}

}  // namespace
}  // namespace rivulet::log
