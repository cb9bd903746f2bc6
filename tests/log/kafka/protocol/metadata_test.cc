// Metadata (log/kafka/protocol/metadata.h) at every served version, v9+
// flexible, v10+ with topic ids (zero here), v11 without the cluster
// authorised operations.
#include "log/kafka/protocol/metadata.h"

#include <gtest/gtest.h>

#include "tests/log/kafka/protocol/body.h"

namespace rivulet::log::kafka {
namespace {

std::string MetadataBody(int16_t v, const std::optional<std::vector<std::optional<std::string>>>& topics,
                         bool allow_auto = false) {
  Body b(v >= 9);
  if (!topics) {
    b.NullCount();
  } else {
    b.Count(topics->size());
    for (const auto& t : *topics) {
      if (v >= 10) {
        b.Uuid().NStr(t);
      } else {
        b.Str(*t);
      }
      b.UnknownTag();
    }
  }
  if (v >= 4) b.I8(allow_auto ? 1 : 0);
  if (v >= 8 && v <= 10) b.I8(0);  // include_cluster_authorized_operations
  if (v >= 8) b.I8(1);             // include_topic_authorized_operations
  return b.Tags().bytes();
}

TEST(MetadataTest, DecodesEveryVersion) {
  for (int16_t v = 1; v <= 12; ++v) {
    auto req = MetadataRequest::Decode(MetadataBody(v, std::vector<std::optional<std::string>>{"a", "bb"}), v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    ASSERT_TRUE(req->topics.has_value());
    EXPECT_EQ(*req->topics, (std::vector<std::string>{"a", "bb"}));
    EXPECT_EQ(req->allow_auto_topic_creation, v < 4);  // true by default before v4
    EXPECT_EQ(req->topics_by_id, 0);

    auto all = MetadataRequest::Decode(MetadataBody(v, std::nullopt, true), v);
    ASSERT_TRUE(all.ok()) << "v" << v;
    EXPECT_FALSE(all->topics.has_value());
    EXPECT_TRUE(all->allow_auto_topic_creation);
  }
}

TEST(MetadataTest, V0EmptyMeansAll) {
  auto req = MetadataRequest::Decode(MetadataBody(0, std::vector<std::optional<std::string>>{}), 0);
  ASSERT_TRUE(req.ok());
  EXPECT_FALSE(req->topics.has_value());
}

TEST(MetadataTest, TopicByIdAloneIsCounted) {
  for (int16_t v : {10, 12}) {
    auto req = MetadataRequest::Decode(MetadataBody(v, std::vector<std::optional<std::string>>{std::nullopt, "x"}), v);
    ASSERT_TRUE(req.ok()) << "v" << v;
    EXPECT_EQ(*req->topics, (std::vector<std::string>{"x"}));
    EXPECT_EQ(req->topics_by_id, 1);
  }
}

TEST(MetadataTest, TruncatedFails) {
  for (int16_t v : {1, 8, 9, 10, 11, 12}) {
    ExpectTruncationsFail<MetadataRequest>(MetadataBody(v, std::vector<std::optional<std::string>>{"a"}), v);
  }
}

TEST(MetadataTest, AbsurdCountFails) {
  Body b(true);
  b.Count(1000).Str("a");
  EXPECT_FALSE(MetadataRequest::Decode(b.bytes(), 9).ok());
}

MetadataResponse Response() {
  MetadataResponse resp;
  resp.brokers.push_back({1, "h", 9092});
  resp.cluster_id = "c";
  resp.controller_id = 1;
  resp.topics.push_back({ErrorCode::kNone, "t", {{ErrorCode::kNone, 0, 1}}});
  resp.topics.push_back({ErrorCode::kUnknownTopicOrPartition, "u", {}});
  return resp;
}

// The expected body at v9-v12.
std::string Expected(int16_t v) {
  Body b(true);
  b.I32(0).Count(1).I32(1).Str("h").I32(9092).NStr(std::nullopt).Tags();
  b.NStr("c").I32(1);
  b.Count(2);
  b.I16(0).Str("t");
  if (v >= 10) b.Uuid();
  b.I8(0).Count(1);
  b.I16(0).I32(0).I32(1).I32(0).Count(1).I32(1).Count(1).I32(1).Count(0).Tags();
  b.I32(INT32_MIN).Tags();
  b.I16(3).Str("u");
  if (v >= 10) b.Uuid();
  b.I8(0).Count(0).I32(INT32_MIN).Tags();
  if (v <= 10) b.I32(INT32_MIN);
  return b.Tags().bytes();
}

TEST(MetadataTest, EncodesFlexibleVersions) {
  for (int16_t v = 9; v <= 12; ++v) EXPECT_EQ(Response().Encode(v), Expected(v)) << "v" << v;
}

TEST(MetadataTest, EncodesV8Classic) {
  Body b(false);
  b.I32(0).Count(1).I32(1).Str("h").I32(9092).NStr(std::nullopt);
  b.NStr("c").I32(1);
  b.Count(2);
  b.I16(0).Str("t").I8(0).Count(1);
  b.I16(0).I32(0).I32(1).I32(0).Count(1).I32(1).Count(1).I32(1).Count(0);
  b.I32(INT32_MIN);
  b.I16(3).Str("u").I8(0).Count(0).I32(INT32_MIN);
  b.I32(INT32_MIN);
  EXPECT_EQ(Response().Encode(8), b.bytes());
}

}  // namespace
}  // namespace rivulet::log::kafka
