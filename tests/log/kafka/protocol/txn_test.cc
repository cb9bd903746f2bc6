// The transaction codecs (log/kafka/protocol/txn.h), every API at every
// version: requests built field by field as Kafka's message definitions list
// them, with the Writer's primitives (not the FieldWriter the codecs use),
// decode to the values written; responses encode to the exact bytes; and
// every way a body goes bad (cut short, absurd counts, compact lengths past
// the end, an unknown version) is an error, never a crash.
#include "log/kafka/protocol/txn.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "log/kafka/protocol/decode.h"

namespace rivulet::log::kafka {
namespace {

using namespace std::string_literals;

// One body in either encoding, spelled out per field.
class Body {
 public:
  explicit Body(bool flexible) : flex_(flexible) {}
  Body& I8(int8_t v) { return w_.Int8(v), *this; }
  Body& I16(int16_t v) { return w_.Int16(v), *this; }
  Body& I32(int32_t v) { return w_.Int32(v), *this; }
  Body& I64(int64_t v) { return w_.Int64(v), *this; }
  Body& Str(const std::string& s) { return flex_ ? w_.CompactString(s) : w_.String(s), *this; }
  Body& NStr(const std::optional<std::string>& s) {
    return flex_ ? w_.CompactNullableString(s) : w_.NullableString(s), *this;
  }
  Body& Count(size_t n) { return flex_ ? w_.CompactArrayCount(n) : w_.ArrayCount(n), *this; }
  // The end of a struct: an empty tag section when flexible.
  Body& Tags() {
    if (flex_) w_.EmptyTaggedFields();
    return *this;
  }
  // A tag section with one field a newer client might send (tag 3, "xy").
  Body& UnknownTag() {
    if (flex_) w_.Raw("\x01\x03\x02xy"s);
    return *this;
  }
  std::string bytes() { return w_.Take(); }

 private:
  bool flex_;
  Writer w_;
};

// ---- InitProducerId (22) ----

std::string InitProducerIdBody(int16_t v, const std::optional<std::string>& txn_id, bool unknown_tag = false) {
  Body b(v >= 2);
  b.NStr(txn_id).I32(60000);
  if (v >= 3) b.I64(1234567890123).I16(7);
  if (unknown_tag) return b.UnknownTag().bytes();
  return b.Tags().bytes();
}

TEST(InitProducerIdTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= 4; ++v) {
    auto req = InitProducerIdRequest::Decode(InitProducerIdBody(v, "txn-1"), v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    EXPECT_EQ(req->transactional_id, "txn-1");
    EXPECT_EQ(req->transaction_timeout_ms, 60000);
    EXPECT_EQ(req->producer_id, v >= 3 ? 1234567890123 : -1);
    EXPECT_EQ(req->producer_epoch, v >= 3 ? 7 : -1);

    auto idem = InitProducerIdRequest::Decode(InitProducerIdBody(v, std::nullopt), v);
    ASSERT_TRUE(idem.ok()) << "v" << v;
    EXPECT_EQ(idem->transactional_id, std::nullopt);
  }
}

TEST(InitProducerIdTest, SkipsUnknownTaggedFields) {
  for (int16_t v = 2; v <= 4; ++v) {
    auto req = InitProducerIdRequest::Decode(InitProducerIdBody(v, "t", /*unknown_tag=*/true), v);
    ASSERT_TRUE(req.ok()) << "v" << v;
    EXPECT_EQ(req->transactional_id, "t");
  }
}

TEST(InitProducerIdTest, FlexibleBytesExactly) {
  // v2 by hand: compact "tx" (3), timeout 1000, empty tags.
  auto req = InitProducerIdRequest::Decode("\x03tx\x00\x00\x03\xe8\x00"s, 2);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->transactional_id, "tx");
  EXPECT_EQ(req->transaction_timeout_ms, 1000);
  // Null transactional id: 0.
  auto idem = InitProducerIdRequest::Decode("\x00\x00\x00\x03\xe8\x00"s, 2);
  ASSERT_TRUE(idem.ok());
  EXPECT_EQ(idem->transactional_id, std::nullopt);
}

TEST(InitProducerIdTest, EncodesResponse) {
  InitProducerIdResponse resp;
  resp.throttle_time_ms = 5;
  resp.error = ErrorCode::kConcurrentTransactions;
  resp.producer_id = 1000;
  resp.producer_epoch = 2;
  const std::string classic = "\x00\x00\x00\x05" "\x00\x33" "\x00\x00\x00\x00\x00\x00\x03\xe8" "\x00\x02"s;
  EXPECT_EQ(resp.Encode(0), classic);
  EXPECT_EQ(resp.Encode(1), classic);
  for (int16_t v = 2; v <= 4; ++v) EXPECT_EQ(resp.Encode(v), classic + "\x00"s) << "v" << v;
}

// ---- AddPartitionsToTxn (24) ----

std::string AddPartitionsToTxnBody(int16_t v) {
  Body b(v >= 3);
  b.Str("txn-1").I64(77).I16(3);
  b.Count(2);
  b.Str("orders").Count(3).I32(0).I32(2).I32(5).Tags();
  b.Str("audit").Count(0).Tags();
  return b.Tags().bytes();
}

TEST(AddPartitionsToTxnTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= 3; ++v) {
    auto req = AddPartitionsToTxnRequest::Decode(AddPartitionsToTxnBody(v), v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    EXPECT_EQ(req->transactional_id, "txn-1");
    EXPECT_EQ(req->producer_id, 77);
    EXPECT_EQ(req->producer_epoch, 3);
    ASSERT_EQ(req->topics.size(), 2u);
    EXPECT_EQ(req->topics[0].name, "orders");
    EXPECT_EQ(req->topics[0].partitions, (std::vector<int32_t>{0, 2, 5}));
    EXPECT_EQ(req->topics[1].name, "audit");
    EXPECT_TRUE(req->topics[1].partitions.empty());
  }
}

TEST(AddPartitionsToTxnTest, EncodesResponse) {
  AddPartitionsToTxnResponse resp;
  resp.throttle_time_ms = 0;
  resp.topics = {{"orders", {{0, ErrorCode::kNone}, {2, ErrorCode::kInvalidProducerEpoch}}}};
  for (int16_t v = 0; v <= 3; ++v) {
    const bool flex = v >= 3;
    Body b(flex);
    b.I32(0).Count(1).Str("orders").Count(2);
    b.I32(0).I16(0).Tags();
    b.I32(2).I16(47).Tags();
    b.Tags().Tags();
    EXPECT_EQ(resp.Encode(v), b.bytes()) << "v" << v;
  }
  // v3 by hand.
  AddPartitionsToTxnResponse small;
  small.topics = {{"t", {{1, ErrorCode::kProducerFenced}}}};
  // Throttle, 1 topic, "t", 1 partition, index 1, error 90, then the tag
  // sections of the partition, the topic and the response.
  EXPECT_EQ(small.Encode(3),
            "\x00\x00\x00\x00" "\x02" "\x02t" "\x02" "\x00\x00\x00\x01" "\x00\x5a" "\x00" "\x00" "\x00"s);
}

// ---- AddOffsetsToTxn (25) ----

TEST(AddOffsetsToTxnTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= 3; ++v) {
    const std::string body = Body(v >= 3).Str("txn-1").I64(77).I16(3).Str("group-a").Tags().bytes();
    auto req = AddOffsetsToTxnRequest::Decode(body, v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    EXPECT_EQ(req->transactional_id, "txn-1");
    EXPECT_EQ(req->producer_id, 77);
    EXPECT_EQ(req->producer_epoch, 3);
    EXPECT_EQ(req->group_id, "group-a");
  }
}

TEST(AddOffsetsToTxnTest, EncodesResponse) {
  AddOffsetsToTxnResponse resp{.throttle_time_ms = 1, .error = ErrorCode::kTransactionalIdAuthorizationFailed};
  for (int16_t v = 0; v <= 2; ++v) EXPECT_EQ(resp.Encode(v), "\x00\x00\x00\x01\x00\x35"s) << "v" << v;
  EXPECT_EQ(resp.Encode(3), "\x00\x00\x00\x01\x00\x35\x00"s);
}

// ---- EndTxn (26) ----

TEST(EndTxnTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= 3; ++v) {
    for (bool committed : {true, false}) {
      const std::string body = Body(v >= 3).Str("txn-1").I64(77).I16(3).I8(committed ? 1 : 0).Tags().bytes();
      auto req = EndTxnRequest::Decode(body, v);
      ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
      EXPECT_EQ(req->transactional_id, "txn-1");
      EXPECT_EQ(req->producer_id, 77);
      EXPECT_EQ(req->producer_epoch, 3);
      EXPECT_EQ(req->committed, committed);
    }
  }
}

TEST(EndTxnTest, EncodesResponse) {
  EndTxnResponse resp{.throttle_time_ms = 0, .error = ErrorCode::kInvalidTxnState};
  for (int16_t v = 0; v <= 2; ++v) EXPECT_EQ(resp.Encode(v), "\x00\x00\x00\x00\x00\x30"s) << "v" << v;
  EXPECT_EQ(resp.Encode(3), "\x00\x00\x00\x00\x00\x30\x00"s);
}

// ---- TxnOffsetCommit (28) ----

std::string TxnOffsetCommitBody(int16_t v, const std::optional<std::string>& instance) {
  Body b(v >= 3);
  b.Str("txn-1").Str("group-a").I64(77).I16(3);
  if (v >= 3) b.I32(9).Str("member-1").NStr(instance);
  b.Count(1).Str("orders").Count(2);
  b.I32(0).I64(100);
  if (v >= 2) b.I32(5);
  b.NStr("meta").Tags();
  b.I32(1).I64(200);
  if (v >= 2) b.I32(-1);
  b.NStr(std::nullopt).Tags();
  b.Tags();  // topic
  return b.Tags().bytes();
}

TEST(TxnOffsetCommitTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= 3; ++v) {
    auto req = TxnOffsetCommitRequest::Decode(TxnOffsetCommitBody(v, "instance-1"), v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    EXPECT_EQ(req->transactional_id, "txn-1");
    EXPECT_EQ(req->group_id, "group-a");
    EXPECT_EQ(req->producer_id, 77);
    EXPECT_EQ(req->producer_epoch, 3);
    EXPECT_EQ(req->generation_id, v >= 3 ? 9 : -1);
    EXPECT_EQ(req->member_id, v >= 3 ? "member-1" : "");
    EXPECT_EQ(req->group_instance_id, v >= 3 ? std::optional<std::string>("instance-1") : std::nullopt);
    ASSERT_EQ(req->topics.size(), 1u);
    EXPECT_EQ(req->topics[0].name, "orders");
    ASSERT_EQ(req->topics[0].partitions.size(), 2u);
    const auto& p0 = req->topics[0].partitions[0];
    EXPECT_EQ(p0.partition, 0);
    EXPECT_EQ(p0.committed_offset, 100);
    EXPECT_EQ(p0.committed_leader_epoch, v >= 2 ? 5 : -1);
    EXPECT_EQ(p0.committed_metadata, "meta");
    const auto& p1 = req->topics[0].partitions[1];
    EXPECT_EQ(p1.partition, 1);
    EXPECT_EQ(p1.committed_offset, 200);
    EXPECT_EQ(p1.committed_leader_epoch, -1);
    EXPECT_EQ(p1.committed_metadata, std::nullopt);
  }
  auto no_instance = TxnOffsetCommitRequest::Decode(TxnOffsetCommitBody(3, std::nullopt), 3);
  ASSERT_TRUE(no_instance.ok());
  EXPECT_EQ(no_instance->group_instance_id, std::nullopt);
}

TEST(TxnOffsetCommitTest, EncodesResponse) {
  TxnOffsetCommitResponse resp;
  resp.throttle_time_ms = 2;
  resp.topics = {{"orders", {{0, ErrorCode::kNone}, {1, ErrorCode::kUnknownMemberId}}}, {"audit", {}}};
  for (int16_t v = 0; v <= 3; ++v) {
    Body b(v >= 3);
    b.I32(2).Count(2);
    b.Str("orders").Count(2).I32(0).I16(0).Tags().I32(1).I16(25).Tags().Tags();
    b.Str("audit").Count(0).Tags();
    EXPECT_EQ(resp.Encode(v), b.Tags().bytes()) << "v" << v;
  }
}

// ---- DescribeProducers (61), DescribeTransactions (65), ListTransactions (66) ----

TEST(DescribeProducersTest, DecodesRequest) {
  const std::string body = Body(true).Count(2).Str("orders").Count(3).I32(0).I32(1).I32(2).Tags()
                               .Str("audit").Count(0).Tags().Tags().bytes();
  auto req = DescribeProducersRequest::Decode(body, 0);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  ASSERT_EQ(req->topics.size(), 2u);
  EXPECT_EQ(req->topics[0].name, "orders");
  EXPECT_EQ(req->topics[0].partitions, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(req->topics[1].name, "audit");
  EXPECT_TRUE(req->topics[1].partitions.empty());
}

TEST(DescribeProducersTest, EncodesResponse) {
  DescribeProducersResponse resp;
  resp.throttle_time_ms = 0;
  DescribeProducersResponse::Partition p0;
  p0.partition = 0;
  p0.active_producers = {{.producer_id = 77,
                          .producer_epoch = 3,
                          .last_sequence = 41,
                          .last_timestamp = 1700000000000,
                          .coordinator_epoch = 1,
                          .current_txn_start_offset = 120}};
  DescribeProducersResponse::Partition p1;
  p1.partition = 9;
  p1.error = ErrorCode::kUnknownTopicOrPartition;
  p1.error_message = "no such partition";
  resp.topics = {{"orders", {p0, p1}}};
  Body b(true);
  b.I32(0).Count(1).Str("orders").Count(2);
  b.I32(0).I16(0).NStr(std::nullopt).Count(1);
  b.I64(77).I32(3).I32(41).I64(1700000000000).I32(1).I64(120).Tags();
  b.Tags();  // partition 0
  b.I32(9).I16(3).NStr("no such partition").Count(0).Tags();
  b.Tags().Tags();  // topic, response
  EXPECT_EQ(resp.Encode(0), b.bytes());
}

TEST(DescribeTransactionsTest, DecodesRequest) {
  const std::string body = Body(true).Count(2).Str("txn-1").Str("txn-2").Tags().bytes();
  auto req = DescribeTransactionsRequest::Decode(body, 0);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->transactional_ids, (std::vector<std::string>{"txn-1", "txn-2"}));
}

TEST(DescribeTransactionsTest, EncodesResponse) {
  DescribeTransactionsResponse resp;
  resp.throttle_time_ms = 0;
  DescribeTransactionsResponse::Transaction t;
  t.transactional_id = "txn-1";
  t.state = "Ongoing";
  t.transaction_timeout_ms = 60000;
  t.transaction_start_time_ms = 1700000000000;
  t.producer_id = 77;
  t.producer_epoch = 3;
  t.topics = {{"orders", {0, 2}}};
  DescribeTransactionsResponse::Transaction missing;
  missing.error = ErrorCode::kTransactionalIdNotFound;
  missing.transactional_id = "txn-2";
  resp.transactions = {t, missing};
  Body b(true);
  b.I32(0).Count(2);
  b.I16(0).Str("txn-1").Str("Ongoing").I32(60000).I64(1700000000000).I64(77).I16(3);
  b.Count(1).Str("orders").Count(2).I32(0).I32(2).Tags();
  b.Tags();
  b.I16(105).Str("txn-2").Str("").I32(0).I64(-1).I64(-1).I16(-1).Count(0).Tags();
  b.Tags();
  EXPECT_EQ(resp.Encode(0), b.bytes());
}

TEST(ListTransactionsTest, DecodesRequest) {
  const std::string body =
      Body(true).Count(2).Str("Ongoing").Str("PrepareCommit").Count(2).I64(77).I64(int64_t{1} << 40).Tags().bytes();
  auto req = ListTransactionsRequest::Decode(body, 0);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->state_filters, (std::vector<std::string>{"Ongoing", "PrepareCommit"}));
  EXPECT_EQ(req->producer_id_filters, (std::vector<int64_t>{77, int64_t{1} << 40}));

  auto all = ListTransactionsRequest::Decode("\x01\x01\x00"s, 0);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->state_filters.empty());
  EXPECT_TRUE(all->producer_id_filters.empty());
}

TEST(ListTransactionsTest, EncodesResponse) {
  ListTransactionsResponse resp;
  resp.unknown_state_filters = {"Bogus"};
  resp.transactions = {{"txn-1", 77, "Ongoing"}, {"txn-2", 78, "CompleteCommit"}};
  const std::string expected = Body(true)
                                   .I32(0)
                                   .I16(0)
                                   .Count(1)
                                   .Str("Bogus")
                                   .Count(2)
                                   .Str("txn-1").I64(77).Str("Ongoing").Tags()
                                   .Str("txn-2").I64(78).Str("CompleteCommit").Tags()
                                   .Tags()
                                   .bytes();
  EXPECT_EQ(resp.Encode(0), expected);
  ListTransactionsResponse empty;
  empty.error = ErrorCode::kCoordinatorLoadInProgress;
  EXPECT_EQ(empty.Encode(0), "\x00\x00\x00\x00\x00\x0e\x01\x01\x00"s);
}

// ---- Bad input, every API and version ----

struct Sample {
  ApiKey key;
  int16_t version;
  std::string body;
  std::function<Status(std::string_view, int16_t)> decode;
};

template <typename Request>
std::function<Status(std::string_view, int16_t)> Decoder() {
  return [](std::string_view body, int16_t v) { return Request::Decode(body, v).status(); };
}

std::vector<Sample> Samples() {
  std::vector<Sample> out;
  for (int16_t v = 0; v <= 4; ++v) {
    out.push_back({ApiKey::kInitProducerId, v, InitProducerIdBody(v, "txn-1"), Decoder<InitProducerIdRequest>()});
  }
  for (int16_t v = 0; v <= 3; ++v) {
    const bool flex = v >= 3;
    out.push_back({ApiKey::kAddPartitionsToTxn, v, AddPartitionsToTxnBody(v), Decoder<AddPartitionsToTxnRequest>()});
    out.push_back({ApiKey::kAddOffsetsToTxn, v, Body(flex).Str("t").I64(1).I16(0).Str("g").Tags().bytes(),
                   Decoder<AddOffsetsToTxnRequest>()});
    out.push_back({ApiKey::kEndTxn, v, Body(flex).Str("t").I64(1).I16(0).I8(1).Tags().bytes(),
                   Decoder<EndTxnRequest>()});
    out.push_back({ApiKey::kTxnOffsetCommit, v, TxnOffsetCommitBody(v, "i"), Decoder<TxnOffsetCommitRequest>()});
  }
  out.push_back({ApiKey::kDescribeProducers, 0, Body(true).Count(1).Str("t").Count(1).I32(0).Tags().Tags().bytes(),
                 Decoder<DescribeProducersRequest>()});
  out.push_back({ApiKey::kDescribeTransactions, 0, Body(true).Count(1).Str("t").Tags().bytes(),
                 Decoder<DescribeTransactionsRequest>()});
  out.push_back({ApiKey::kListTransactions, 0, Body(true).Count(1).Str("Ongoing").Count(1).I64(5).Tags().bytes(),
                 Decoder<ListTransactionsRequest>()});
  return out;
}

std::string Name(const Sample& s) { return std::to_string(static_cast<int>(s.key)) + " v" + std::to_string(s.version); }

TEST(TxnCodecTest, SamplesDecodeThroughTheDispatcher) {
  for (const Sample& s : Samples()) {
    EXPECT_TRUE(s.decode(s.body, s.version).ok()) << Name(s);
    EXPECT_TRUE(DecodeRequestBody(static_cast<int16_t>(s.key), s.version, s.body).ok()) << Name(s);
  }
}

TEST(TxnCodecTest, EveryTruncationFails) {
  for (const Sample& s : Samples()) {
    for (size_t n = 0; n < s.body.size(); ++n) {
      const Status st = s.decode(std::string_view(s.body).substr(0, n), s.version);
      EXPECT_EQ(st.code(), Errc::kCorruption) << Name(s) << " cut at " << n;
    }
  }
}

TEST(TxnCodecTest, UnknownVersionsAreNotSupported) {
  for (ApiKey k : {ApiKey::kInitProducerId, ApiKey::kAddPartitionsToTxn, ApiKey::kAddOffsetsToTxn, ApiKey::kEndTxn,
                   ApiKey::kTxnOffsetCommit, ApiKey::kDescribeProducers, ApiKey::kDescribeTransactions,
                   ApiKey::kListTransactions}) {
    const auto key = static_cast<int16_t>(k);
    const ApiVersionRange& api = *FindApi(key);
    for (int16_t v : {static_cast<int16_t>(api.min - 1), static_cast<int16_t>(api.max + 1)}) {
      EXPECT_EQ(DecodeRequestBody(key, v, "\x00\x00\x00\x00\x00\x00"s).code(), Errc::kNotSupported)
          << api.name << " v" << v;
    }
  }
  EXPECT_EQ(EndTxnRequest::Decode(""s, 4).status().code(), Errc::kNotSupported);
  EXPECT_EQ(ListTransactionsRequest::Decode("\x01\x01\x00"s, 1).status().code(), Errc::kNotSupported);
}

TEST(TxnCodecTest, AbsurdArrayCountsFail) {
  // Classic: an int32 count far beyond the bytes left.
  for (int32_t count : {int32_t{1} << 20, (int32_t{1} << 20) + 1, INT32_MAX}) {
    Body b(false);
    b.Str("t").I64(1).I16(0).I32(count).Str("x");
    EXPECT_EQ(AddPartitionsToTxnRequest::Decode(b.bytes(), 2).status().code(), Errc::kCorruption) << count;
    Body p(false);
    p.Str("t").I64(1).I16(0).I32(1).Str("x").I32(count).I32(0);
    EXPECT_EQ(AddPartitionsToTxnRequest::Decode(p.bytes(), 2).status().code(), Errc::kCorruption) << count;
  }
  // Compact: a varint count beyond the bytes left, and over kMaxArrayCount.
  for (uint32_t count : {3u, 1u << 20, (1u << 20) + 2, UINT32_MAX}) {
    Writer w;
    w.UnsignedVarint(count);
    w.Raw("\x02t\x00"s);
    EXPECT_EQ(DescribeTransactionsRequest::Decode(w.buffer(), 0).status().code(), Errc::kCorruption) << count;
    Writer p;
    p.Raw("\x02\x02t"s);
    p.UnsignedVarint(count);
    p.Raw("\x00\x00\x00\x00\x00\x00"s);
    EXPECT_EQ(DescribeProducersRequest::Decode(p.buffer(), 0).status().code(), Errc::kCorruption) << count;
  }
  // Producer id filters: 8 bytes each.
  EXPECT_EQ(ListTransactionsRequest::Decode("\x01\x03\x00\x00\x00\x00\x00\x00\x00\x01\x00"s, 0).status().code(),
            Errc::kCorruption);
}

TEST(TxnCodecTest, BadCompactLengthsFail) {
  // Transactional id claiming 10 bytes with 3 left.
  EXPECT_EQ(EndTxnRequest::Decode("\x0b" "abc"s, 3).status().code(), Errc::kCorruption);
  // A length varint cut short, and one over 32 bits.
  EXPECT_EQ(EndTxnRequest::Decode("\x80"s, 3).status().code(), Errc::kCorruption);
  EXPECT_EQ(AddOffsetsToTxnRequest::Decode("\xff\xff\xff\xff\x7f"s, 3).status().code(), Errc::kCorruption);
  // Metadata of a committed offset past the end.
  Body b(true);
  b.Str("t").Str("g").I64(1).I16(0).I32(1).Str("m").NStr(std::nullopt);
  b.Count(1).Str("x").Count(1).I32(0).I64(0).I32(-1);
  const std::string body = b.bytes() + "\x7f" "ab"s;
  EXPECT_EQ(TxnOffsetCommitRequest::Decode(body, 3).status().code(), Errc::kCorruption);
  // A tagged field whose size runs past the end.
  EXPECT_EQ(InitProducerIdRequest::Decode("\x00\x00\x00\x00\x01\x01\x00\x09xy"s, 2).status().code(),
            Errc::kCorruption);
}

// The client side (rivulet transactions --bootstrap-server) against the
// server side: what one encodes, the other decodes to the same values.
TEST(TxnCodecTest, ClientSideAdminCodecsRoundTripWithTheServerSide) {
  ListTransactionsRequest lreq;
  lreq.state_filters = {"Ongoing", "Nope"};
  lreq.producer_id_filters = {7, 9};
  auto lreq2 = ListTransactionsRequest::Decode(lreq.Encode(0), 0);
  ASSERT_TRUE(lreq2.ok());
  EXPECT_EQ(lreq2->state_filters, lreq.state_filters);
  EXPECT_EQ(lreq2->producer_id_filters, lreq.producer_id_filters);

  ListTransactionsResponse lresp;
  lresp.unknown_state_filters = {"Nope"};
  lresp.transactions = {{"a", 7, "Ongoing"}, {"b", 9, "CompleteAbort"}};
  auto lresp2 = ListTransactionsResponse::Decode(lresp.Encode(0), 0);
  ASSERT_TRUE(lresp2.ok()) << lresp2.status().ToString();
  EXPECT_EQ(lresp2->unknown_state_filters, lresp.unknown_state_filters);
  ASSERT_EQ(lresp2->transactions.size(), 2u);
  EXPECT_EQ(lresp2->transactions[1].transactional_id, "b");
  EXPECT_EQ(lresp2->transactions[1].producer_id, 9);
  EXPECT_EQ(lresp2->transactions[1].state, "CompleteAbort");

  DescribeTransactionsRequest dreq;
  dreq.transactional_ids = {"a", "b"};
  EXPECT_EQ(DescribeTransactionsRequest::Decode(dreq.Encode(0), 0)->transactional_ids, dreq.transactional_ids);

  DescribeTransactionsResponse dresp;
  DescribeTransactionsResponse::Transaction t;
  t.transactional_id = "a";
  t.state = "Ongoing";
  t.transaction_timeout_ms = 5000;
  t.transaction_start_time_ms = 123;
  t.producer_id = 7;
  t.producer_epoch = 2;
  t.topics = {{"x", {0, 3}}};
  dresp.transactions = {t};
  DescribeTransactionsResponse::Transaction missing;
  missing.error = ErrorCode::kTransactionalIdNotFound;
  missing.transactional_id = "b";
  dresp.transactions.push_back(missing);
  const std::string bytes = dresp.Encode(0);
  auto dresp2 = DescribeTransactionsResponse::Decode(bytes, 0);
  ASSERT_TRUE(dresp2.ok()) << dresp2.status().ToString();
  ASSERT_EQ(dresp2->transactions.size(), 2u);
  const auto& a = dresp2->transactions[0];
  EXPECT_EQ(a.state, "Ongoing");
  EXPECT_EQ(a.transaction_timeout_ms, 5000);
  EXPECT_EQ(a.transaction_start_time_ms, 123);
  EXPECT_EQ(a.producer_epoch, 2);
  ASSERT_EQ(a.topics.size(), 1u);
  EXPECT_EQ(a.topics[0].partitions, (std::vector<int32_t>{0, 3}));
  EXPECT_EQ(dresp2->transactions[1].error, ErrorCode::kTransactionalIdNotFound);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(DescribeTransactionsResponse::Decode(bytes.substr(0, cut), 0).ok()) << cut;
  }
}

}  // namespace
}  // namespace rivulet::log::kafka
