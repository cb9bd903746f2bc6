// The SASL and SCRAM credential codecs (log/kafka/protocol/sasl.h), every
// API at every version, both directions: bodies spelled out byte by byte
// (literal big-endian integers and varints) or field by field with the
// Writer's primitives (body.h), never with the codecs under test, decode to
// the values written and encode to the same bytes; every message survives a
// round trip; and every way a body goes bad (cut short, absurd counts, an
// unknown version) is an error, never a crash.
#include "log/kafka/protocol/sasl.h"

#include <gtest/gtest.h>

#include <climits>
#include <functional>
#include <string>

#include "log/kafka/protocol/decode.h"
#include "tests/log/kafka/protocol/body.h"

namespace rivulet::log::kafka {
namespace {

using namespace std::string_literals;

// Field-by-field equality of the structs (they define no operator==).

void ExpectSame(const SaslAuthenticateResponse& a, const SaslAuthenticateResponse& b, bool has_lifetime) {
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.error_message, b.error_message);
  EXPECT_EQ(a.auth_bytes, b.auth_bytes);
  EXPECT_EQ(a.session_lifetime_ms, has_lifetime ? b.session_lifetime_ms : 0);
}

void ExpectSame(const DescribeUserScramCredentialsResponse& a, const DescribeUserScramCredentialsResponse& b) {
  EXPECT_EQ(a.throttle_time_ms, b.throttle_time_ms);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.error_message, b.error_message);
  ASSERT_EQ(a.results.size(), b.results.size());
  for (size_t i = 0; i < a.results.size(); ++i) {
    const auto& x = a.results[i];
    const auto& y = b.results[i];
    EXPECT_EQ(x.user, y.user);
    EXPECT_EQ(x.error, y.error);
    EXPECT_EQ(x.error_message, y.error_message);
    ASSERT_EQ(x.credentials.size(), y.credentials.size()) << x.user;
    for (size_t j = 0; j < x.credentials.size(); ++j) {
      EXPECT_EQ(x.credentials[j].mechanism, y.credentials[j].mechanism);
      EXPECT_EQ(x.credentials[j].iterations, y.credentials[j].iterations);
    }
  }
}

void ExpectSame(const AlterUserScramCredentialsRequest& a, const AlterUserScramCredentialsRequest& b) {
  ASSERT_EQ(a.deletions.size(), b.deletions.size());
  for (size_t i = 0; i < a.deletions.size(); ++i) {
    EXPECT_EQ(a.deletions[i].name, b.deletions[i].name);
    EXPECT_EQ(a.deletions[i].mechanism, b.deletions[i].mechanism);
  }
  ASSERT_EQ(a.upsertions.size(), b.upsertions.size());
  for (size_t i = 0; i < a.upsertions.size(); ++i) {
    const auto& x = a.upsertions[i];
    const auto& y = b.upsertions[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.mechanism, y.mechanism);
    EXPECT_EQ(x.iterations, y.iterations);
    EXPECT_EQ(x.salt, y.salt);
    EXPECT_EQ(x.salted_password, y.salted_password);
  }
}

void ExpectSame(const AlterUserScramCredentialsResponse& a, const AlterUserScramCredentialsResponse& b) {
  EXPECT_EQ(a.throttle_time_ms, b.throttle_time_ms);
  ASSERT_EQ(a.results.size(), b.results.size());
  for (size_t i = 0; i < a.results.size(); ++i) {
    EXPECT_EQ(a.results[i].user, b.results[i].user);
    EXPECT_EQ(a.results[i].error, b.results[i].error);
    EXPECT_EQ(a.results[i].error_message, b.results[i].error_message);
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

// A 32-byte salted password (SCRAM-SHA-256's size), bytes 0..31.
std::string SaltedPassword() {
  std::string s;
  for (int i = 0; i < 32; ++i) s.push_back(static_cast<char>(i));
  return s;
}

// ---- SaslHandshake (17) ----

TEST(SaslHandshakeTest, RequestBytesExactly) {
  // int16 length 13, then the mechanism.
  const std::string bytes = "\x00\x0d" "SCRAM-SHA-256"s;
  for (int16_t v = 0; v <= 1; ++v) {
    auto req = SaslHandshakeRequest::Decode(bytes, v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    EXPECT_EQ(req->mechanism, "SCRAM-SHA-256");
    EXPECT_EQ(SaslHandshakeRequest{.mechanism = "SCRAM-SHA-256"}.Encode(v), bytes) << "v" << v;
    ExpectTruncationsCorrupt<SaslHandshakeRequest>(bytes, v);
  }
  EXPECT_EQ(SaslHandshakeRequest{.mechanism = "PLAIN"}.Encode(1), "\x00\x05" "PLAIN"s);
}

TEST(SaslHandshakeTest, ResponseBytesExactly) {
  SaslHandshakeResponse resp;
  resp.error = ErrorCode::kUnsupportedSaslMechanism;
  resp.mechanisms = {"PLAIN", "SCRAM-SHA-512"};
  // Error 33, int32 count 2, two int16-length strings; no tag sections.
  const std::string bytes = "\x00\x21" "\x00\x00\x00\x02" "\x00\x05" "PLAIN" "\x00\x0d" "SCRAM-SHA-512"s;
  for (int16_t v = 0; v <= 1; ++v) {
    EXPECT_EQ(resp.Encode(v), bytes) << "v" << v;
    auto back = SaslHandshakeResponse::Decode(bytes, v);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->error, ErrorCode::kUnsupportedSaslMechanism);
    EXPECT_EQ(back->mechanisms, resp.mechanisms);
    ExpectTruncationsCorrupt<SaslHandshakeResponse>(bytes, v);
  }
  EXPECT_EQ(SaslHandshakeResponse{}.Encode(1), "\x00\x00" "\x00\x00\x00\x00"s);
}

TEST(SaslHandshakeTest, RoundTripsEveryVersion) {
  for (int16_t v = 0; v <= 1; ++v) {
    for (const std::string& m : {""s, "PLAIN"s, "SCRAM-SHA-256"s}) {
      auto req = SaslHandshakeRequest::Decode(SaslHandshakeRequest{.mechanism = m}.Encode(v), v);
      ASSERT_TRUE(req.ok());
      EXPECT_EQ(req->mechanism, m);
    }
    for (const std::vector<std::string>& ms :
         {std::vector<std::string>{}, std::vector<std::string>{"PLAIN", "SCRAM-SHA-256", ""}}) {
      SaslHandshakeResponse resp{.error = ErrorCode::kIllegalSaslState, .mechanisms = ms};
      auto back = SaslHandshakeResponse::Decode(resp.Encode(v), v);
      ASSERT_TRUE(back.ok());
      EXPECT_EQ(back->error, ErrorCode::kIllegalSaslState);
      EXPECT_EQ(back->mechanisms, ms);
    }
  }
}

// ---- SaslAuthenticate (36) ----

// PLAIN's message: authzid (empty), NUL, user, NUL, password (11 bytes).
const std::string kPlain = "\x00" "bob" "\x00" "hunter"s;

TEST(SaslAuthenticateTest, RequestBytesExactly) {
  // v0, v1: int32 length 11, then the bytes.
  const std::string classic = "\x00\x00\x00\x0b"s + kPlain;
  // v2: compact length 11 + 1 = 12, the bytes, an empty tag section.
  const std::string flexible = "\x0c"s + kPlain + "\x00"s;
  for (int16_t v = 0; v <= 2; ++v) {
    const std::string& bytes = v >= 2 ? flexible : classic;
    auto req = SaslAuthenticateRequest::Decode(bytes, v);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    EXPECT_EQ(req->auth_bytes, kPlain);
    EXPECT_EQ(SaslAuthenticateRequest{.auth_bytes = kPlain}.Encode(v), bytes) << "v" << v;
    ExpectTruncationsCorrupt<SaslAuthenticateRequest>(bytes, v);
  }
  // Empty bytes.
  EXPECT_EQ(SaslAuthenticateRequest{}.Encode(0), "\x00\x00\x00\x00"s);
  EXPECT_EQ(SaslAuthenticateRequest{}.Encode(2), "\x01\x00"s);
}

TEST(SaslAuthenticateTest, SkipsUnknownTaggedFields) {
  // v2: "ab", then a tag section holding tag 3 of two bytes.
  auto req = SaslAuthenticateRequest::Decode("\x03" "ab" "\x01\x03\x02" "xy"s, 2);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->auth_bytes, "ab");
}

TEST(SaslAuthenticateTest, ResponseBytesExactly) {
  SaslAuthenticateResponse resp;
  resp.error = ErrorCode::kSaslAuthenticationFailed;
  resp.error_message = "bad";
  resp.auth_bytes = "v=xyz";
  resp.session_lifetime_ms = 3600000;  // 0x36ee80
  // v0: error 58, int16-length message, int32-length bytes; no lifetime.
  const std::string v0 = "\x00\x3a" "\x00\x03" "bad" "\x00\x00\x00\x05" "v=xyz"s;
  // v1: v0, then the lifetime as an int64.
  const std::string lifetime = "\x00\x00\x00\x00\x00\x36\xee\x80"s;
  const std::string v1 = v0 + lifetime;
  // v2: compact message (3 + 1) and bytes (5 + 1), the lifetime, empty tags.
  const std::string v2 = "\x00\x3a" "\x04" "bad" "\x06" "v=xyz"s + lifetime + "\x00"s;
  const std::string by_version[] = {v0, v1, v2};
  for (int16_t v = 0; v <= 2; ++v) {
    const std::string& bytes = by_version[v];
    EXPECT_EQ(resp.Encode(v), bytes) << "v" << v;
    auto back = SaslAuthenticateResponse::Decode(bytes, v);
    ASSERT_TRUE(back.ok()) << "v" << v << ": " << back.status().ToString();
    ExpectSame(*back, resp, v >= 1);
    ExpectTruncationsCorrupt<SaslAuthenticateResponse>(bytes, v);
  }

  // Success: null message (int16 -1; compact 0), empty bytes.
  SaslAuthenticateResponse ok;
  EXPECT_EQ(ok.Encode(0), "\x00\x00" "\xff\xff" "\x00\x00\x00\x00"s);
  EXPECT_EQ(ok.Encode(1), "\x00\x00" "\xff\xff" "\x00\x00\x00\x00" "\x00\x00\x00\x00\x00\x00\x00\x00"s);
  EXPECT_EQ(ok.Encode(2), "\x00\x00" "\x00" "\x01" "\x00\x00\x00\x00\x00\x00\x00\x00" "\x00"s);
  auto null_message = SaslAuthenticateResponse::Decode(ok.Encode(2), 2);
  ASSERT_TRUE(null_message.ok());
  EXPECT_EQ(null_message->error_message, std::nullopt);
}

TEST(SaslAuthenticateTest, SessionLifetimeOnlyFromV1) {
  SaslAuthenticateResponse resp;
  resp.session_lifetime_ms = 1234;
  const std::string v0 = resp.Encode(0);
  const std::string v1 = resp.Encode(1);
  EXPECT_EQ(v1.size(), v0.size() + 8);
  EXPECT_EQ(v1.substr(v0.size()), "\x00\x00\x00\x00\x00\x00\x04\xd2"s);
  auto back0 = SaslAuthenticateResponse::Decode(v0, 0);
  ASSERT_TRUE(back0.ok());
  EXPECT_EQ(back0->session_lifetime_ms, 0);
  auto back1 = SaslAuthenticateResponse::Decode(v1, 1);
  ASSERT_TRUE(back1.ok());
  EXPECT_EQ(back1->session_lifetime_ms, 1234);
  // A v1 body without the lifetime is cut short.
  EXPECT_EQ(SaslAuthenticateResponse::Decode(v0, 1).status().code(), Errc::kCorruption);
}

TEST(SaslAuthenticateTest, RoundTripsEveryVersion) {
  const std::string binary = "\x00\xff\x80\x01 binary"s;
  for (int16_t v = 0; v <= 2; ++v) {
    for (const std::string& b : {""s, kPlain, binary, std::string(300, 'x')}) {
      auto req = SaslAuthenticateRequest::Decode(SaslAuthenticateRequest{.auth_bytes = b}.Encode(v), v);
      ASSERT_TRUE(req.ok()) << "v" << v;
      EXPECT_EQ(req->auth_bytes, b);
    }
    for (const std::optional<std::string>& msg : {std::optional<std::string>(), std::optional<std::string>(""),
                                                  std::optional<std::string>("Authentication failed")}) {
      SaslAuthenticateResponse resp{.error = ErrorCode::kSaslAuthenticationFailed,
                                    .error_message = msg,
                                    .auth_bytes = binary,
                                    .session_lifetime_ms = INT64_MAX};
      auto back = SaslAuthenticateResponse::Decode(resp.Encode(v), v);
      ASSERT_TRUE(back.ok()) << "v" << v;
      ExpectSame(*back, resp, v >= 1);
    }
  }
}

// ---- DescribeUserScramCredentials (50) ----

TEST(DescribeUserScramCredentialsTest, NullUsersIsNotAnEmptyList) {
  // Null array: compact count 0; then the request's empty tag section.
  const std::string null_users = "\x00\x00"s;
  // Empty array: compact count 0 + 1.
  const std::string no_users = "\x01\x00"s;
  auto all = DescribeUserScramCredentialsRequest::Decode(null_users, 0);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->users, std::nullopt);
  auto none = DescribeUserScramCredentialsRequest::Decode(no_users, 0);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  ASSERT_TRUE(none->users.has_value());
  EXPECT_TRUE(none->users->empty());

  EXPECT_EQ(DescribeUserScramCredentialsRequest{}.Encode(0), null_users);
  EXPECT_EQ(DescribeUserScramCredentialsRequest{.users = std::vector<std::string>{}}.Encode(0), no_users);
}

TEST(DescribeUserScramCredentialsTest, RequestBytesExactly) {
  // Two users, each a struct {name} with its own tag section.
  const std::string bytes = "\x03" "\x06" "alice" "\x00" "\x04" "bob" "\x00" "\x00"s;
  auto req = DescribeUserScramCredentialsRequest::Decode(bytes, 0);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  ASSERT_TRUE(req->users.has_value());
  EXPECT_EQ(*req->users, (std::vector<std::string>{"alice", "bob"}));
  const DescribeUserScramCredentialsRequest two{.users = std::vector<std::string>{"alice", "bob"}};
  EXPECT_EQ(two.Encode(0), bytes);
  ExpectTruncationsCorrupt<DescribeUserScramCredentialsRequest>(bytes, 0);

  // Unknown tags on a user and on the request are skipped.
  const std::string tagged = Body(true).Count(1).Str("alice").UnknownTag().UnknownTag().bytes();
  auto t = DescribeUserScramCredentialsRequest::Decode(tagged, 0);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t->users, (std::vector<std::string>{"alice"}));
}

DescribeUserScramCredentialsResponse DescribeResponse() {
  DescribeUserScramCredentialsResponse resp;
  resp.throttle_time_ms = 7;
  DescribeUserScramCredentialsResponse::UserResult alice;
  alice.user = "alice";
  alice.credentials = {{.mechanism = 1, .iterations = 4096}, {.mechanism = 2, .iterations = 8192}};
  DescribeUserScramCredentialsResponse::UserResult ghost;
  ghost.user = "ghost";
  ghost.error = ErrorCode::kResourceNotFound;
  ghost.error_message = "no credentials";
  resp.results = {alice, ghost};
  return resp;
}

TEST(DescribeUserScramCredentialsTest, ResponseBytesExactly) {
  const DescribeUserScramCredentialsResponse resp = DescribeResponse();
  Body b(true);
  b.I32(7).I16(0).NStr(std::nullopt).Count(2);
  b.Str("alice").I16(0).NStr(std::nullopt).Count(2);
  b.I8(1).I32(4096).Tags();
  b.I8(2).I32(8192).Tags();
  b.Tags();  // alice
  b.Str("ghost").I16(91).NStr("no credentials").Count(0).Tags();
  b.Tags();  // response
  const std::string bytes = b.bytes();
  EXPECT_EQ(resp.Encode(0), bytes);
  auto back = DescribeUserScramCredentialsResponse::Decode(bytes, 0);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(*back, resp);
  ExpectTruncationsCorrupt<DescribeUserScramCredentialsResponse>(bytes, 0);

  // A request-level error, no results, by hand: throttle 0, error 31,
  // compact "denied", 0 results, empty tags.
  DescribeUserScramCredentialsResponse denied;
  denied.error = ErrorCode::kClusterAuthorizationFailed;
  denied.error_message = "denied";
  EXPECT_EQ(denied.Encode(0), "\x00\x00\x00\x00" "\x00\x1f" "\x07" "denied" "\x01" "\x00"s);
}

TEST(DescribeUserScramCredentialsTest, RoundTrips) {
  using Users = std::optional<std::vector<std::string>>;
  for (const Users& users : {Users(), Users(std::vector<std::string>{}), Users({"alice", "", "bob"})}) {
    const DescribeUserScramCredentialsRequest sent{.users = users};
    auto req = DescribeUserScramCredentialsRequest::Decode(sent.Encode(0), 0);
    ASSERT_TRUE(req.ok());
    EXPECT_EQ(req->users, users);
  }
  const DescribeUserScramCredentialsResponse resp = DescribeResponse();
  auto back = DescribeUserScramCredentialsResponse::Decode(resp.Encode(0), 0);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(*back, resp);
  auto empty = DescribeUserScramCredentialsResponse::Decode(DescribeUserScramCredentialsResponse{}.Encode(0), 0);
  ASSERT_TRUE(empty.ok());
  ExpectSame(*empty, DescribeUserScramCredentialsResponse{});
}

// ---- AlterUserScramCredentials (51) ----

AlterUserScramCredentialsRequest AlterRequest() {
  AlterUserScramCredentialsRequest req;
  req.deletions = {{.name = "bob", .mechanism = 2}};
  req.upsertions = {{.name = "alice", .mechanism = 1, .iterations = 4096, .salt = "salt", .salted_password = "pw"},
                    {.name = "carol",
                     .mechanism = 2,
                     .iterations = 10000,
                     .salt = "\x01\x02\x03"s,
                     .salted_password = SaltedPassword()}};
  return req;
}

TEST(AlterUserScramCredentialsTest, RequestBytesExactly) {
  const AlterUserScramCredentialsRequest req = AlterRequest();
  const std::string bytes =
      // deletions: 1 (+1); bob, SCRAM-SHA-512, tags
      "\x02" "\x04" "bob" "\x02" "\x00"
      // upsertions: 2 (+1)
      "\x03"
      // alice, SCRAM-SHA-256, 4096 iterations, salt "salt" (4 + 1), "pw" (2 + 1), tags
      "\x06" "alice" "\x01" "\x00\x00\x10\x00" "\x05" "salt" "\x03" "pw" "\x00"
      // carol, SCRAM-SHA-512, 10000 iterations, 3-byte salt, 32-byte password (32 + 1 = 0x21)
      "\x06" "carol" "\x02" "\x00\x00\x27\x10" "\x04" "\x01\x02\x03" "\x21"s +
      SaltedPassword() + "\x00"
      // the request's tags
      "\x00"s;
  EXPECT_EQ(req.Encode(0), bytes);
  auto back = AlterUserScramCredentialsRequest::Decode(bytes, 0);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(*back, req);
  ExpectTruncationsCorrupt<AlterUserScramCredentialsRequest>(bytes, 0);

  // Nothing to do: two empty arrays, tags.
  EXPECT_EQ(AlterUserScramCredentialsRequest{}.Encode(0), "\x01\x01\x00"s);
}

TEST(AlterUserScramCredentialsTest, ResponseBytesExactly) {
  AlterUserScramCredentialsResponse resp;
  resp.throttle_time_ms = 1;
  resp.results = {{.user = "alice", .error = ErrorCode::kNone, .error_message = std::nullopt},
                  {.user = "bob", .error = ErrorCode::kResourceNotFound, .error_message = "no such credential"}};
  const std::string bytes =
      "\x00\x00\x00\x01"  // throttle
      "\x03"  // 2 results
      "\x06" "alice" "\x00\x00" "\x00" "\x00"  // no error, null message, tags
      "\x04" "bob" "\x00\x5b" "\x13" "no such credential" "\x00"  // error 91, 18-byte message
      "\x00"s;  // tags
  EXPECT_EQ(resp.Encode(0), bytes);
  auto back = AlterUserScramCredentialsResponse::Decode(bytes, 0);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(*back, resp);
  ExpectTruncationsCorrupt<AlterUserScramCredentialsResponse>(bytes, 0);
}

TEST(AlterUserScramCredentialsTest, RoundTrips) {
  const AlterUserScramCredentialsRequest req = AlterRequest();
  auto back = AlterUserScramCredentialsRequest::Decode(req.Encode(0), 0);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(*back, req);
  auto empty = AlterUserScramCredentialsRequest::Decode(AlterUserScramCredentialsRequest{}.Encode(0), 0);
  ASSERT_TRUE(empty.ok());
  ExpectSame(*empty, AlterUserScramCredentialsRequest{});

  AlterUserScramCredentialsResponse resp;
  resp.throttle_time_ms = 100;
  resp.results = {{.user = "a", .error = ErrorCode::kUnacceptableCredential, .error_message = "too few iterations"},
                  {.user = "b", .error = ErrorCode::kDuplicateResource, .error_message = std::nullopt}};
  auto rback = AlterUserScramCredentialsResponse::Decode(resp.Encode(0), 0);
  ASSERT_TRUE(rback.ok()) << rback.status().ToString();
  ExpectSame(*rback, resp);
}

TEST(AlterUserScramCredentialsTest, SkipsUnknownTaggedFields) {
  Body b(true);
  b.Count(1).Str("bob").I8(1).UnknownTag();
  b.Count(1).Str("alice").I8(2).I32(4096).Bytes("s").Bytes("p").UnknownTag();
  const std::string body = b.UnknownTag().bytes();
  auto req = AlterUserScramCredentialsRequest::Decode(body, 0);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  ASSERT_EQ(req->deletions.size(), 1u);
  EXPECT_EQ(req->deletions[0].name, "bob");
  ASSERT_EQ(req->upsertions.size(), 1u);
  EXPECT_EQ(req->upsertions[0].salt, "s");
  EXPECT_EQ(req->upsertions[0].salted_password, "p");
}

// ---- Every API: the dispatcher, absurd counts, unknown versions ----

struct Sample {
  ApiKey key;
  int16_t version;
  std::string body;
};

std::vector<Sample> RequestSamples() {
  std::vector<Sample> out;
  for (int16_t v = 0; v <= 1; ++v) out.push_back({ApiKey::kSaslHandshake, v, "\x00\x05" "PLAIN"s});
  for (int16_t v = 0; v <= 2; ++v) {
    out.push_back({ApiKey::kSaslAuthenticate, v, Body(v >= 2).Bytes(kPlain).Tags().bytes()});
  }
  out.push_back({ApiKey::kDescribeUserScramCredentials, 0, "\x00\x00"s});
  out.push_back({ApiKey::kDescribeUserScramCredentials, 0, Body(true).Count(1).Str("alice").Tags().Tags().bytes()});
  out.push_back({ApiKey::kAlterUserScramCredentials, 0, AlterRequest().Encode(0)});
  return out;
}

TEST(SaslCodecTest, SamplesDecodeThroughTheDispatcher) {
  for (const Sample& s : RequestSamples()) {
    const auto key = static_cast<int16_t>(s.key);
    EXPECT_TRUE(DecodeRequestBody(key, s.version, s.body).ok()) << key << " v" << s.version;
    for (size_t n = 0; n < s.body.size(); ++n) {
      EXPECT_EQ(DecodeRequestBody(key, s.version, std::string_view(s.body).substr(0, n)).code(), Errc::kCorruption)
          << key << " v" << s.version << " cut at " << n;
    }
  }
}

TEST(SaslCodecTest, ServedVersions) {
  const std::pair<ApiKey, ApiVersionRange> expected[] = {
      {ApiKey::kSaslHandshake, {ApiKey::kSaslHandshake, 0, 1, "SaslHandshake"}},
      {ApiKey::kSaslAuthenticate, {ApiKey::kSaslAuthenticate, 0, 2, "SaslAuthenticate"}},
      {ApiKey::kDescribeUserScramCredentials,
       {ApiKey::kDescribeUserScramCredentials, 0, 0, "DescribeUserScramCredentials"}},
      {ApiKey::kAlterUserScramCredentials, {ApiKey::kAlterUserScramCredentials, 0, 0, "AlterUserScramCredentials"}},
  };
  for (const auto& [key, want] : expected) {
    const ApiVersionRange* api = FindApi(static_cast<int16_t>(key));
    ASSERT_NE(api, nullptr) << want.name;
    EXPECT_EQ(api->min, want.min) << want.name;
    EXPECT_EQ(api->max, want.max) << want.name;
    EXPECT_STREQ(api->name, want.name);
  }
  // Still in key order.
  const auto& apis = SupportedApis();
  for (size_t i = 1; i < apis.size(); ++i) {
    EXPECT_LT(static_cast<int16_t>(apis[i - 1].key), static_cast<int16_t>(apis[i].key)) << apis[i].name;
  }
}

TEST(SaslCodecTest, UnknownVersionsAreNotSupported) {
  for (ApiKey k : {ApiKey::kSaslHandshake, ApiKey::kSaslAuthenticate, ApiKey::kDescribeUserScramCredentials,
                   ApiKey::kAlterUserScramCredentials}) {
    const auto key = static_cast<int16_t>(k);
    const ApiVersionRange& api = *FindApi(key);
    for (int16_t v : {static_cast<int16_t>(api.min - 1), static_cast<int16_t>(api.max + 1)}) {
      EXPECT_EQ(DecodeRequestBody(key, v, "\x00\x00\x00\x00\x00\x00"s).code(), Errc::kNotSupported)
          << api.name << " v" << v;
    }
  }
  const std::string any = "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"s;
  for (int16_t v : {-1, 2}) {
    EXPECT_EQ(SaslHandshakeRequest::Decode(any, v).status().code(), Errc::kNotSupported) << v;
    EXPECT_EQ(SaslHandshakeResponse::Decode(any, v).status().code(), Errc::kNotSupported) << v;
  }
  for (int16_t v : {-1, 3}) {
    EXPECT_EQ(SaslAuthenticateRequest::Decode(any, v).status().code(), Errc::kNotSupported) << v;
    EXPECT_EQ(SaslAuthenticateResponse::Decode(any, v).status().code(), Errc::kNotSupported) << v;
  }
  for (int16_t v : {-1, 1}) {
    EXPECT_EQ(DescribeUserScramCredentialsRequest::Decode(any, v).status().code(), Errc::kNotSupported) << v;
    EXPECT_EQ(DescribeUserScramCredentialsResponse::Decode(any, v).status().code(), Errc::kNotSupported) << v;
    EXPECT_EQ(AlterUserScramCredentialsRequest::Decode(any, v).status().code(), Errc::kNotSupported) << v;
    EXPECT_EQ(AlterUserScramCredentialsResponse::Decode(any, v).status().code(), Errc::kNotSupported) << v;
  }
}

// `count` as a compact array count (count + 1), as raw varint bytes.
std::string CompactCount(uint32_t n) {
  Writer w;
  w.UnsignedVarint(n);
  return w.Take();
}

// The count itself is refused (kCorruption, from ArrayCount's bound), not
// some later field running out.
void ExpectCountRefused(const Status& st, const std::string& what) {
  EXPECT_EQ(st.code(), Errc::kCorruption) << what;
  EXPECT_NE(st.ToString().find("array count past end"), std::string::npos) << what << ": " << st.ToString();
}

TEST(SaslCodecTest, AbsurdArrayCountsFail) {
  // SaslHandshake mechanisms, classic: an int32 count beyond the bytes left
  // (2 bytes a string at least; 7 bytes follow, so 4 is already too many).
  for (int32_t count : {4, int32_t{1} << 20, (int32_t{1} << 20) + 1, INT32_MAX}) {
    const std::string body = Body(false).I16(0).I32(count).Str("PLAIN").bytes();
    ExpectCountRefused(SaslHandshakeResponse::Decode(body, 1).status(), "handshake " + std::to_string(count));
  }
  // The SCRAM APIs, compact: varint counts beyond the bytes left, and over
  // kMaxArrayCount (raw varint values, count + 1).
  const std::string null_message = "\x00"s;
  const std::string tags = "\x00"s;
  for (uint32_t raw : {5u, 1u << 20, (1u << 20) + 2, UINT32_MAX}) {
    const std::string c = CompactCount(raw);
    const std::string n = std::to_string(raw);
    // Describe users (2 bytes each at least): one user follows.
    ExpectCountRefused(DescribeUserScramCredentialsRequest::Decode(c + "\x02" "a"s + tags + tags, 0).status(),
                       "describe users " + n);
    // Describe results (6 bytes each at least): one result follows.
    const std::string head = "\x00\x00\x00\x00" "\x00\x00"s + null_message;
    const std::string result = "\x02" "a" "\x00\x00"s + null_message + "\x01"s + tags;
    ExpectCountRefused(DescribeUserScramCredentialsResponse::Decode(head + c + result + tags, 0).status(),
                       "describe results " + n);
    // A result's credentials (6 bytes each at least): one follows.
    const std::string credential = "\x01" "\x00\x00\x10\x00"s + tags;
    ExpectCountRefused(DescribeUserScramCredentialsResponse::Decode(
                           head + "\x02" "\x02" "a" "\x00\x00"s + null_message + c + credential + tags + tags, 0)
                           .status(),
                       "describe credentials " + n);
    // Alter deletions (3 bytes each at least) and upsertions (9): one of
    // each follows.
    const std::string deletion = "\x02" "a" "\x01"s + tags;
    const std::string upsertion = "\x02" "a" "\x01" "\x00\x00\x10\x00" "\x02" "s" "\x02" "p"s + tags;
    ExpectCountRefused(AlterUserScramCredentialsRequest::Decode(c + deletion + "\x01"s + tags, 0).status(),
                       "alter deletions " + n);
    ExpectCountRefused(AlterUserScramCredentialsRequest::Decode("\x01"s + c + upsertion + tags, 0).status(),
                       "alter upsertions " + n);
    // Alter results (5 bytes each at least): one follows.
    const std::string alter_result = "\x02" "a" "\x00\x00"s + null_message + tags;
    ExpectCountRefused(
        AlterUserScramCredentialsResponse::Decode("\x00\x00\x00\x00"s + c + alter_result + tags, 0).status(),
        "alter results " + n);
  }
  // The bound is by element size: 2 upsertions need 2 * 9 bytes at least
  // and 13 follow, which would hold 13 one-byte elements.
  const std::string two_upsertions =
      "\x01" "\x03" "\x02" "a" "\x01" "\x00\x00\x10\x00" "\x02" "s" "\x02" "p" "\x00" "\x00"s;
  ExpectCountRefused(AlterUserScramCredentialsRequest::Decode(two_upsertions, 0).status(), "two upsertions");

  // Lengths running past the end: a salt claiming 100 bytes, auth bytes
  // claiming 2^31 - 1 (classic) or 10 (compact) with 3 left.
  EXPECT_EQ(AlterUserScramCredentialsRequest::Decode(
                "\x01" "\x02" "\x02" "a" "\x01" "\x00\x00\x10\x00" "\x65" "s" "\x02" "p" "\x00" "\x00"s, 0)
                .status()
                .code(),
            Errc::kCorruption);
  EXPECT_EQ(SaslAuthenticateRequest::Decode("\x7f\xff\xff\xff" "abc"s, 0).status().code(), Errc::kCorruption);
  EXPECT_EQ(SaslAuthenticateRequest::Decode("\x0b" "abc" "\x00"s, 2).status().code(), Errc::kCorruption);
}

}  // namespace
}  // namespace rivulet::log::kafka
