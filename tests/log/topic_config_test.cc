// TopicConfig parsing: Kafka's names and defaults, validation of values,
// the table of settings (TopicConfigKeys) against what Set accepts and
// ToMap shows, and topic-name rules.
#include "log/topic_config.h"

#include <gtest/gtest.h>

#include <set>

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

TEST(TopicConfigTest, KeysAreSortedUniqueAndDescribed) {
  const auto& keys = TopicConfigKeys();
  ASSERT_FALSE(keys.empty());
  std::set<std::string> seen;
  for (size_t i = 0; i < keys.size(); ++i) {
    const TopicConfigKey& k = keys[i];
    ASSERT_NE(k.name, nullptr);
    EXPECT_TRUE(seen.insert(k.name).second) << "duplicate " << k.name;
    if (i > 0) {
      EXPECT_LT(std::string(keys[i - 1].name), std::string(k.name)) << "out of order";
    }
    ASSERT_NE(k.broker_name, nullptr) << k.name;
    EXPECT_FALSE(std::string(k.broker_name).empty()) << k.name;
    ASSERT_NE(k.doc, nullptr) << k.name;
    EXPECT_FALSE(std::string(k.doc).empty()) << k.name;
    // The settings without effect carry their Kafka default instead of one of ours.
    if (!k.effective) {
      EXPECT_NE(k.kafka_default, nullptr) << k.name;
    }
  }
}

TEST(TopicConfigTest, EveryKeyIsAcceptedWithItsDefault) {
  const TopicConfig defaults;
  const auto shown = defaults.ToMap();
  for (const TopicConfigKey& k : TopicConfigKeys()) {
    std::string value;
    if (k.effective) {
      ASSERT_TRUE(shown.count(k.name)) << k.name << " takes effect but ToMap does not show it";
      value = shown.at(k.name);
    } else {
      ASSERT_NE(k.kafka_default, nullptr) << k.name;
      value = k.kafka_default;
    }
    TopicConfig c;
    Status st = c.Set(k.name, value);
    EXPECT_TRUE(st.ok()) << k.name << "=" << value << ": " << st.ToString();
    EXPECT_EQ(c.ToMap(), shown) << k.name << "=" << value << " changed another setting";
    // The numbers that take effect are checked as numbers.
    if (k.effective && (k.type == TopicConfigKey::Type::kInt || k.type == TopicConfigKey::Type::kLong)) {
      EXPECT_TRUE(c.Set(k.name, "not-a-number").code() == Errc::kInvalidArgument) << k.name;
    }
  }
}

TEST(TopicConfigTest, EveryShownSettingIsInTheTable) {
  std::set<std::string> effective, all;
  for (const TopicConfigKey& k : TopicConfigKeys()) {
    all.insert(k.name);
    if (k.effective) effective.insert(k.name);
  }
  std::set<std::string> shown;
  for (const auto& [name, value] : TopicConfig().ToMap()) shown.insert(name);
  EXPECT_EQ(shown, effective);
  // And what is not in the table is refused.
  TopicConfig c;
  for (const char* unknown : {"retention.hours", "cleanup.policies", "segment.index.bytes", ""}) {
    EXPECT_FALSE(all.count(unknown)) << unknown;
    EXPECT_EQ(c.Set(unknown, "1").code(), Errc::kInvalidArgument) << unknown;
  }
}

// Settings with no effect here are still checked as Kafka checks them, so
// a typo is refused rather than stored and described back.
TEST(TopicConfigTest, KafkaOnlySettingsAreValidated) {
  TopicConfig c;
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"min.insync.replicas", "2"}, {"cleanup.policy", "compact,delete"}, {"compression.type", "zstd"}}) {
    EXPECT_TRUE(c.Set(key, value).ok()) << key;
  }
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"min.insync.replicas", "0"}, {"min.insync.replicas", "two"}, {"cleanup.policy", "compacted"},
           {"compression.type", "brotli"}}) {
    Status st = c.Set(key, value);
    EXPECT_EQ(st.code(), Errc::kInvalidArgument) << key << "=" << value;
    EXPECT_NE(st.message().find(key), std::string::npos) << st.message();
  }
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
