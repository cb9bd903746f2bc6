// CreateTopics and DeleteTopics (log/kafka/protocol/topics.h) at every
// served version: CreateTopics v5-7 and DeleteTopics v4-5 flexible.
#include "log/kafka/protocol/topics.h"

#include <gtest/gtest.h>

#include "tests/log/kafka/protocol/body.h"

namespace rivulet::log::kafka {
namespace {

std::string CreateTopicsBody(int16_t v) {
  Body b(v >= 5);
  b.Count(2);
  b.Str("a").I32(3).I16(1).Count(0);
  b.Count(2).Str("retention.ms").NStr("1000").Tags().Str("cleanup.policy").NStr(std::nullopt).Tags();
  b.Tags();
  b.Str("b").I32(-1).I16(-1).Count(1).I32(0).Count(2).I32(1).I32(2).Tags().Count(0).UnknownTag();
  b.I32(5000);
  if (v >= 1) b.I8(1);
  return b.Tags().bytes();
}

TEST(CreateTopicsTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= 7; ++v) {
    auto req = CreateTopicsRequest::Decode(CreateTopicsBody(v), v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    ASSERT_EQ(req->topics.size(), 2u);
    EXPECT_EQ(req->topics[0].name, "a");
    EXPECT_EQ(req->topics[0].num_partitions, 3);
    EXPECT_EQ(req->topics[0].replication_factor, 1);
    EXPECT_FALSE(req->topics[0].has_assignments);
    EXPECT_EQ(req->topics[0].configs, (std::map<std::string, std::string>{{"retention.ms", "1000"}}));
    EXPECT_TRUE(req->topics[1].has_assignments);
    EXPECT_EQ(req->timeout_ms, 5000);
    EXPECT_EQ(req->validate_only, v >= 1);
  }
  for (int16_t v : {4, 5, 7}) ExpectTruncationsFail<CreateTopicsRequest>(CreateTopicsBody(v), v);
}

TopicErrorsResponse Response() {
  TopicErrorsResponse resp;
  TopicErrorsResponse::Topic ok;
  ok.name = "a";
  ok.num_partitions = 3;
  ok.replication_factor = 1;
  ok.configs = {{"retention.ms", "1000", kConfigSourceTopic}, {"segment.ms", "60000", kConfigSourceDefault}};
  TopicErrorsResponse::Topic bad;
  bad.name = "b";
  bad.error = ErrorCode::kTopicAlreadyExists;
  bad.message = "exists";
  resp.topics = {ok, bad};
  return resp;
}

TEST(CreateTopicsTest, EncodesFlexibleVersions) {
  for (int16_t v = 5; v <= 7; ++v) {
    Body b(true);
    b.I32(0).Count(2);
    b.Str("a");
    if (v >= 7) b.Uuid();
    b.I16(0).NStr(std::nullopt).I32(3).I16(1).Count(2);
    b.Str("retention.ms").NStr("1000").I8(0).I8(1).I8(0).Tags();
    b.Str("segment.ms").NStr("60000").I8(0).I8(5).I8(0).Tags();
    b.Tags();
    b.Str("b");
    if (v >= 7) b.Uuid();
    b.I16(36).NStr("exists").I32(-1).I16(-1).Count(0).Tags();
    EXPECT_EQ(Response().EncodeCreate(v), b.Tags().bytes()) << "v" << v;
  }
  Body c(false);  // v4: name, error, message only
  c.I32(0).Count(2).Str("a").I16(0).NStr(std::nullopt).Str("b").I16(36).NStr("exists");
  EXPECT_EQ(Response().EncodeCreate(4), c.bytes());
}

std::string DeleteTopicsBody(int16_t v) {
  return Body(v >= 4).Count(2).Str("a").Str("b").I32(3000).Tags().bytes();
}

TEST(DeleteTopicsTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= 5; ++v) {
    auto req = DeleteTopicsRequest::Decode(DeleteTopicsBody(v), v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    EXPECT_EQ(req->names, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(req->timeout_ms, 3000);
  }
  for (int16_t v : {3, 4, 5}) ExpectTruncationsFail<DeleteTopicsRequest>(DeleteTopicsBody(v), v);
}

TEST(DeleteTopicsTest, EncodesV4AndV5) {
  TopicErrorsResponse resp;
  TopicErrorsResponse::Topic a, b;
  a.name = "a";
  b.name = "b";
  b.error = ErrorCode::kUnknownTopicOrPartition;
  b.message = "no such topic";
  resp.topics = {a, b};
  EXPECT_EQ(resp.EncodeDelete(4),
            Body(true).I32(0).Count(2).Str("a").I16(0).Tags().Str("b").I16(3).Tags().Tags().bytes());
  EXPECT_EQ(resp.EncodeDelete(5), Body(true)
                                      .I32(0)
                                      .Count(2)
                                      .Str("a")
                                      .I16(0)
                                      .NStr(std::nullopt)
                                      .Tags()
                                      .Str("b")
                                      .I16(3)
                                      .NStr("no such topic")
                                      .Tags()
                                      .Tags()
                                      .bytes());
}

}  // namespace
}  // namespace rivulet::log::kafka
