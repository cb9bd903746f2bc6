// Request headers v1 and v2 (ParseRequestHeader), and which versions are
// flexible in their request and response headers.
#include "log/kafka/protocol/api.h"

#include <gtest/gtest.h>

#include <string>

namespace rivulet::log::kafka {
namespace {

using namespace std::string_literals;

std::string Header(ApiKey key, int16_t version, std::optional<std::string> client_id) {
  Writer w;
  w.Int16(static_cast<int16_t>(key));
  w.Int16(version);
  w.Int32(42);
  w.NullableString(client_id);
  return w.Take();
}

TEST(RequestHeaderTest, NonFlexibleLeavesBodyUntouched) {
  // Metadata v8: header v1; a body starting with 0x00 must not be taken
  // for tagged fields.
  const std::string body = "\x00\x00\x00\x01\x00\x01t"s;
  const std::string in = Header(ApiKey::kMetadata, 8, "client") + body;
  Reader r(in);
  auto h = ParseRequestHeader(r);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->api_key, 3);
  EXPECT_EQ(h->api_version, 8);
  EXPECT_EQ(h->correlation_id, 42);
  EXPECT_EQ(h->client_id, "client");
  EXPECT_EQ(r.remaining(), body.size());
  EXPECT_EQ(r.Rest(), body);
}

TEST(RequestHeaderTest, NullClientId) {
  const std::string in = Header(ApiKey::kEndTxn, 0, std::nullopt);
  Reader r(in);
  auto h = ParseRequestHeader(r);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->client_id, std::nullopt);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(RequestHeaderTest, FlexibleSkipsOnlyTaggedFields) {
  // EndTxn v3: header v2, an empty tag section, then the body.
  const std::string body = "\x03tx"s;
  const std::string in = Header(ApiKey::kEndTxn, 3, "c") + "\x00"s + body;
  Reader r(in);
  auto h = ParseRequestHeader(r);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->api_key, 26);
  EXPECT_EQ(h->client_id, "c");
  EXPECT_EQ(r.Rest(), body);
}

TEST(RequestHeaderTest, FlexibleWithTaggedField) {
  // ApiVersions v3 with one unknown header tag (tag 7, two bytes).
  const std::string body = "\x05rdkaf"s;
  const std::string in = Header(ApiKey::kApiVersions, 3, "c") + "\x01\x07\x02zz"s + body;
  Reader r(in);
  auto h = ParseRequestHeader(r);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(r.Rest(), body);
}

TEST(RequestHeaderTest, BadFlexibleTaggedFieldsFail) {
  for (const std::string& tags : {""s, "\x01"s, "\x01\x07\x05zz"s, "\x80"s}) {
    const std::string in = Header(ApiKey::kInitProducerId, 2, "c") + tags;
    Reader r(in);
    auto h = ParseRequestHeader(r);
    EXPECT_FALSE(h.ok()) << tags.size();
    EXPECT_EQ(h.status().code(), Errc::kCorruption);
  }
}

// tests/broker/test_robustness.py sends ApiVersions v99 with a v1 header
// (no tag section) and expects UNSUPPORTED_VERSION and the list, not a
// closed connection.
TEST(RequestHeaderTest, ApiVersionsProbeWithoutTagSectionParses) {
  for (const std::string& rest : {""s, "\x05zz"s}) {
    const std::string in = Header(ApiKey::kApiVersions, 99, "raw") + rest;
    Reader r(in);
    auto h = ParseRequestHeader(r);
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    EXPECT_EQ(h->api_version, 99);
    EXPECT_EQ(h->correlation_id, 42);
    EXPECT_EQ(r.remaining(), 0u);
  }
}

TEST(RequestHeaderTest, TruncatedHeaderFails) {
  const std::string in = Header(ApiKey::kMetadata, 8, "client");
  for (size_t n = 0; n < in.size(); ++n) {
    Reader r(std::string_view(in).substr(0, n));
    EXPECT_FALSE(ParseRequestHeader(r).ok()) << n;
  }
}

TEST(FlexibleVersionTest, TransactionApis) {
  struct Case {
    ApiKey key;
    int16_t first_flexible;
  };
  for (const Case& c : {Case{ApiKey::kInitProducerId, 2}, Case{ApiKey::kAddPartitionsToTxn, 3},
                        Case{ApiKey::kAddOffsetsToTxn, 3}, Case{ApiKey::kEndTxn, 3},
                        Case{ApiKey::kTxnOffsetCommit, 3}, Case{ApiKey::kDescribeProducers, 0},
                        Case{ApiKey::kDescribeTransactions, 0}, Case{ApiKey::kListTransactions, 0}}) {
    const auto key = static_cast<int16_t>(c.key);
    for (int16_t v = 0; v <= 5; ++v) {
      EXPECT_EQ(FlexibleVersion(key, v), v >= c.first_flexible) << key << " v" << v;
      EXPECT_EQ(FlexibleResponseHeader(key, v), v >= c.first_flexible) << key << " v" << v;
    }
  }
}

TEST(FlexibleVersionTest, ApiVersionsResponseHeaderStaysV0) {
  const auto key = static_cast<int16_t>(ApiKey::kApiVersions);
  EXPECT_FALSE(FlexibleVersion(key, 2));
  EXPECT_TRUE(FlexibleVersion(key, 3));
  EXPECT_FALSE(FlexibleResponseHeader(key, 3));
  EXPECT_FALSE(FlexibleResponseHeader(key, 4));
}

TEST(FlexibleVersionTest, ClassicApis) {
  // The first flexible version of each API served before the transaction
  // APIs (all served up to the version before it).
  const std::pair<ApiKey, int16_t> first_flexible[] = {
      {ApiKey::kProduce, 9},        {ApiKey::kFetch, 12},         {ApiKey::kListOffsets, 6},
      {ApiKey::kMetadata, 9},       {ApiKey::kOffsetCommit, 8},   {ApiKey::kOffsetFetch, 6},
      {ApiKey::kFindCoordinator, 3}, {ApiKey::kJoinGroup, 6},      {ApiKey::kHeartbeat, 4},
      {ApiKey::kLeaveGroup, 4},     {ApiKey::kSyncGroup, 4},      {ApiKey::kDescribeGroups, 5},
      {ApiKey::kListGroups, 3},     {ApiKey::kApiVersions, 3},    {ApiKey::kCreateTopics, 5},
      {ApiKey::kDeleteTopics, 4}};
  for (const auto& [k, first] : first_flexible) {
    const auto key = static_cast<int16_t>(k);
    EXPECT_FALSE(FlexibleVersion(key, static_cast<int16_t>(first - 1))) << key;
    EXPECT_TRUE(FlexibleVersion(key, first)) << key;
    EXPECT_EQ(FlexibleResponseHeader(key, first), k != ApiKey::kApiVersions) << key;
  }
}

TEST(FlexibleVersionTest, UnknownKey) {
  EXPECT_FALSE(FlexibleVersion(999, 10));
  EXPECT_FALSE(FlexibleResponseHeader(-1, 10));
}

}  // namespace
}  // namespace rivulet::log::kafka
