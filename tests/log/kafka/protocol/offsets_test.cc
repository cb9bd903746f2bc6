// OffsetCommit, OffsetFetch and OffsetDelete (log/kafka/protocol/offsets.h)
// at every served version: OffsetCommit v8 and OffsetFetch v6-v7 flexible;
// OffsetCommit v0 (no generation or member) and v1 (a commit timestamp per
// partition); OffsetFetch v0 (as v1); OffsetDelete v0, whose response leads
// with the error code.
#include "log/kafka/protocol/offsets.h"

#include <gtest/gtest.h>

#include "tests/log/kafka/protocol/body.h"

namespace rivulet::log::kafka {
namespace {

std::string OffsetCommitBody(int16_t v) {
  Body b(v >= 8);
  b.Str("g");
  if (v >= 1) b.I32(4).Str("m");
  if (v >= 2 && v <= 4) b.I64(-1);  // retention_time_ms
  if (v >= 7) b.NStr("instance");
  b.Count(1).Str("t").Count(2);
  b.I32(0).I64(17);
  if (v == 1) b.I64(1700000000000);  // commit_timestamp
  if (v >= 6) b.I32(-1);
  b.NStr("meta").Tags();
  b.I32(1).I64(18);
  if (v == 1) b.I64(-1);
  if (v >= 6) b.I32(-1);
  b.NStr(std::nullopt).UnknownTag();
  return b.UnknownTag().UnknownTag().bytes();
}

TEST(OffsetCommitTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= 8; ++v) {
    auto req = OffsetCommitRequest::Decode(OffsetCommitBody(v), v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    EXPECT_EQ(req->group_id, "g");
    EXPECT_EQ(req->generation, v >= 1 ? 4 : -1) << "v" << v;
    EXPECT_EQ(req->member_id, v >= 1 ? "m" : "") << "v" << v;
    ASSERT_EQ(req->topics.size(), 1u);
    EXPECT_EQ(req->topics[0].name, "t");
    ASSERT_EQ(req->topics[0].partitions.size(), 2u);
    EXPECT_EQ(req->topics[0].partitions[0].partition, 0);
    EXPECT_EQ(req->topics[0].partitions[0].offset, 17);
    EXPECT_EQ(req->topics[0].partitions[0].metadata, "meta");
    EXPECT_EQ(req->topics[0].partitions[1].partition, 1);
    EXPECT_EQ(req->topics[0].partitions[1].offset, 18);
    EXPECT_EQ(req->topics[0].partitions[1].metadata, "");
  }
}

TEST(OffsetCommitTest, TruncatedFails) {
  for (int16_t v : {0, 1, 2, 5, 6, 7, 8}) ExpectTruncationsFail<OffsetCommitRequest>(OffsetCommitBody(v), v);
}

TEST(OffsetCommitTest, EncodesEveryVersion) {
  OffsetCommitResponse resp;
  resp.topics.push_back({"t", {{0, ErrorCode::kNone}, {1, ErrorCode::kIllegalGeneration}}});
  for (int16_t v = 0; v <= 8; ++v) {
    Body b(v >= 8);
    if (v >= 3) b.I32(0);  // throttle_time_ms
    b.Count(1).Str("t").Count(2).I32(0).I16(0).Tags().I32(1).I16(22).Tags().Tags().Tags();
    EXPECT_EQ(resp.Encode(v), b.bytes()) << "v" << v;
  }
}

std::string OffsetFetchBody(int16_t v, bool all) {
  Body b(v >= 6);
  b.Str("g");
  if (all) {
    b.NullCount();
  } else {
    b.Count(1).Str("t").Count(2).I32(0).I32(3).UnknownTag();
  }
  if (v >= 7) b.I8(1);  // require_stable
  return b.Tags().bytes();
}

TEST(OffsetFetchTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= 7; ++v) {
    auto req = OffsetFetchRequest::Decode(OffsetFetchBody(v, false), v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    EXPECT_EQ(req->group_id, "g");
    EXPECT_EQ(req->require_stable, v >= 7);
    ASSERT_TRUE(req->topics.has_value());
    ASSERT_EQ(req->topics->size(), 1u);
    EXPECT_EQ((*req->topics)[0].first, "t");
    EXPECT_EQ((*req->topics)[0].second, (std::vector<int32_t>{0, 3}));

    auto all = OffsetFetchRequest::Decode(OffsetFetchBody(v, true), v);
    EXPECT_EQ(all.ok(), v >= 2) << "v" << v;
    if (all.ok()) {
      EXPECT_FALSE(all->topics.has_value());
    }
  }
}

TEST(OffsetFetchTest, TruncatedFails) {
  for (int16_t v : {0, 1, 5, 6, 7}) {
    ExpectTruncationsFail<OffsetFetchRequest>(OffsetFetchBody(v, false), v);
    if (v >= 2) ExpectTruncationsFail<OffsetFetchRequest>(OffsetFetchBody(v, true), v);
  }
}

TEST(OffsetFetchTest, EncodesV6) {
  OffsetFetchResponse resp;
  resp.topics.push_back({"t", {{0, 17, "meta", ErrorCode::kNone}, {1, -1, "", ErrorCode::kNone}}});
  Body b(true);
  b.I32(0).Count(1).Str("t").Count(2);
  b.I32(0).I64(17).I32(-1).NStr("meta").I16(0).Tags();
  b.I32(1).I64(-1).I32(-1).NStr("").I16(0).Tags();
  b.Tags().I16(0).Tags();
  EXPECT_EQ(resp.Encode(6), b.bytes());
}

// ---- OffsetDelete (47) ----

std::string OffsetDeleteBody() {
  Body b(false);
  b.Str("g").Count(2);
  b.Str("t1").Count(2).I32(0).I32(5);
  b.Str("t2").Count(0);
  return b.bytes();
}

TEST(OffsetDeleteTest, DecodesV0) {
  auto req = OffsetDeleteRequest::Decode(OffsetDeleteBody(), 0);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->group_id, "g");
  ASSERT_EQ(req->topics.size(), 2u);
  EXPECT_EQ(req->topics[0].name, "t1");
  EXPECT_EQ(req->topics[0].partitions, (std::vector<int32_t>{0, 5}));
  EXPECT_EQ(req->topics[1].name, "t2");
  EXPECT_TRUE(req->topics[1].partitions.empty());
  ExpectTruncationsFail<OffsetDeleteRequest>(OffsetDeleteBody(), 0);
}

TEST(OffsetDeleteTest, AbsurdCountsFail) {
  EXPECT_FALSE(OffsetDeleteRequest::Decode(Body(false).Str("g").I32(1 << 30).bytes(), 0).ok());
  EXPECT_FALSE(OffsetDeleteRequest::Decode(Body(false).Str("g").Count(1).Str("t").I32(1 << 30).I32(0).bytes(), 0).ok());
}

TEST(OffsetDeleteTest, EncodesV0) {
  OffsetDeleteResponse resp;
  resp.error = ErrorCode::kNone;
  resp.topics.push_back({"t1", {{0, ErrorCode::kNone}, {5, ErrorCode::kUnknownTopicOrPartition}}});
  resp.topics.push_back({"t2", {}});
  Body b(false);
  b.I16(0).I32(0).Count(2);  // error_code, then throttle_time_ms
  b.Str("t1").Count(2).I32(0).I16(0).I32(5).I16(3);
  b.Str("t2").Count(0);
  EXPECT_EQ(resp.Encode(0), b.bytes());

  OffsetDeleteResponse err;
  err.error = ErrorCode::kGroupIdNotFound;
  EXPECT_EQ(err.Encode(0), Body(false).I16(69).I32(0).Count(0).bytes());
}

}  // namespace
}  // namespace rivulet::log::kafka
