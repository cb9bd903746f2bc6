// ListOffsets (log/kafka/protocol/list_offsets.h) at every served version,
// v6 flexible.
#include "log/kafka/protocol/list_offsets.h"

#include <gtest/gtest.h>

#include "tests/log/kafka/protocol/body.h"

namespace rivulet::log::kafka {
namespace {

std::string ListOffsetsBody(int16_t v) {
  Body b(v >= 6);
  b.I32(-1);
  if (v >= 2) b.I8(1);
  b.Count(1).Str("t").Count(2);
  b.I32(0);
  if (v >= 4) b.I32(-1);
  b.I64(kEarliestTimestamp).Tags();
  b.I32(1);
  if (v >= 4) b.I32(-1);
  b.I64(1700000000000).UnknownTag();
  return b.Tags().Tags().bytes();
}

TEST(ListOffsetsTest, DecodesEveryVersion) {
  for (int16_t v = 1; v <= 6; ++v) {
    auto req = ListOffsetsRequest::Decode(ListOffsetsBody(v), v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    EXPECT_EQ(req->isolation_level, v >= 2 ? 1 : 0);
    ASSERT_EQ(req->topics.size(), 1u);
    EXPECT_EQ(req->topics[0].name, "t");
    ASSERT_EQ(req->topics[0].partitions.size(), 2u);
    EXPECT_EQ(req->topics[0].partitions[0].timestamp, kEarliestTimestamp);
    EXPECT_EQ(req->topics[0].partitions[1].partition, 1);
    EXPECT_EQ(req->topics[0].partitions[1].timestamp, 1700000000000);
  }
}

TEST(ListOffsetsTest, TruncatedFails) {
  for (int16_t v : {1, 5, 6}) ExpectTruncationsFail<ListOffsetsRequest>(ListOffsetsBody(v), v);
}

TEST(ListOffsetsTest, EncodesV6) {
  ListOffsetsResponse resp;
  resp.topics.push_back({"t", {{0, ErrorCode::kNone, -1, 42}, {7, ErrorCode::kUnknownTopicOrPartition, -1, -1}}});
  Body b(true);
  b.I32(0).Count(1).Str("t").Count(2);
  b.I32(0).I16(0).I64(-1).I64(42).I32(0).Tags();
  b.I32(7).I16(3).I64(-1).I64(-1).I32(0).Tags();
  b.Tags().Tags();
  EXPECT_EQ(resp.Encode(6), b.bytes());
}

}  // namespace
}  // namespace rivulet::log::kafka
