// The cluster administration codecs (log/kafka/protocol/admin.h), every API
// at every version: requests spelled out field by field as Kafka's message
// definitions list them (body.h, not the FieldWriter the codecs use) decode
// to the values written, unknown tagged fields skipped; responses encode to
// exactly the bytes spelled out the same way; null arrays stay apart from
// empty ones; and every way a request goes bad (cut short, absurd counts,
// an unknown version) is an error, never a crash.
#include "log/kafka/protocol/admin.h"

#include <gtest/gtest.h>

#include <climits>
#include <string>

#include "tests/log/kafka/protocol/body.h"

namespace rivulet::log::kafka {
namespace {

// Every strict prefix of `body` is kCorruption (not merely an error).
template <typename Request>
void ExpectTruncationsCorrupt(const std::string& body, int16_t version) {
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_EQ(Request::Decode(std::string_view(body).substr(0, n), version).status().code(), Errc::kCorruption)
        << "v" << version << " cut at " << n << " of " << body.size();
  }
}

// A version outside [0, max] is kNotSupported, whatever the bytes.
template <typename Request>
void ExpectVersionsRefused(const std::string& body, int16_t max) {
  for (int16_t v : {static_cast<int16_t>(-1), static_cast<int16_t>(max + 1), static_cast<int16_t>(max + 2)}) {
    EXPECT_EQ(Request::Decode(body, v).status().code(), Errc::kNotSupported) << "v" << v;
  }
}

// A top-level array count far past the bytes that follow, in both
// encodings, is kCorruption without allocating for it.
template <typename Request>
void ExpectAbsurdCountCorrupt(int16_t classic, int16_t flexible) {
  Body c(false);
  c.I32(INT32_MAX).I32(0).I32(0);
  EXPECT_EQ(Request::Decode(c.bytes(), classic).status().code(), Errc::kCorruption);
  Body f(true);
  f.Count(1000000).I32(0).Tags();
  EXPECT_EQ(Request::Decode(f.bytes(), flexible).status().code(), Errc::kCorruption);
}

// ---- CreatePartitions (37): v0-3, v2+ flexible ----

constexpr int16_t kCreatePartitionsMax = 3;
bool CreatePartitionsFlexible(int16_t v) { return v >= 2; }

// Three topics: "a" with null assignments, "b" with two assignments (the
// second and the topic itself closed by an unknown tag when flexible), "c"
// with an empty, non-null, assignments array.
std::string CreatePartitionsBody(int16_t v, bool unknown_tag = false) {
  Body b(CreatePartitionsFlexible(v));
  b.Count(3);
  b.Str("a").I32(4).NullCount().Tags();
  b.Str("b").I32(6).Count(2);
  b.Count(1).I32(0).Tags();
  b.Count(2).I32(0).I32(1).UnknownTag();
  b.UnknownTag();
  b.Str("c").I32(2).Count(0).Tags();
  b.I32(30000).I8(1);
  return (unknown_tag ? b.UnknownTag() : b.Tags()).bytes();
}

TEST(CreatePartitionsTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= kCreatePartitionsMax; ++v) {
    for (bool unknown_tag : {false, true}) {
      auto req = CreatePartitionsRequest::Decode(CreatePartitionsBody(v, unknown_tag), v);
      ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
      ASSERT_EQ(req->topics.size(), 3u);
      EXPECT_EQ(req->topics[0].name, "a");
      EXPECT_EQ(req->topics[0].count, 4);
      EXPECT_FALSE(req->topics[0].has_assignments);
      EXPECT_EQ(req->topics[1].name, "b");
      EXPECT_EQ(req->topics[1].count, 6);
      EXPECT_TRUE(req->topics[1].has_assignments);
      EXPECT_EQ(req->topics[2].name, "c");
      EXPECT_EQ(req->topics[2].count, 2);
      EXPECT_TRUE(req->topics[2].has_assignments) << "an empty array is not a null one";
      EXPECT_EQ(req->timeout_ms, 30000);
      EXPECT_TRUE(req->validate_only);
    }
  }
}

TEST(CreatePartitionsTest, NoTopicsAndValidateOff) {
  for (int16_t v = 0; v <= kCreatePartitionsMax; ++v) {
    const std::string body = Body(CreatePartitionsFlexible(v)).Count(0).I32(-1).I8(0).Tags().bytes();
    auto req = CreatePartitionsRequest::Decode(body, v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    EXPECT_TRUE(req->topics.empty());
    EXPECT_EQ(req->timeout_ms, -1);
    EXPECT_FALSE(req->validate_only);
  }
}

TEST(CreatePartitionsTest, BadRequestsFail) {
  for (int16_t v = 0; v <= kCreatePartitionsMax; ++v) {
    ExpectTruncationsCorrupt<CreatePartitionsRequest>(CreatePartitionsBody(v), v);
    ExpectTruncationsCorrupt<CreatePartitionsRequest>(CreatePartitionsBody(v, true), v);
  }
  ExpectVersionsRefused<CreatePartitionsRequest>(CreatePartitionsBody(kCreatePartitionsMax), kCreatePartitionsMax);
  ExpectAbsurdCountCorrupt<CreatePartitionsRequest>(1, 2);
  // A classic body read as flexible (and the other way) does not decode.
  EXPECT_FALSE(CreatePartitionsRequest::Decode(CreatePartitionsBody(1), 2).ok());
  EXPECT_FALSE(CreatePartitionsRequest::Decode(CreatePartitionsBody(2), 1).ok());
}

TEST(CreatePartitionsTest, EncodesEveryVersion) {
  CreatePartitionsResponse resp;
  resp.throttle_time_ms = 25;
  resp.results = {{"a", ErrorCode::kNone, std::nullopt},
                  {"b", ErrorCode::kInvalidPartitions, "topic has 8 partitions, cannot shrink to 6"}};
  for (int16_t v = 0; v <= kCreatePartitionsMax; ++v) {
    Body b(CreatePartitionsFlexible(v));
    b.I32(25).Count(2);
    b.Str("a").I16(0).NStr(std::nullopt).Tags();
    b.Str("b").I16(37).NStr("topic has 8 partitions, cannot shrink to 6").Tags();
    EXPECT_EQ(resp.Encode(v), b.Tags().bytes()) << "v" << v;
  }
  // No results.
  EXPECT_EQ(CreatePartitionsResponse{}.Encode(0), Body(false).I32(0).Count(0).bytes());
  EXPECT_EQ(CreatePartitionsResponse{}.Encode(3), Body(true).I32(0).Count(0).Tags().bytes());
}

// ---- DeleteRecords (21): v0-2, v2 flexible ----

constexpr int16_t kDeleteRecordsMax = 2;
bool DeleteRecordsFlexible(int16_t v) { return v >= 2; }

std::string DeleteRecordsBody(int16_t v, bool unknown_tag = false) {
  Body b(DeleteRecordsFlexible(v));
  b.Count(2);
  b.Str("a").Count(2);
  b.I32(0).I64(1234567890123).Tags();
  b.I32(7).I64(-1).UnknownTag();
  b.Tags();
  b.Str("b").Count(0).UnknownTag();
  b.I32(15000);
  return (unknown_tag ? b.UnknownTag() : b.Tags()).bytes();
}

TEST(DeleteRecordsTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= kDeleteRecordsMax; ++v) {
    for (bool unknown_tag : {false, true}) {
      auto req = DeleteRecordsRequest::Decode(DeleteRecordsBody(v, unknown_tag), v);
      ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
      ASSERT_EQ(req->topics.size(), 2u);
      EXPECT_EQ(req->topics[0].name, "a");
      ASSERT_EQ(req->topics[0].partitions.size(), 2u);
      EXPECT_EQ(req->topics[0].partitions[0].partition, 0);
      EXPECT_EQ(req->topics[0].partitions[0].offset, 1234567890123);
      EXPECT_EQ(req->topics[0].partitions[1].partition, 7);
      EXPECT_EQ(req->topics[0].partitions[1].offset, -1);
      EXPECT_EQ(req->topics[1].name, "b");
      EXPECT_TRUE(req->topics[1].partitions.empty());
      EXPECT_EQ(req->timeout_ms, 15000);
    }
  }
}

TEST(DeleteRecordsTest, BadRequestsFail) {
  for (int16_t v = 0; v <= kDeleteRecordsMax; ++v) {
    ExpectTruncationsCorrupt<DeleteRecordsRequest>(DeleteRecordsBody(v), v);
    ExpectTruncationsCorrupt<DeleteRecordsRequest>(DeleteRecordsBody(v, true), v);
  }
  ExpectVersionsRefused<DeleteRecordsRequest>(DeleteRecordsBody(kDeleteRecordsMax), kDeleteRecordsMax);
  ExpectAbsurdCountCorrupt<DeleteRecordsRequest>(1, 2);
  // A partition count past the bytes left.
  Body b(false);
  b.Count(1).Str("a").I32(1000).I32(0).I64(0).I32(0);
  EXPECT_EQ(DeleteRecordsRequest::Decode(b.bytes(), 0).status().code(), Errc::kCorruption);
}

TEST(DeleteRecordsTest, EncodesEveryVersion) {
  DeleteRecordsResponse resp;
  resp.throttle_time_ms = 3;
  resp.topics = {{"a", {{0, 1234567890123, ErrorCode::kNone}, {7, -1, ErrorCode::kOffsetOutOfRange}}},
                 {"b", {}}};
  for (int16_t v = 0; v <= kDeleteRecordsMax; ++v) {
    Body b(DeleteRecordsFlexible(v));
    b.I32(3).Count(2);
    b.Str("a").Count(2);
    b.I32(0).I64(1234567890123).I16(0).Tags();
    b.I32(7).I64(-1).I16(1).Tags();
    b.Tags();
    b.Str("b").Count(0).Tags();
    EXPECT_EQ(resp.Encode(v), b.Tags().bytes()) << "v" << v;
  }
}

// ---- DescribeLogDirs (35): v0-4, v2+ flexible ----

constexpr int16_t kDescribeLogDirsMax = 4;
bool DescribeLogDirsFlexible(int16_t v) { return v >= 2; }

std::string DescribeLogDirsBody(int16_t v, bool unknown_tag = false) {
  Body b(DescribeLogDirsFlexible(v));
  b.Count(2);
  b.Str("a").Count(3).I32(0).I32(2).I32(5).Tags();
  b.Str("b").Count(0).UnknownTag();
  return (unknown_tag ? b.UnknownTag() : b.Tags()).bytes();
}

TEST(DescribeLogDirsTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= kDescribeLogDirsMax; ++v) {
    for (bool unknown_tag : {false, true}) {
      auto req = DescribeLogDirsRequest::Decode(DescribeLogDirsBody(v, unknown_tag), v);
      ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
      ASSERT_TRUE(req->topics.has_value());
      ASSERT_EQ(req->topics->size(), 2u);
      EXPECT_EQ((*req->topics)[0].name, "a");
      EXPECT_EQ((*req->topics)[0].partitions, (std::vector<int32_t>{0, 2, 5}));
      EXPECT_EQ((*req->topics)[1].name, "b");
      EXPECT_TRUE((*req->topics)[1].partitions.empty());
    }
  }
}

TEST(DescribeLogDirsTest, NullTopicsAreAllAndEmptyAreNone) {
  for (int16_t v = 0; v <= kDescribeLogDirsMax; ++v) {
    const bool flex = DescribeLogDirsFlexible(v);
    auto all = DescribeLogDirsRequest::Decode(Body(flex).NullCount().Tags().bytes(), v);
    ASSERT_TRUE(all.ok()) << "v" << v << ": " << all.status().ToString();
    EXPECT_FALSE(all->topics.has_value()) << "v" << v;
    auto none = DescribeLogDirsRequest::Decode(Body(flex).Count(0).Tags().bytes(), v);
    ASSERT_TRUE(none.ok()) << "v" << v << ": " << none.status().ToString();
    ASSERT_TRUE(none->topics.has_value()) << "v" << v;
    EXPECT_TRUE(none->topics->empty());
    ExpectTruncationsCorrupt<DescribeLogDirsRequest>(Body(flex).NullCount().Tags().bytes(), v);
  }
}

TEST(DescribeLogDirsTest, BadRequestsFail) {
  for (int16_t v = 0; v <= kDescribeLogDirsMax; ++v) {
    ExpectTruncationsCorrupt<DescribeLogDirsRequest>(DescribeLogDirsBody(v), v);
    ExpectTruncationsCorrupt<DescribeLogDirsRequest>(DescribeLogDirsBody(v, true), v);
  }
  ExpectVersionsRefused<DescribeLogDirsRequest>(DescribeLogDirsBody(kDescribeLogDirsMax), kDescribeLogDirsMax);
  ExpectAbsurdCountCorrupt<DescribeLogDirsRequest>(1, 2);
}

DescribeLogDirsResponse LogDirsResponse() {
  DescribeLogDirsResponse resp;
  resp.throttle_time_ms = 9;
  resp.error = ErrorCode::kClusterAuthorizationFailed;
  DescribeLogDirsResponse::LogDir data;
  data.path = "/var/lib/rivulet/data";
  data.topics = {{"a", {{0, 4096, 0, false}, {2, 8000000000, 17, true}}}, {"b", {}}};
  data.total_bytes = 500000000000;
  data.usable_bytes = 123456789012;
  DescribeLogDirsResponse::LogDir broken;
  broken.error = ErrorCode::kKafkaStorageError;
  broken.path = "/mnt/broken";
  resp.results = {data, broken};
  return resp;
}

TEST(DescribeLogDirsTest, EncodesEveryVersion) {
  for (int16_t v = 0; v <= kDescribeLogDirsMax; ++v) {
    Body b(DescribeLogDirsFlexible(v));
    b.I32(9);
    if (v >= 3) b.I16(31);
    b.Count(2);
    b.I16(0).Str("/var/lib/rivulet/data").Count(2);
    b.Str("a").Count(2);
    b.I32(0).I64(4096).I64(0).I8(0).Tags();
    b.I32(2).I64(8000000000).I64(17).I8(1).Tags();
    b.Tags();
    b.Str("b").Count(0).Tags();
    if (v >= 4) b.I64(500000000000).I64(123456789012);
    b.Tags();
    b.I16(56).Str("/mnt/broken").Count(0);
    if (v >= 4) b.I64(-1).I64(-1);
    b.Tags();
    EXPECT_EQ(LogDirsResponse().Encode(v), b.Tags().bytes()) << "v" << v;
  }
}

// ---- DescribeCluster (60): v0-1, every version flexible ----

constexpr int16_t kDescribeClusterMax = 1;

std::string DescribeClusterBody(int16_t v, bool include, int8_t endpoint_type, bool unknown_tag = false) {
  Body b(true);
  b.I8(include ? 1 : 0);
  if (v >= 1) b.I8(endpoint_type);
  return (unknown_tag ? b.UnknownTag() : b.Tags()).bytes();
}

TEST(DescribeClusterTest, DecodesEveryVersion) {
  for (bool unknown_tag : {false, true}) {
    auto v0 = DescribeClusterRequest::Decode(DescribeClusterBody(0, true, 0, unknown_tag), 0);
    ASSERT_TRUE(v0.ok()) << v0.status().ToString();
    EXPECT_TRUE(v0->include_cluster_authorized_operations);
    EXPECT_EQ(v0->endpoint_type, kEndpointTypeBrokers);  // v0 has no field: brokers
    auto v1 = DescribeClusterRequest::Decode(DescribeClusterBody(1, false, kEndpointTypeControllers, unknown_tag), 1);
    ASSERT_TRUE(v1.ok()) << v1.status().ToString();
    EXPECT_FALSE(v1->include_cluster_authorized_operations);
    EXPECT_EQ(v1->endpoint_type, kEndpointTypeControllers);
    auto brokers = DescribeClusterRequest::Decode(DescribeClusterBody(1, true, kEndpointTypeBrokers, unknown_tag), 1);
    ASSERT_TRUE(brokers.ok()) << brokers.status().ToString();
    EXPECT_TRUE(brokers->include_cluster_authorized_operations);
    EXPECT_EQ(brokers->endpoint_type, kEndpointTypeBrokers);
  }
}

TEST(DescribeClusterTest, BadRequestsFail) {
  for (int16_t v = 0; v <= kDescribeClusterMax; ++v) {
    ExpectTruncationsCorrupt<DescribeClusterRequest>(DescribeClusterBody(v, true, 2), v);
    ExpectTruncationsCorrupt<DescribeClusterRequest>(DescribeClusterBody(v, true, 2, true), v);
  }
  ExpectVersionsRefused<DescribeClusterRequest>(DescribeClusterBody(1, true, 1), kDescribeClusterMax);
  // A v1 body read at v0 takes the endpoint type for the tag section's
  // count and fails; v0 is flexible too, so a classic reading is no excuse.
  EXPECT_FALSE(DescribeClusterRequest::Decode(DescribeClusterBody(1, true, 2), 0).ok());
}

DescribeClusterResponse ClusterResponse() {
  DescribeClusterResponse resp;
  resp.throttle_time_ms = 11;
  resp.error = ErrorCode::kNone;
  resp.error_message = std::nullopt;
  resp.endpoint_type = kEndpointTypeBrokers;
  resp.cluster_id = "rivulet-cluster";
  resp.controller_id = 1;
  resp.brokers = {{1, "broker1.example", 9092, std::nullopt}, {2, "broker2.example", 19092, "rack-b"}};
  resp.cluster_authorized_operations = 0x0ff8;
  return resp;
}

TEST(DescribeClusterTest, EncodesEveryVersion) {
  for (int16_t v = 0; v <= kDescribeClusterMax; ++v) {
    Body b(true);
    b.I32(11).I16(0).NStr(std::nullopt);
    if (v >= 1) b.I8(1);
    b.Str("rivulet-cluster").I32(1).Count(2);
    b.I32(1).Str("broker1.example").I32(9092).NStr(std::nullopt).Tags();
    b.I32(2).Str("broker2.example").I32(19092).NStr("rack-b").Tags();
    b.I32(0x0ff8);
    EXPECT_EQ(ClusterResponse().Encode(v), b.Tags().bytes()) << "v" << v;
  }
}

TEST(DescribeClusterTest, EncodesErrorsAndDefaults) {
  DescribeClusterResponse resp;
  resp.error = ErrorCode::kClusterAuthorizationFailed;
  resp.error_message = "not allowed";
  resp.endpoint_type = kEndpointTypeControllers;
  for (int16_t v = 0; v <= kDescribeClusterMax; ++v) {
    Body b(true);
    b.I32(0).I16(31).NStr("not allowed");
    if (v >= 1) b.I8(2);
    b.Str("").I32(-1).Count(0).I32(INT32_MIN);
    EXPECT_EQ(resp.Encode(v), b.Tags().bytes()) << "v" << v;
  }
}

}  // namespace
}  // namespace rivulet::log::kafka
