// Fetch (log/kafka/protocol/fetch.h) at every served version, v12
// flexible: requests built field by field decode to the values written,
// responses encode to the exact bytes, truncated bodies fail.
#include "log/kafka/protocol/fetch.h"

#include <gtest/gtest.h>

#include "tests/log/kafka/protocol/body.h"

namespace rivulet::log::kafka {
namespace {

std::string FetchBody(int16_t v, bool unknown_tags = false) {
  Body b(v >= 12);
  b.I32(-1).I32(500).I32(1);
  if (v >= 3) b.I32(1 << 20);
  if (v >= 4) b.I8(1);
  if (v >= 7) b.I32(0).I32(-1);
  b.Count(1).Str("t").Count(2);
  for (int32_t p : {0, 5}) {
    b.I32(p);
    if (v >= 9) b.I32(3);  // current_leader_epoch
    b.I64(40 + p);
    if (v >= 12) b.I32(2);  // last_fetched_epoch
    if (v >= 5) b.I64(-1);  // log_start_offset
    b.I32(65536);
    unknown_tags ? b.UnknownTag() : b.Tags();
  }
  b.Tags();
  if (v >= 7) b.Count(1).Str("gone").Count(2).I32(1).I32(2).Tags();
  if (v >= 11) b.Str("rack-a");
  // The request's tagged cluster_id (tag 0), sent by brokers.
  if (unknown_tags) return b.UnknownTag().bytes();
  return b.Tags().bytes();
}

TEST(FetchTest, DecodesEveryVersion) {
  for (int16_t v = 4; v <= 12; ++v) {
    for (bool tags : {false, true}) {
      if (tags && v < 12) continue;
      auto req = FetchRequest::Decode(FetchBody(v, tags), v);
      ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
      EXPECT_EQ(req->max_wait_ms, 500);
      EXPECT_EQ(req->min_bytes, 1);
      EXPECT_EQ(req->max_bytes, 1 << 20);
      EXPECT_EQ(req->isolation_level, 1);
      EXPECT_EQ(req->session_epoch, -1);
      ASSERT_EQ(req->topics.size(), 1u);
      EXPECT_EQ(req->topics[0].name, "t");
      ASSERT_EQ(req->topics[0].partitions.size(), 2u);
      EXPECT_EQ(req->topics[0].partitions[1].partition, 5);
      EXPECT_EQ(req->topics[0].partitions[1].fetch_offset, 45);
      EXPECT_EQ(req->topics[0].partitions[1].partition_max_bytes, 65536);
    }
  }
}

TEST(FetchTest, TruncatedFails) {
  for (int16_t v : {4, 11, 12}) ExpectTruncationsFail<FetchRequest>(FetchBody(v), v);
}

FetchResponse Response() {
  FetchResponse resp;
  resp.throttle_time_ms = 1;
  FetchResponse::Partition p;
  p.partition = 2;
  p.high_watermark = 10;
  p.last_stable_offset = 8;
  p.log_start_offset = 0;
  p.aborted_transactions = {{77, 3}};
  p.records = "RECORDS";
  FetchResponse::Partition q;
  q.partition = 9;
  q.error = ErrorCode::kOffsetOutOfRange;
  resp.topics.push_back({"t", {p, q}});
  return resp;
}

TEST(FetchTest, EncodesV12) {
  Body b(true);
  b.I32(1).I16(0).I32(0);
  b.Count(1).Str("t").Count(2);
  b.I32(2).I16(0).I64(10).I64(8).I64(0).Count(1).I64(77).I64(3).Tags().I32(-1).Bytes("RECORDS").Tags();
  b.I32(9).I16(1).I64(-1).I64(-1).I64(-1).Count(0).I32(-1).Bytes("").Tags();
  b.Tags().Tags();
  EXPECT_EQ(Response().Encode(12), b.bytes());
}

// Zero-copy Fetch: the records are not in the body but spliced in where
// their bytes go; put back, the body is the one Encode writes.
TEST(FetchTest, SplicedRecordsReassembleToTheCopiedEncoding) {
  const std::string a = "first-partition-records", b = "second";
  auto keep = std::make_shared<std::string>(a + b);
  for (int16_t v : {4, 11, 12}) {
    FetchResponse copied, spliced;
    copied.topics.push_back({"t", {}});
    for (int32_t p = 0; p < 3; ++p) {
      FetchResponse::Partition part;
      part.partition = p;
      part.high_watermark = 10;
      part.aborted_transactions = {{7, 3}};
      copied.topics[0].partitions.push_back(part);
    }
    spliced = copied;
    copied.topics[0].partitions[0].records = a;
    copied.topics[0].partitions[2].records = b;
    spliced.topics[0].partitions[0].records_view = std::span<const char>(keep->data(), a.size());
    spliced.topics[0].partitions[0].records_keep = keep;
    spliced.topics[0].partitions[2].records_view = std::span<const char>(keep->data() + a.size(), b.size());
    spliced.topics[0].partitions[2].records_keep = keep;
    std::vector<Splice> splices;
    const std::string body = spliced.EncodeSpliced(v, &splices);
    ASSERT_EQ(splices.size(), 2u);
    std::string whole;
    size_t at = 0;
    for (const Splice& s : splices) {
      whole.append(body, at, s.at - at);
      whole.append(s.data.data(), s.data.size());
      at = s.at;
    }
    whole.append(body, at);
    EXPECT_EQ(whole, copied.Encode(v)) << "v" << v;
    EXPECT_EQ(spliced.Encode(v), copied.Encode(v)) << "v" << v;  // without splices: copied in
  }
}

TEST(FetchTest, EncodesV11) {
  Body b(false);
  b.I32(1).I16(0).I32(0);
  b.Count(1).Str("t").Count(2);
  b.I32(2).I16(0).I64(10).I64(8).I64(0).Count(1).I64(77).I64(3).I32(-1).Bytes("RECORDS");
  b.I32(9).I16(1).I64(-1).I64(-1).I64(-1).Count(0).I32(-1).Bytes("");
  EXPECT_EQ(Response().Encode(11), b.bytes());
}

}  // namespace
}  // namespace rivulet::log::kafka
