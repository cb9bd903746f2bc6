// OffsetCommit and OffsetFetch (log/kafka/protocol/offsets.h) at every
// served version: OffsetCommit v8 and OffsetFetch v6-v7 flexible.
#include "log/kafka/protocol/offsets.h"

#include <gtest/gtest.h>

#include "tests/log/kafka/protocol/body.h"

namespace rivulet::log::kafka {
namespace {

std::string OffsetCommitBody(int16_t v) {
  Body b(v >= 8);
  b.Str("g").I32(4).Str("m");
  if (v >= 2 && v <= 4) b.I64(-1);  // retention_time_ms
  if (v >= 7) b.NStr("instance");
  b.Count(1).Str("t").Count(2);
  b.I32(0).I64(17);
  if (v >= 6) b.I32(-1);
  b.NStr("meta").Tags();
  b.I32(1).I64(18);
  if (v >= 6) b.I32(-1);
  b.NStr(std::nullopt).UnknownTag();
  return b.Tags().Tags().bytes();
}

TEST(OffsetCommitTest, DecodesEveryVersion) {
  for (int16_t v = 2; v <= 8; ++v) {
    auto req = OffsetCommitRequest::Decode(OffsetCommitBody(v), v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    EXPECT_EQ(req->group_id, "g");
    EXPECT_EQ(req->generation, 4);
    EXPECT_EQ(req->member_id, "m");
    ASSERT_EQ(req->topics.size(), 1u);
    ASSERT_EQ(req->topics[0].partitions.size(), 2u);
    EXPECT_EQ(req->topics[0].partitions[0].offset, 17);
    EXPECT_EQ(req->topics[0].partitions[0].metadata, "meta");
    EXPECT_EQ(req->topics[0].partitions[1].offset, 18);
    EXPECT_EQ(req->topics[0].partitions[1].metadata, "");
  }
}

TEST(OffsetCommitTest, TruncatedFails) {
  for (int16_t v : {2, 7, 8}) ExpectTruncationsFail<OffsetCommitRequest>(OffsetCommitBody(v), v);
}

TEST(OffsetCommitTest, EncodesV8) {
  OffsetCommitResponse resp;
  resp.topics.push_back({"t", {{0, ErrorCode::kNone}, {1, ErrorCode::kIllegalGeneration}}});
  Body b(true);
  b.I32(0).Count(1).Str("t").Count(2).I32(0).I16(0).Tags().I32(1).I16(22).Tags().Tags().Tags();
  EXPECT_EQ(resp.Encode(8), b.bytes());
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
  for (int16_t v = 1; v <= 7; ++v) {
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
  for (int16_t v : {1, 5, 6, 7}) {
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

}  // namespace
}  // namespace rivulet::log::kafka
