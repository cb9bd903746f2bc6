// The ACL codecs (log/kafka/protocol/acls.h), every API at every version,
// both directions: bodies spelled out byte by byte (literal big-endian
// integers and varints) or field by field with the Writer's primitives
// (body.h), never with the codecs under test, decode to the values written
// and encode to the same bytes; v0 has no pattern type (decoded as literal,
// never written); null filter strings stay apart from empty ones; every
// message survives a round trip; and every way a body goes bad (cut short,
// absurd counts, an unknown version) is an error, never a crash.
#include "log/kafka/protocol/acls.h"

#include <gtest/gtest.h>

#include <climits>
#include <string>

#include "log/kafka/protocol/decode.h"
#include "tests/log/kafka/protocol/body.h"

namespace rivulet::log::kafka {
namespace {

using namespace std::string_literals;

// The wire's enum numbers the tests use.
constexpr int8_t kAny = 1;  // resource type, pattern type, operation, permission
constexpr int8_t kTopic = 2;
constexpr int8_t kGroup = 3;
constexpr int8_t kCluster = 4;
constexpr int8_t kUser = 7;
constexpr int8_t kMatch = 2;
constexpr int8_t kLiteral = 3;
constexpr int8_t kPrefixed = 4;
constexpr int8_t kAll = 2;
constexpr int8_t kRead = 3;
constexpr int8_t kWrite = 4;
constexpr int8_t kAlter = 7;
constexpr int8_t kDescribe = 8;
constexpr int8_t kIdempotentWrite = 12;
constexpr int8_t kDeny = 2;
constexpr int8_t kAllow = 3;

constexpr int16_t kMaxVersion = 3;

// The pattern type a decoder yields at `version` for `sent`: v0 carries
// none, so literal.
int8_t PatternAt(int16_t version, int8_t sent) { return version >= 1 ? sent : kLiteral; }

// Field-by-field equality (the structs define no operator==), `a` decoded
// at `version` from what `b` encoded.

void ExpectSame(const AclBindingWire& a, const AclBindingWire& b, int16_t version) {
  EXPECT_EQ(a.resource_type, b.resource_type);
  EXPECT_EQ(a.resource_name, b.resource_name);
  EXPECT_EQ(a.pattern_type, PatternAt(version, b.pattern_type)) << b.resource_name << " v" << version;
  EXPECT_EQ(a.principal, b.principal);
  EXPECT_EQ(a.host, b.host);
  EXPECT_EQ(a.operation, b.operation);
  EXPECT_EQ(a.permission, b.permission);
}

void ExpectSame(const AclFilterWire& a, const AclFilterWire& b, int16_t version) {
  EXPECT_EQ(a.resource_type, b.resource_type);
  EXPECT_EQ(a.resource_name, b.resource_name);
  EXPECT_EQ(a.pattern_type, PatternAt(version, b.pattern_type)) << "v" << version;
  EXPECT_EQ(a.principal, b.principal);
  EXPECT_EQ(a.host, b.host);
  EXPECT_EQ(a.operation, b.operation);
  EXPECT_EQ(a.permission, b.permission);
}

void ExpectSame(const DescribeAclsResponse& a, const DescribeAclsResponse& b, int16_t version) {
  EXPECT_EQ(a.throttle_time_ms, b.throttle_time_ms);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.error_message, b.error_message);
  ASSERT_EQ(a.resources.size(), b.resources.size());
  for (size_t i = 0; i < a.resources.size(); ++i) {
    const auto& x = a.resources[i];
    const auto& y = b.resources[i];
    EXPECT_EQ(x.resource_type, y.resource_type);
    EXPECT_EQ(x.resource_name, y.resource_name);
    EXPECT_EQ(x.pattern_type, PatternAt(version, y.pattern_type)) << y.resource_name << " v" << version;
    ASSERT_EQ(x.acls.size(), y.acls.size()) << y.resource_name;
    for (size_t j = 0; j < x.acls.size(); ++j) {
      EXPECT_EQ(x.acls[j].principal, y.acls[j].principal);
      EXPECT_EQ(x.acls[j].host, y.acls[j].host);
      EXPECT_EQ(x.acls[j].operation, y.acls[j].operation);
      EXPECT_EQ(x.acls[j].permission, y.acls[j].permission);
    }
  }
}

void ExpectSame(const CreateAclsRequest& a, const CreateAclsRequest& b, int16_t version) {
  ASSERT_EQ(a.creations.size(), b.creations.size());
  for (size_t i = 0; i < a.creations.size(); ++i) ExpectSame(a.creations[i], b.creations[i], version);
}

void ExpectSame(const CreateAclsResponse& a, const CreateAclsResponse& b) {
  EXPECT_EQ(a.throttle_time_ms, b.throttle_time_ms);
  ASSERT_EQ(a.results.size(), b.results.size());
  for (size_t i = 0; i < a.results.size(); ++i) {
    EXPECT_EQ(a.results[i].error, b.results[i].error);
    EXPECT_EQ(a.results[i].error_message, b.results[i].error_message);
  }
}

void ExpectSame(const DeleteAclsRequest& a, const DeleteAclsRequest& b, int16_t version) {
  ASSERT_EQ(a.filters.size(), b.filters.size());
  for (size_t i = 0; i < a.filters.size(); ++i) ExpectSame(a.filters[i], b.filters[i], version);
}

void ExpectSame(const DeleteAclsResponse& a, const DeleteAclsResponse& b, int16_t version) {
  EXPECT_EQ(a.throttle_time_ms, b.throttle_time_ms);
  ASSERT_EQ(a.results.size(), b.results.size());
  for (size_t i = 0; i < a.results.size(); ++i) {
    const auto& x = a.results[i];
    const auto& y = b.results[i];
    EXPECT_EQ(x.error, y.error);
    EXPECT_EQ(x.error_message, y.error_message);
    ASSERT_EQ(x.matching.size(), y.matching.size());
    for (size_t j = 0; j < x.matching.size(); ++j) {
      EXPECT_EQ(x.matching[j].error, y.matching[j].error);
      EXPECT_EQ(x.matching[j].error_message, y.matching[j].error_message);
      ExpectSame(x.matching[j].acl, y.matching[j].acl, version);
    }
  }
}

// Every strict prefix of `body` is kCorruption, for a request or a response.
template <typename Message>
void ExpectTruncationsCorrupt(const std::string& body, int16_t version) {
  for (size_t n = 0; n < body.size(); ++n) {
    EXPECT_EQ(Message::Decode(std::string_view(body).substr(0, n), version).status().code(), Errc::kCorruption)
        << "v" << version << " cut at " << n << " of " << body.size();
  }
}

// ---- Sample messages ----

AclBindingWire Binding(int8_t type, std::string name, int8_t pattern, std::string principal, std::string host,
                       int8_t operation, int8_t permission) {
  return {.resource_type = type,
          .resource_name = std::move(name),
          .pattern_type = pattern,
          .principal = std::move(principal),
          .host = std::move(host),
          .operation = operation,
          .permission = permission};
}

// Two creations: a literal topic ACL, and a prefixed group ACL (which v0
// cannot express: it goes out as literal there).
CreateAclsRequest CreateRequest() {
  CreateAclsRequest req;
  req.creations = {Binding(kTopic, "orders", kLiteral, "User:alice", "*", kRead, kAllow),
                   Binding(kGroup, "app-", kPrefixed, "User:bob", "10.0.0.1", kAll, kDeny)};
  return req;
}

DescribeAclsResponse DescribeResponse() {
  DescribeAclsResponse resp;
  resp.throttle_time_ms = 5;
  resp.resources = {
      {.resource_type = kTopic,
       .resource_name = "orders",
       .pattern_type = kPrefixed,
       .acls = {{.principal = "User:alice", .host = "*", .operation = kRead, .permission = kAllow},
                {.principal = "User:bob", .host = "*", .operation = kWrite, .permission = kDeny}}},
      {.resource_type = kCluster,
       .resource_name = "kafka-cluster",
       .pattern_type = kLiteral,
       .acls = {{.principal = "User:admin", .host = "*", .operation = kAlter, .permission = kAllow}}},
  };
  return resp;
}

DeleteAclsRequest DeleteRequest() {
  DeleteAclsRequest req;
  req.filters = {{.resource_type = kTopic,
                  .resource_name = "orders",
                  .pattern_type = kPrefixed,
                  .principal = "User:alice",
                  .host = std::nullopt,
                  .operation = kAny,
                  .permission = kAny},
                 AclFilterWire{}};  // everything (literal patterns)
  return req;
}

DeleteAclsResponse DeleteResponse() {
  DeleteAclsResponse resp;
  resp.throttle_time_ms = 9;
  DeleteAclsResponse::FilterResult matched;
  matched.matching = {
      {.error = ErrorCode::kNone,
       .error_message = std::nullopt,
       .acl = Binding(kTopic, "orders", kPrefixed, "User:alice", "*", kRead, kAllow)},
      {.error = ErrorCode::kUnknownServerError,
       .error_message = "not deleted",
       .acl = Binding(kTopic, "orders", kPrefixed, "User:alice", "10.0.0.1", kWrite, kDeny)},
  };
  DeleteAclsResponse::FilterResult refused;
  refused.error = ErrorCode::kSecurityDisabled;
  refused.error_message = "no authorizer";
  resp.results = {matched, refused};
  return resp;
}

// ---- CreateAcls (30) ----

TEST(CreateAclsTest, RequestV0BytesExactly) {
  // No pattern type anywhere: the prefixed creation goes out like a literal one.
  const std::string v0 =
      "\x00\x00\x00\x02"  // 2 creations
      "\x02" "\x00\x06" "orders" "\x00\x0a" "User:alice" "\x00\x01" "*" "\x03" "\x03"  // topic, read, allow
      "\x03" "\x00\x04" "app-" "\x00\x08" "User:bob" "\x00\x08" "10.0.0.1" "\x02" "\x02"s;  // group, all, deny
  const CreateAclsRequest req = CreateRequest();
  EXPECT_EQ(req.Encode(0), v0);
  auto back = CreateAclsRequest::Decode(v0, 0);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->creations.size(), 2u);
  EXPECT_EQ(back->creations[0].pattern_type, kLiteral);
  EXPECT_EQ(back->creations[1].pattern_type, kLiteral);  // decoded literal, not the prefixed sent
  ExpectSame(*back, req, 0);
  ExpectTruncationsCorrupt<CreateAclsRequest>(v0, 0);
}

TEST(CreateAclsTest, RequestV1BytesExactly) {
  // v1: v0 with the pattern type after each resource name.
  const std::string v1 =
      "\x00\x00\x00\x02"  // 2 creations
      "\x02" "\x00\x06" "orders" "\x03" "\x00\x0a" "User:alice" "\x00\x01" "*" "\x03" "\x03"  // literal
      "\x03" "\x00\x04" "app-" "\x04" "\x00\x08" "User:bob" "\x00\x08" "10.0.0.1" "\x02" "\x02"s;  // prefixed
  const CreateAclsRequest req = CreateRequest();
  EXPECT_EQ(req.Encode(1), v1);
  auto back = CreateAclsRequest::Decode(v1, 1);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(*back, req, 1);
  EXPECT_EQ(back->creations[1].pattern_type, kPrefixed);
  ExpectTruncationsCorrupt<CreateAclsRequest>(v1, 1);
  // A v0 body read as v1 runs out (each creation is a byte short).
  EXPECT_EQ(CreateAclsRequest::Decode(req.Encode(0), 1).status().code(), Errc::kCorruption);
}

TEST(CreateAclsTest, RequestV2AndV3BytesExactly) {
  // Flexible: compact count (2 + 1) and strings (length + 1), a tag section
  // closing each creation and the request. v3 has v2's layout.
  const std::string flexible =
      "\x03"
      "\x02" "\x07" "orders" "\x03" "\x0b" "User:alice" "\x02" "*" "\x03" "\x03" "\x00"
      "\x03" "\x05" "app-" "\x04" "\x09" "User:bob" "\x09" "10.0.0.1" "\x02" "\x02" "\x00"
      "\x00"s;
  const CreateAclsRequest req = CreateRequest();
  for (int16_t v : {2, 3}) {
    EXPECT_EQ(req.Encode(v), flexible) << "v" << v;
    auto back = CreateAclsRequest::Decode(flexible, v);
    ASSERT_TRUE(back.ok()) << "v" << v << ": " << back.status().ToString();
    ExpectSame(*back, req, v);
    ExpectTruncationsCorrupt<CreateAclsRequest>(flexible, v);
  }
  // Nothing to create: count 0 (+1), tags.
  EXPECT_EQ(CreateAclsRequest{}.Encode(2), "\x01\x00"s);
  EXPECT_EQ(CreateAclsRequest{}.Encode(1), "\x00\x00\x00\x00"s);
}

TEST(CreateAclsTest, UserResourceAtV3) {
  // KIP-373's user resource (type 7), as the same bytes as any other.
  CreateAclsRequest req;
  req.creations = {Binding(kUser, "bob", kLiteral, "User:alice", "*", kDescribe, kAllow)};
  Body b(true);
  b.Count(1).I8(kUser).Str("bob").I8(kLiteral).Str("User:alice").Str("*").I8(kDescribe).I8(kAllow).Tags();
  const std::string bytes = b.Tags().bytes();
  EXPECT_EQ(req.Encode(3), bytes);
  auto back = CreateAclsRequest::Decode(bytes, 3);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(*back, req, 3);
}

TEST(CreateAclsTest, ResponseBytesExactly) {
  CreateAclsResponse resp;
  resp.throttle_time_ms = 1;
  resp.results = {{}, {.error = ErrorCode::kSecurityDisabled, .error_message = "no authorizer"}};
  // Classic: throttle, int32 count, then per result error and nullable string.
  const std::string classic =
      "\x00\x00\x00\x01" "\x00\x00\x00\x02"
      "\x00\x00" "\xff\xff"
      "\x00\x36" "\x00\x0d" "no authorizer"s;
  // Flexible: compact count and message, tags per result and at the end.
  const std::string flexible =
      "\x00\x00\x00\x01" "\x03"
      "\x00\x00" "\x00" "\x00"
      "\x00\x36" "\x0e" "no authorizer" "\x00"
      "\x00"s;
  for (int16_t v = 0; v <= kMaxVersion; ++v) {
    const std::string& bytes = v >= 2 ? flexible : classic;
    EXPECT_EQ(resp.Encode(v), bytes) << "v" << v;
    auto back = CreateAclsResponse::Decode(bytes, v);
    ASSERT_TRUE(back.ok()) << "v" << v << ": " << back.status().ToString();
    ExpectSame(*back, resp);
    ExpectTruncationsCorrupt<CreateAclsResponse>(bytes, v);
  }
}

// ---- DescribeAcls (29) ----

TEST(DescribeAclsTest, RequestV1BytesExactly) {
  DescribeAclsRequest req;
  req.filter = {.resource_type = kTopic,
                .resource_name = "orders",
                .pattern_type = kMatch,
                .principal = std::nullopt,
                .host = "*",
                .operation = kAny,
                .permission = kAllow};
  const std::string v1 =
      "\x02"  // topic
      "\x00\x06" "orders"
      "\x02"  // match
      "\xff\xff"  // any principal
      "\x00\x01" "*"
      "\x01"  // any operation
      "\x03"s;  // allow
  EXPECT_EQ(req.Encode(1), v1);
  auto back = DescribeAclsRequest::Decode(v1, 1);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(back->filter, req.filter, 1);
  ExpectTruncationsCorrupt<DescribeAclsRequest>(v1, 1);

  // v0: the same without the pattern type, which decodes as literal.
  const std::string v0 = "\x02" "\x00\x06" "orders" "\xff\xff" "\x00\x01" "*" "\x01" "\x03"s;
  EXPECT_EQ(req.Encode(0), v0);
  auto back0 = DescribeAclsRequest::Decode(v0, 0);
  ASSERT_TRUE(back0.ok()) << back0.status().ToString();
  EXPECT_EQ(back0->filter.pattern_type, kLiteral);
  ExpectSame(back0->filter, req.filter, 0);
  ExpectTruncationsCorrupt<DescribeAclsRequest>(v0, 0);
}

TEST(DescribeAclsTest, ResponseV2BytesExactly) {
  const DescribeAclsResponse resp = DescribeResponse();
  Body b(true);
  b.I32(5).I16(0).NStr(std::nullopt).Count(2);
  b.I8(kTopic).Str("orders").I8(kPrefixed).Count(2);
  b.Str("User:alice").Str("*").I8(kRead).I8(kAllow).Tags();
  b.Str("User:bob").Str("*").I8(kWrite).I8(kDeny).Tags();
  b.Tags();  // orders
  b.I8(kCluster).Str("kafka-cluster").I8(kLiteral).Count(1);
  b.Str("User:admin").Str("*").I8(kAlter).I8(kAllow).Tags();
  b.Tags();  // kafka-cluster
  b.Tags();  // response
  const std::string bytes = b.bytes();
  for (int16_t v : {2, 3}) {
    EXPECT_EQ(resp.Encode(v), bytes) << "v" << v;
    auto back = DescribeAclsResponse::Decode(bytes, v);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ExpectSame(*back, resp, v);
    ExpectTruncationsCorrupt<DescribeAclsResponse>(bytes, v);
  }

  // A request-level error, no resources, by hand: throttle 0, error 54,
  // compact "no authorizer" (13 + 1), 0 resources (+1), tags.
  DescribeAclsResponse disabled;
  disabled.error = ErrorCode::kSecurityDisabled;
  disabled.error_message = "no authorizer";
  EXPECT_EQ(disabled.Encode(2), "\x00\x00\x00\x00" "\x00\x36" "\x0e" "no authorizer" "\x01" "\x00"s);
  // And classic (v1): int16 length, int32 count.
  EXPECT_EQ(disabled.Encode(1), "\x00\x00\x00\x00" "\x00\x36" "\x00\x0d" "no authorizer" "\x00\x00\x00\x00"s);
}

TEST(DescribeAclsTest, ResponseV0HasNoPatternType) {
  DescribeAclsResponse resp;
  resp.resources = {{.resource_type = kTopic,
                     .resource_name = "t",
                     .pattern_type = kPrefixed,
                     .acls = {{.principal = "User:a", .host = "*", .operation = kRead, .permission = kAllow}}}};
  const std::string v0 =
      "\x00\x00\x00\x00" "\x00\x00" "\xff\xff" "\x00\x00\x00\x01"
      "\x02" "\x00\x01" "t" "\x00\x00\x00\x01"  // no pattern type
      "\x00\x06" "User:a" "\x00\x01" "*" "\x03" "\x03"s;
  EXPECT_EQ(resp.Encode(0), v0);
  auto back = DescribeAclsResponse::Decode(v0, 0);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->resources[0].pattern_type, kLiteral);
  ExpectTruncationsCorrupt<DescribeAclsResponse>(v0, 0);
  // v1 adds exactly the one byte, after the name (12 bytes of head, the
  // type, the name's 3).
  const std::string v1 = resp.Encode(1);
  EXPECT_EQ(v1, v0.substr(0, 16) + "\x04"s + v0.substr(16));
}

// ---- DeleteAcls (31) ----

TEST(DeleteAclsTest, RequestV3BytesExactly) {
  const DeleteAclsRequest req = DeleteRequest();
  Body b(true);
  b.Count(2);
  b.I8(kTopic).NStr("orders").I8(kPrefixed).NStr("User:alice").NStr(std::nullopt).I8(kAny).I8(kAny).Tags();
  b.I8(kAny).NStr(std::nullopt).I8(kLiteral).NStr(std::nullopt).NStr(std::nullopt).I8(kAny).I8(kAny).Tags();
  const std::string bytes = b.Tags().bytes();
  // The same, literally: the second filter is 1, null, 3, null, null, 1, 1, tags.
  EXPECT_EQ(bytes.substr(bytes.size() - 9), "\x01\x00\x03\x00\x00\x01\x01\x00" "\x00"s);
  EXPECT_EQ(req.Encode(3), bytes);
  auto back = DeleteAclsRequest::Decode(bytes, 3);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(*back, req, 3);
  ExpectTruncationsCorrupt<DeleteAclsRequest>(bytes, 3);
}

TEST(DeleteAclsTest, ResponseV3BytesExactly) {
  const DeleteAclsResponse resp = DeleteResponse();
  Body b(true);
  b.I32(9).Count(2);
  b.I16(0).NStr(std::nullopt).Count(2);
  b.I16(0).NStr(std::nullopt);
  b.I8(kTopic).Str("orders").I8(kPrefixed).Str("User:alice").Str("*").I8(kRead).I8(kAllow).Tags();
  b.I16(-1).NStr("not deleted");
  b.I8(kTopic).Str("orders").I8(kPrefixed).Str("User:alice").Str("10.0.0.1").I8(kWrite).I8(kDeny).Tags();
  b.Tags();  // first filter's result
  b.I16(54).NStr("no authorizer").Count(0).Tags();
  b.Tags();  // response
  const std::string bytes = b.bytes();
  EXPECT_EQ(resp.Encode(3), bytes);
  auto back = DeleteAclsResponse::Decode(bytes, 3);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(*back, resp, 3);
  ExpectTruncationsCorrupt<DeleteAclsResponse>(bytes, 3);

  // No filters, by hand: throttle, 0 results (+1), tags.
  EXPECT_EQ(DeleteAclsResponse{}.Encode(3), "\x00\x00\x00\x00" "\x01" "\x00"s);
}

TEST(DeleteAclsTest, V0HasNoPatternType) {
  // The request: filters without pattern types, decoded as literal.
  const DeleteAclsRequest req = DeleteRequest();
  Body b(false);
  b.Count(2);
  b.I8(kTopic).NStr("orders").NStr("User:alice").NStr(std::nullopt).I8(kAny).I8(kAny);
  b.I8(kAny).NStr(std::nullopt).NStr(std::nullopt).NStr(std::nullopt).I8(kAny).I8(kAny);
  const std::string bytes = b.bytes();
  EXPECT_EQ(req.Encode(0), bytes);
  auto back = DeleteAclsRequest::Decode(bytes, 0);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->filters[0].pattern_type, kLiteral);
  ExpectTruncationsCorrupt<DeleteAclsRequest>(bytes, 0);

  // The response: matched ACLs without pattern types.
  DeleteAclsResponse resp;
  DeleteAclsResponse::FilterResult result;
  result.matching.push_back({.error = ErrorCode::kNone,
                             .error_message = std::nullopt,
                             .acl = Binding(kTopic, "t", kPrefixed, "User:a", "*", kRead, kAllow)});
  resp.results = {result};
  Body r(false);
  r.I32(0).Count(1).I16(0).NStr(std::nullopt).Count(1);
  r.I16(0).NStr(std::nullopt).I8(kTopic).Str("t").Str("User:a").Str("*").I8(kRead).I8(kAllow);
  const std::string rbytes = r.bytes();
  EXPECT_EQ(resp.Encode(0), rbytes);
  auto rback = DeleteAclsResponse::Decode(rbytes, 0);
  ASSERT_TRUE(rback.ok()) << rback.status().ToString();
  EXPECT_EQ(rback->results[0].matching[0].acl.pattern_type, kLiteral);
  ExpectTruncationsCorrupt<DeleteAclsResponse>(rbytes, 0);
}

// ---- Filters: null is not empty ----

TEST(AclFilterTest, NullAndEmptyStringsStayApart) {
  const AclFilterWire empty{.resource_type = kTopic,
                            .resource_name = "",
                            .pattern_type = kLiteral,
                            .principal = "",
                            .host = "",
                            .operation = kAny,
                            .permission = kAny};
  const AclFilterWire null{.resource_type = kTopic,
                           .resource_name = std::nullopt,
                           .pattern_type = kLiteral,
                           .principal = std::nullopt,
                           .host = std::nullopt,
                           .operation = kAny,
                           .permission = kAny};
  // Classic: "" is length 0, null length -1. Compact: "" is 1, null 0.
  EXPECT_EQ(DescribeAclsRequest{.filter = empty}.Encode(1),
            "\x02" "\x00\x00" "\x03" "\x00\x00" "\x00\x00" "\x01\x01"s);
  EXPECT_EQ(DescribeAclsRequest{.filter = null}.Encode(1),
            "\x02" "\xff\xff" "\x03" "\xff\xff" "\xff\xff" "\x01\x01"s);
  EXPECT_EQ(DescribeAclsRequest{.filter = empty}.Encode(2), "\x02" "\x01" "\x03" "\x01" "\x01" "\x01\x01" "\x00"s);
  EXPECT_EQ(DescribeAclsRequest{.filter = null}.Encode(2), "\x02" "\x00" "\x03" "\x00" "\x00" "\x01\x01" "\x00"s);
  for (int16_t v = 0; v <= kMaxVersion; ++v) {
    for (const AclFilterWire& filter : {empty, null}) {
      auto d = DescribeAclsRequest::Decode(DescribeAclsRequest{.filter = filter}.Encode(v), v);
      ASSERT_TRUE(d.ok()) << "v" << v;
      ASSERT_EQ(d->filter.resource_name.has_value(), filter.resource_name.has_value()) << "v" << v;
      ASSERT_EQ(d->filter.principal.has_value(), filter.principal.has_value()) << "v" << v;
      ASSERT_EQ(d->filter.host.has_value(), filter.host.has_value()) << "v" << v;
      ExpectSame(d->filter, filter, v);
    }
    // Both in one DeleteAcls request, mixed per field.
    AclFilterWire mixed = null;
    mixed.principal = "";
    const DeleteAclsRequest del{.filters = {empty, null, mixed}};
    auto back = DeleteAclsRequest::Decode(del.Encode(v), v);
    ASSERT_TRUE(back.ok()) << "v" << v;
    ExpectSame(*back, del, v);
    EXPECT_EQ(back->filters[2].resource_name, std::nullopt);
    EXPECT_EQ(back->filters[2].principal, std::optional<std::string>(""));
  }
}

// ---- Every message at every version ----

TEST(AclCodecTest, RoundTripsEveryVersion) {
  for (int16_t v = 0; v <= kMaxVersion; ++v) {
    SCOPED_TRACE("v" + std::to_string(v));

    // DescribeAcls: a full filter, the default (everything), and the
    // sample response; an empty response.
    DescribeAclsRequest describe;
    describe.filter = {.resource_type = kCluster,
                       .resource_name = "kafka-cluster",
                       .pattern_type = kAny,
                       .principal = "User:admin",
                       .host = "192.168.0.1",
                       .operation = kIdempotentWrite,
                       .permission = kDeny};
    for (const DescribeAclsRequest& req : {describe, DescribeAclsRequest{}}) {
      const std::string bytes = req.Encode(v);
      auto back = DescribeAclsRequest::Decode(bytes, v);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      ExpectSame(back->filter, req.filter, v);
      ExpectTruncationsCorrupt<DescribeAclsRequest>(bytes, v);
    }
    DescribeAclsResponse minimal;  // resources and ACLs of the least size
    minimal.resources.resize(3);
    minimal.resources[1].acls.resize(3);
    for (const DescribeAclsResponse& resp : {DescribeResponse(), DescribeAclsResponse{}, minimal}) {
      const std::string bytes = resp.Encode(v);
      auto back = DescribeAclsResponse::Decode(bytes, v);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      ExpectSame(*back, resp, v);
      ExpectTruncationsCorrupt<DescribeAclsResponse>(bytes, v);
    }

    // CreateAcls: the sample, none, and bindings of the least size.
    CreateAclsRequest minimal_create;
    minimal_create.creations.resize(3);
    for (const CreateAclsRequest& req : {CreateRequest(), CreateAclsRequest{}, minimal_create}) {
      const std::string bytes = req.Encode(v);
      auto back = CreateAclsRequest::Decode(bytes, v);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      ExpectSame(*back, req, v);
      ExpectTruncationsCorrupt<CreateAclsRequest>(bytes, v);
    }
    CreateAclsResponse created;
    created.throttle_time_ms = INT32_MAX;
    created.results = {{}, {.error = ErrorCode::kInvalidRequest, .error_message = ""}, {}};
    for (const CreateAclsResponse& resp : {created, CreateAclsResponse{}}) {
      const std::string bytes = resp.Encode(v);
      auto back = CreateAclsResponse::Decode(bytes, v);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      ExpectSame(*back, resp);
      ExpectTruncationsCorrupt<CreateAclsResponse>(bytes, v);
    }

    // DeleteAcls: the samples, none, and elements of the least size.
    DeleteAclsRequest minimal_delete;
    minimal_delete.filters.resize(3);
    for (const DeleteAclsRequest& req : {DeleteRequest(), DeleteAclsRequest{}, minimal_delete}) {
      const std::string bytes = req.Encode(v);
      auto back = DeleteAclsRequest::Decode(bytes, v);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      ExpectSame(*back, req, v);
      ExpectTruncationsCorrupt<DeleteAclsRequest>(bytes, v);
    }
    DeleteAclsResponse minimal_deleted;
    minimal_deleted.results.resize(3);
    minimal_deleted.results[1].matching.resize(3);
    for (const DeleteAclsResponse& resp : {DeleteResponse(), DeleteAclsResponse{}, minimal_deleted}) {
      const std::string bytes = resp.Encode(v);
      auto back = DeleteAclsResponse::Decode(bytes, v);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      ExpectSame(*back, resp, v);
      ExpectTruncationsCorrupt<DeleteAclsResponse>(bytes, v);
    }
  }
}

TEST(AclCodecTest, PatternTypeOnlyFromV1) {
  // Each binding or filter grows by exactly one byte from v0 to v1, and v0
  // writes the same bytes whatever the pattern type.
  CreateAclsRequest literal = CreateRequest();
  for (auto& c : literal.creations) c.pattern_type = kLiteral;
  EXPECT_EQ(CreateRequest().Encode(0), literal.Encode(0));
  EXPECT_EQ(CreateRequest().Encode(1).size(), CreateRequest().Encode(0).size() + 2);
  EXPECT_NE(CreateRequest().Encode(1), literal.Encode(1));
  EXPECT_EQ(DeleteRequest().Encode(1).size(), DeleteRequest().Encode(0).size() + 2);
  DescribeAclsRequest any_pattern;
  any_pattern.filter.pattern_type = kAny;
  EXPECT_EQ(any_pattern.Encode(0), DescribeAclsRequest{}.Encode(0));
  EXPECT_EQ(any_pattern.Encode(1).size(), any_pattern.Encode(0).size() + 1);
  // DescribeAcls resources: one byte per resource; DeleteAcls matches: one
  // per matching ACL.
  EXPECT_EQ(DescribeResponse().Encode(1).size(), DescribeResponse().Encode(0).size() + 2);
  EXPECT_EQ(DeleteResponse().Encode(1).size(), DeleteResponse().Encode(0).size() + 2);
}

TEST(AclCodecTest, SkipsUnknownTaggedFields) {
  // v2 and v3: a tag section holding a field we do not know, on every
  // struct of each request.
  for (int16_t v : {2, 3}) {
    Body c(true);
    c.Count(1).I8(kTopic).Str("t").I8(kLiteral).Str("User:a").Str("*").I8(kRead).I8(kAllow).UnknownTag();
    auto create = CreateAclsRequest::Decode(c.UnknownTag().bytes(), v);
    ASSERT_TRUE(create.ok()) << create.status().ToString();
    ASSERT_EQ(create->creations.size(), 1u);
    EXPECT_EQ(create->creations[0].principal, "User:a");

    Body d(true);
    d.Count(1).I8(kTopic).NStr("t").I8(kLiteral).NStr(std::nullopt).NStr("*").I8(kAny).I8(kAny).UnknownTag();
    auto del = DeleteAclsRequest::Decode(d.UnknownTag().bytes(), v);
    ASSERT_TRUE(del.ok()) << del.status().ToString();
    ASSERT_EQ(del->filters.size(), 1u);
    EXPECT_EQ(del->filters[0].host, std::optional<std::string>("*"));

    Body s(true);
    s.I8(kGroup).NStr("g").I8(kPrefixed).NStr("User:a").NStr(std::nullopt).I8(kRead).I8(kAllow);
    auto describe = DescribeAclsRequest::Decode(s.UnknownTag().bytes(), v);
    ASSERT_TRUE(describe.ok()) << describe.status().ToString();
    EXPECT_EQ(describe->filter.resource_name, std::optional<std::string>("g"));
    EXPECT_EQ(describe->filter.pattern_type, kPrefixed);
  }
}

// ---- Every API: the dispatcher, absurd counts, unknown versions ----

struct Sample {
  ApiKey key;
  int16_t version;
  std::string body;
};

std::vector<Sample> RequestSamples() {
  std::vector<Sample> out;
  for (int16_t v = 0; v <= kMaxVersion; ++v) {
    DescribeAclsRequest describe;
    describe.filter.resource_name = "orders";
    out.push_back({ApiKey::kDescribeAcls, v, describe.Encode(v)});
    out.push_back({ApiKey::kCreateAcls, v, CreateRequest().Encode(v)});
    out.push_back({ApiKey::kDeleteAcls, v, DeleteRequest().Encode(v)});
  }
  return out;
}

TEST(AclCodecTest, SamplesDecodeThroughTheDispatcher) {
  for (const Sample& s : RequestSamples()) {
    const auto key = static_cast<int16_t>(s.key);
    EXPECT_TRUE(DecodeRequestBody(key, s.version, s.body).ok()) << key << " v" << s.version;
    for (size_t n = 0; n < s.body.size(); ++n) {
      EXPECT_EQ(DecodeRequestBody(key, s.version, std::string_view(s.body).substr(0, n)).code(), Errc::kCorruption)
          << key << " v" << s.version << " cut at " << n;
    }
  }
}

TEST(AclCodecTest, ServedVersions) {
  const ApiVersionRange expected[] = {
      {ApiKey::kDescribeAcls, 0, 3, "DescribeAcls"},
      {ApiKey::kCreateAcls, 0, 3, "CreateAcls"},
      {ApiKey::kDeleteAcls, 0, 3, "DeleteAcls"},
  };
  for (const auto& want : expected) {
    const ApiVersionRange* api = FindApi(static_cast<int16_t>(want.key));
    ASSERT_NE(api, nullptr) << want.name;
    EXPECT_EQ(api->min, want.min) << want.name;
    EXPECT_EQ(api->max, want.max) << want.name;
    EXPECT_STREQ(api->name, want.name);
    for (int16_t v = 0; v <= 3; ++v) {
      EXPECT_EQ(FlexibleVersion(static_cast<int16_t>(want.key), v), v >= 2) << want.name << " v" << v;
    }
  }
  // Still in key order.
  const auto& apis = SupportedApis();
  for (size_t i = 1; i < apis.size(); ++i) {
    EXPECT_LT(static_cast<int16_t>(apis[i - 1].key), static_cast<int16_t>(apis[i].key)) << apis[i].name;
  }
}

TEST(AclCodecTest, UnknownVersionsAreNotSupported) {
  for (ApiKey k : {ApiKey::kDescribeAcls, ApiKey::kCreateAcls, ApiKey::kDeleteAcls}) {
    const auto key = static_cast<int16_t>(k);
    for (int16_t v : {-1, 4, INT16_MAX}) {
      EXPECT_EQ(DecodeRequestBody(key, v, "\x00\x00\x00\x00\x00\x00"s).code(), Errc::kNotSupported)
          << key << " v" << v;
    }
  }
  const std::string any(32, '\0');
  for (int16_t v : {-1, 4}) {
    EXPECT_EQ(DescribeAclsRequest::Decode(any, v).status().code(), Errc::kNotSupported) << v;
    EXPECT_EQ(DescribeAclsResponse::Decode(any, v).status().code(), Errc::kNotSupported) << v;
    EXPECT_EQ(CreateAclsRequest::Decode(any, v).status().code(), Errc::kNotSupported) << v;
    EXPECT_EQ(CreateAclsResponse::Decode(any, v).status().code(), Errc::kNotSupported) << v;
    EXPECT_EQ(DeleteAclsRequest::Decode(any, v).status().code(), Errc::kNotSupported) << v;
    EXPECT_EQ(DeleteAclsResponse::Decode(any, v).status().code(), Errc::kNotSupported) << v;
  }
}

// The count itself is refused (kCorruption, from ArrayCount's bound), not
// some later field running out.
void ExpectCountRefused(const Status& st, const std::string& what) {
  EXPECT_EQ(st.code(), Errc::kCorruption) << what;
  EXPECT_NE(st.ToString().find("array count past end"), std::string::npos) << what << ": " << st.ToString();
}

TEST(AclCodecTest, AbsurdArrayCountsFail) {
  for (int16_t v = 0; v <= kMaxVersion; ++v) {
    const bool flex = v >= 2;
    const std::string tags = flex ? "\x00"s : ""s;
    const std::string pattern = v >= 1 ? "\x03"s : ""s;
    const std::string null = flex ? "\x00"s : "\xff\xff"s;
    const std::string empty = flex ? "\x01"s : "\x00\x00"s;
    // One element of each kind, of the least size.
    const std::string binding = "\x02"s + empty + pattern + empty + empty + "\x03\x03"s;
    const std::string filter = "\x01"s + null + pattern + null + null + "\x01\x01"s;
    const std::string acl = empty + empty + "\x03\x03"s + tags;
    const std::string resource = "\x02"s + empty + pattern + Body(flex).Count(0).bytes() + tags;
    const std::string result = "\x00\x00"s + null;  // error, message
    const std::string head = "\x00\x00\x00\x00"s;  // throttle
    // Counts beyond the bytes left (5 elements with at most 2 elements'
    // bytes, and past kMaxArrayCount), classic and compact.
    for (uint32_t count : {5u, 1u << 20, (1u << 20) + 1, static_cast<uint32_t>(INT32_MAX)}) {
      const std::string c = Body(flex).Count(count).bytes();
      const std::string what = "v" + std::to_string(v) + " count " + std::to_string(count);
      ExpectCountRefused(CreateAclsRequest::Decode(c + binding + tags + tags, v).status(), "creations " + what);
      ExpectCountRefused(DeleteAclsRequest::Decode(c + filter + tags + tags, v).status(), "filters " + what);
      ExpectCountRefused(DescribeAclsResponse::Decode(head + "\x00\x00"s + null + c + resource + tags, v).status(),
                         "resources " + what);
      const std::string one = Body(flex).Count(1).bytes();
      ExpectCountRefused(
          DescribeAclsResponse::Decode(head + "\x00\x00"s + null + one + "\x02"s + empty + pattern + c + acl + tags +
                                           tags,
                                       v)
              .status(),
          "acls " + what);
      ExpectCountRefused(CreateAclsResponse::Decode(head + c + result + tags + tags, v).status(),
                         "create results " + what);
      ExpectCountRefused(
          DeleteAclsResponse::Decode(head + c + result + Body(flex).Count(0).bytes() + tags + tags, v).status(),
          "delete results " + what);
      ExpectCountRefused(
          DeleteAclsResponse::Decode(head + one + result + c + result + binding + tags + tags + tags, v).status(),
          "matching " + what);
    }
    // The bound is by element size: two creations need twice the least
    // creation, and one (with the request's end) is all that follows.
    const std::string two = Body(flex).Count(2).bytes();
    ExpectCountRefused(CreateAclsRequest::Decode(two + binding + tags + tags, v).status(),
                       "two creations v" + std::to_string(v));
    ExpectCountRefused(DeleteAclsRequest::Decode(two + filter + tags + tags, v).status(),
                       "two filters v" + std::to_string(v));
    // While one creation of the least size decodes.
    auto one_binding = CreateAclsRequest::Decode(Body(flex).Count(1).bytes() + binding + tags + tags, v);
    ASSERT_TRUE(one_binding.ok()) << "v" << v << ": " << one_binding.status().ToString();
    EXPECT_EQ(one_binding->creations.size(), 1u);
    auto one_filter = DeleteAclsRequest::Decode(Body(flex).Count(1).bytes() + filter + tags + tags, v);
    ASSERT_TRUE(one_filter.ok()) << "v" << v << ": " << one_filter.status().ToString();
    EXPECT_EQ(one_filter->filters[0].resource_name, std::nullopt);
  }
  // Strings running past the end: a principal claiming 100 bytes.
  EXPECT_EQ(DescribeAclsRequest::Decode("\x02" "\xff\xff" "\x03" "\x00\x64" "User" "\xff\xff" "\x01\x01"s, 1)
                .status()
                .code(),
            Errc::kCorruption);
  EXPECT_EQ(DescribeAclsRequest::Decode("\x02" "\x00" "\x03" "\x65" "User" "\x00" "\x01\x01" "\x00"s, 2)
                .status()
                .code(),
            Errc::kCorruption);
}

}  // namespace
}  // namespace rivulet::log::kafka
