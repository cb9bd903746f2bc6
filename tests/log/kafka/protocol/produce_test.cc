// Produce (log/kafka/protocol/produce.h) at every served version, v9
// flexible: requests built field by field decode to the values written,
// unknown tagged fields are skipped, responses encode to the exact bytes,
// and truncated bodies fail.
#include "log/kafka/protocol/produce.h"

#include <gtest/gtest.h>

#include "tests/log/kafka/protocol/body.h"

namespace rivulet::log::kafka {
namespace {

std::string ProduceBody(int16_t v, bool unknown_tags = false) {
  Body b(v >= 9);
  b.NStr("txn").I16(-1).I32(30000);
  b.Count(2);
  b.Str("a").Count(2);
  b.I32(0).Bytes("batch-0");
  unknown_tags ? b.UnknownTag() : b.Tags();
  b.I32(3).Bytes("batch-3").Tags();
  b.Tags();
  b.Str("b").Count(0).Tags();
  unknown_tags ? b.UnknownTag() : b.Tags();
  return b.bytes();
}

TEST(ProduceTest, DecodesEveryVersion) {
  for (int16_t v = 3; v <= 9; ++v) {
    for (bool tags : {false, true}) {
      if (tags && v < 9) continue;
      const std::string body = ProduceBody(v, tags);  // the records are views into it
      auto req = ProduceRequest::Decode(body, v);
      ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
      EXPECT_EQ(req->transactional_id, "txn");
      EXPECT_EQ(req->acks, -1);
      EXPECT_EQ(req->timeout_ms, 30000);
      ASSERT_EQ(req->topics.size(), 2u);
      EXPECT_EQ(req->topics[0].name, "a");
      ASSERT_EQ(req->topics[0].partitions.size(), 2u);
      EXPECT_EQ(req->topics[0].partitions[1].index, 3);
      EXPECT_EQ(req->topics[0].partitions[1].records, "batch-3");
      EXPECT_EQ(req->topics[1].name, "b");
      EXPECT_TRUE(req->topics[1].partitions.empty());
      EXPECT_EQ(ProduceRequest::PeekAcks(ProduceBody(v), v), -1);
    }
  }
}

TEST(ProduceTest, PeekAcksReadsFlexibleTransactionalId) {
  Body b(true);
  b.NStr(std::nullopt).I16(0).I32(1).Count(0).Tags();
  EXPECT_EQ(ProduceRequest::PeekAcks(b.bytes(), 9), 0);
  EXPECT_EQ(ProduceRequest::PeekAcks("\x05", 9), -1);
}

TEST(ProduceTest, TruncatedFails) {
  for (int16_t v : {3, 8, 9}) ExpectTruncationsFail<ProduceRequest>(ProduceBody(v), v);
}

TEST(ProduceTest, EncodesV9) {
  ProduceResponse resp;
  resp.throttle_time_ms = 5;
  resp.topics.push_back({"t", {{2, ErrorCode::kNone, 100, -1, 7, std::nullopt}}});
  resp.topics[0].partitions.push_back({4, ErrorCode::kNotLeaderOrFollower, -1, -1, -1, "moved"});
  Body b(true);
  b.Count(1).Str("t").Count(2);
  b.I32(2).I16(0).I64(100).I64(-1).I64(7).Count(0).NStr(std::nullopt).Tags();
  b.I32(4).I16(6).I64(-1).I64(-1).I64(-1).Count(0).NStr("moved").Tags();
  b.Tags().I32(5).Tags();
  EXPECT_EQ(resp.Encode(9), b.bytes());

  Body c(false);  // v8: the same fields, classic encodings
  c.Count(1).Str("t").Count(2);
  c.I32(2).I16(0).I64(100).I64(-1).I64(7).Count(0).NStr(std::nullopt);
  c.I32(4).I16(6).I64(-1).I64(-1).I64(-1).Count(0).NStr("moved");
  c.I32(5);
  EXPECT_EQ(resp.Encode(8), c.bytes());
}

}  // namespace
}  // namespace rivulet::log::kafka
