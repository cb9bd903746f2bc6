// The config codecs (log/kafka/protocol/configs.h) at every version:
// DescribeConfigs v0-4, AlterConfigs v0-2 and IncrementalAlterConfigs
// v0-1. Requests are spelled out field by field (body.h), never with the
// codecs under test, and decode to the values written, null key lists
// apart from empty ones; responses encode to the same hand-built bytes,
// v0's is_default byte, v1's sources and synonyms and v3's type and
// documentation each where Kafka's schemas put them; truncations, absurd
// counts and unknown versions are errors; unknown tagged fields are skipped.
#include "log/kafka/protocol/configs.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/log/kafka/protocol/body.h"

namespace rivulet::log::kafka {
namespace {

using Strings = std::vector<std::string>;

// ExpectTruncationsFail wants Decode(body, version).
struct AlterDecoder {
  static Result<AlterConfigsRequest> Decode(std::string_view body, int16_t version) {
    return AlterConfigsRequest::Decode(body, version, /*incremental=*/false);
  }
};
struct IncrementalDecoder {
  static Result<AlterConfigsRequest> Decode(std::string_view body, int16_t version) {
    return AlterConfigsRequest::Decode(body, version, /*incremental=*/true);
  }
};

// ---- DescribeConfigs (32) ----

// Three resources: a topic naming two keys, a broker asking for every
// config (a null list) and a topic with an empty list; then the flags the
// version carries. `tag` puts an unknown tagged field in every struct.
std::string DescribeBody(int16_t v, bool synonyms, bool documentation, bool tag = false) {
  Body b(v >= 4);
  auto end = [&] { tag ? b.UnknownTag() : b.Tags(); };
  b.Count(3);
  b.I8(kConfigResourceTopic).Str("orders").Count(2).Str("retention.ms").Str("cleanup.policy");
  end();
  b.I8(kConfigResourceBroker).Str("1").NullCount();
  end();
  b.I8(kConfigResourceTopic).Str("empty").Count(0);
  end();
  if (v >= 1) b.I8(synonyms ? 1 : 0);
  if (v >= 3) b.I8(documentation ? 1 : 0);
  end();
  return b.bytes();
}

TEST(DescribeConfigsTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= 4; ++v) {
    // Both orders of the two flags, so that each is read from its own byte.
    for (bool synonyms : {false, true}) {
      const bool documentation = !synonyms;
      const std::string body = DescribeBody(v, synonyms, documentation);
      auto req = DescribeConfigsRequest::Decode(body, v);
      ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
      ASSERT_EQ(req->resources.size(), 3u);
      EXPECT_EQ(req->resources[0].type, kConfigResourceTopic);
      EXPECT_EQ(req->resources[0].name, "orders");
      EXPECT_EQ(req->resources[0].keys, (Strings{"retention.ms", "cleanup.policy"}));
      EXPECT_EQ(req->resources[1].type, kConfigResourceBroker);
      EXPECT_EQ(req->resources[1].name, "1");
      EXPECT_EQ(req->resources[1].keys, std::nullopt) << "v" << v;
      EXPECT_EQ(req->resources[2].name, "empty");
      EXPECT_EQ(req->resources[2].keys, Strings{}) << "v" << v;  // empty, not null
      EXPECT_EQ(req->include_synonyms, v >= 1 && synonyms) << "v" << v;
      EXPECT_EQ(req->include_documentation, v >= 3 && documentation) << "v" << v;
      ExpectTruncationsFail<DescribeConfigsRequest>(body, v);
    }
  }
}

TEST(DescribeConfigsTest, ClassicNullKeysAreMinusOne) {
  // v0, spelled out in bytes: one broker resource, keys null (int32 -1).
  using namespace std::string_literals;
  auto req = DescribeConfigsRequest::Decode("\x00\x00\x00\x01" "\x04" "\x00\x01" "7" "\xff\xff\xff\xff"s, 0);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  ASSERT_EQ(req->resources.size(), 1u);
  EXPECT_EQ(req->resources[0].name, "7");
  EXPECT_FALSE(req->resources[0].keys.has_value());
  // v4: compact null (0), then both flags and the tag sections.
  auto flex = DescribeConfigsRequest::Decode("\x02" "\x04" "\x02" "7" "\x00" "\x00" "\x01" "\x01" "\x00"s, 4);
  ASSERT_TRUE(flex.ok()) << flex.status().ToString();
  ASSERT_EQ(flex->resources.size(), 1u);
  EXPECT_FALSE(flex->resources[0].keys.has_value());
  EXPECT_TRUE(flex->include_synonyms);
  EXPECT_TRUE(flex->include_documentation);
}

TEST(DescribeConfigsTest, SkipsUnknownTaggedFields) {
  const std::string body = DescribeBody(4, true, true, /*tag=*/true);
  auto req = DescribeConfigsRequest::Decode(body, 4);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  ASSERT_EQ(req->resources.size(), 3u);
  EXPECT_EQ(req->resources[0].keys, (Strings{"retention.ms", "cleanup.policy"}));
  EXPECT_EQ(req->resources[2].name, "empty");
  EXPECT_TRUE(req->include_synonyms);
  EXPECT_TRUE(req->include_documentation);
}

DescribeConfigsResponse DescribeResponse() {
  DescribeConfigsResponse resp;
  resp.throttle_time_ms = 7;
  DescribeConfigsResponse::Resource orders;
  orders.type = kConfigResourceTopic;
  orders.name = "orders";
  orders.entries = {
      {.name = "retention.ms",
       .value = "1000",
       .read_only = false,
       .source = kConfigSourceTopic,
       .is_sensitive = false,
       .synonyms = {{"retention.ms", "1000", kConfigSourceTopic},
                    {"log.retention.ms", std::nullopt, kConfigSourceStaticBroker}},
       .type = kConfigTypeLong,
       .documentation = "How long to keep"},
      {.name = "segment.bytes",
       .value = "1073741824",
       .read_only = true,
       .source = kConfigSourceDefault,
       .is_sensitive = false,
       .synonyms = {},
       .type = kConfigTypeInt,
       .documentation = std::nullopt},
      {.name = "ssl.key.password",
       .value = std::nullopt,
       .read_only = false,
       .source = kConfigSourceDynamicBroker,
       .is_sensitive = true,
       .synonyms = {},
       .type = kConfigTypePassword,
       .documentation = ""},
  };
  DescribeConfigsResponse::Resource missing;
  missing.error = ErrorCode::kUnknownTopicOrPartition;
  missing.message = "no such topic";
  missing.type = kConfigResourceTopic;
  missing.name = "missing";
  resp.results = {orders, missing};
  return resp;
}

// DescribeResponse() at `v`, field by field from Kafka's schema.
std::string DescribeResponseBody(int16_t v) {
  Body b(v >= 4);
  b.I32(7).Count(2);
  b.I16(0).NStr(std::nullopt).I8(kConfigResourceTopic).Str("orders").Count(3);
  // retention.ms
  b.Str("retention.ms").NStr("1000").I8(0);
  v == 0 ? b.I8(0) : b.I8(kConfigSourceTopic);  // is_default : config_source
  b.I8(0);  // is_sensitive
  if (v >= 1) {
    b.Count(2);
    b.Str("retention.ms").NStr("1000").I8(kConfigSourceTopic).Tags();
    b.Str("log.retention.ms").NStr(std::nullopt).I8(kConfigSourceStaticBroker).Tags();
  }
  if (v >= 3) b.I8(kConfigTypeLong).NStr("How long to keep");
  b.Tags();
  // segment.bytes: read-only, the default (is_default true at v0).
  b.Str("segment.bytes").NStr("1073741824").I8(1);
  v == 0 ? b.I8(1) : b.I8(kConfigSourceDefault);
  b.I8(0);
  if (v >= 1) b.Count(0);
  if (v >= 3) b.I8(kConfigTypeInt).NStr(std::nullopt);
  b.Tags();
  // ssl.key.password: sensitive, no value; documentation empty, not null.
  b.Str("ssl.key.password").NStr(std::nullopt).I8(0);
  v == 0 ? b.I8(0) : b.I8(kConfigSourceDynamicBroker);
  b.I8(1);
  if (v >= 1) b.Count(0);
  if (v >= 3) b.I8(kConfigTypePassword).NStr("");
  b.Tags();
  b.Tags();  // orders
  b.I16(3).NStr("no such topic").I8(kConfigResourceTopic).Str("missing").Count(0).Tags();
  b.Tags();
  return b.bytes();
}

TEST(DescribeConfigsTest, EncodesEveryVersion) {
  for (int16_t v = 0; v <= 4; ++v) {
    EXPECT_EQ(DescribeResponse().Encode(v), DescribeResponseBody(v)) << "v" << v;
  }
  // v1 and v2 share a layout, as do v3 and v4 but for the encoding.
  EXPECT_EQ(DescribeResponse().Encode(1), DescribeResponse().Encode(2));
  EXPECT_NE(DescribeResponse().Encode(3), DescribeResponse().Encode(4));
}

TEST(DescribeConfigsTest, V0IsDefaultFollowsTheSource) {
  // One entry, its is_default byte at v0 for each source: only
  // DEFAULT_CONFIG is a default.
  for (int8_t source = kConfigSourceUnknown; source <= kConfigSourceBrokerLogger; ++source) {
    DescribeConfigsResponse::Entry entry;
    entry.name = "k";
    entry.value = "v";
    entry.source = source;
    DescribeConfigsResponse resp;
    resp.results.push_back(
        {.error = ErrorCode::kNone, .message = std::nullopt, .type = kConfigResourceBroker, .name = "0", .entries = {entry}});
    Body b(false);
    b.I32(0).Count(1).I16(0).NStr(std::nullopt).I8(kConfigResourceBroker).Str("0").Count(1);
    b.Str("k").NStr("v").I8(0).I8(source == kConfigSourceDefault ? 1 : 0).I8(0);
    EXPECT_EQ(resp.Encode(0), b.bytes()) << "source " << int{source};
  }
}

TEST(DescribeConfigsTest, EmptyResponses) {
  EXPECT_EQ(DescribeConfigsResponse{}.Encode(0), Body(false).I32(0).Count(0).bytes());
  EXPECT_EQ(DescribeConfigsResponse{}.Encode(4), Body(true).I32(0).Count(0).Tags().bytes());
}

// ---- AlterConfigs (33) ----

// Two resources: a topic setting one config and removing another (null
// value), a broker with no configs; validate_only set.
std::string AlterBody(int16_t v, bool tag = false) {
  Body b(v >= 2);
  auto end = [&] { tag ? b.UnknownTag() : b.Tags(); };
  b.Count(2);
  b.I8(kConfigResourceTopic).Str("orders").Count(2);
  b.Str("retention.ms").NStr("1000");
  end();
  b.Str("cleanup.policy").NStr(std::nullopt);
  end();
  end();
  b.I8(kConfigResourceBroker).Str("1").Count(0);
  end();
  b.I8(1);
  end();
  return b.bytes();
}

void ExpectAlterRequest(const AlterConfigsRequest& req, int16_t v) {
  ASSERT_EQ(req.resources.size(), 2u) << "v" << v;
  const auto& orders = req.resources[0];
  EXPECT_EQ(orders.type, kConfigResourceTopic);
  EXPECT_EQ(orders.name, "orders");
  ASSERT_EQ(orders.configs.size(), 2u);
  EXPECT_EQ(orders.configs[0].name, "retention.ms");
  EXPECT_EQ(orders.configs[0].op, kConfigOpSet);
  EXPECT_EQ(orders.configs[0].value, std::optional<std::string>("1000"));
  EXPECT_EQ(orders.configs[1].name, "cleanup.policy");
  EXPECT_EQ(orders.configs[1].op, kConfigOpSet);
  EXPECT_EQ(orders.configs[1].value, std::nullopt);
  EXPECT_EQ(req.resources[1].type, kConfigResourceBroker);
  EXPECT_EQ(req.resources[1].name, "1");
  EXPECT_TRUE(req.resources[1].configs.empty());
  EXPECT_TRUE(req.validate_only);
}

TEST(AlterConfigsTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= 2; ++v) {
    const std::string body = AlterBody(v);
    auto req = AlterConfigsRequest::Decode(body, v, /*incremental=*/false);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    ExpectAlterRequest(*req, v);
    ExpectTruncationsFail<AlterDecoder>(body, v);
  }
  // validate_only read from its own byte.
  std::string off = AlterBody(1);
  off.back() = '\0';
  auto req = AlterConfigsRequest::Decode(off, 1, false);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_FALSE(req->validate_only);
}

TEST(AlterConfigsTest, SkipsUnknownTaggedFields) {
  auto req = AlterConfigsRequest::Decode(AlterBody(2, /*tag=*/true), 2, false);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  ExpectAlterRequest(*req, 2);
}

AlterConfigsResponse AlterResponse() {
  AlterConfigsResponse resp;
  resp.throttle_time_ms = 3;
  resp.responses = {
      {.error = ErrorCode::kNone, .message = std::nullopt, .type = kConfigResourceTopic, .name = "orders"},
      {.error = ErrorCode::kInvalidConfig, .message = "bad value", .type = kConfigResourceBroker, .name = "1"},
  };
  return resp;
}

std::string AlterResponseBody(bool flexible) {
  Body b(flexible);
  b.I32(3).Count(2);
  b.I16(0).NStr(std::nullopt).I8(kConfigResourceTopic).Str("orders").Tags();
  b.I16(40).NStr("bad value").I8(kConfigResourceBroker).Str("1").Tags();
  return b.Tags().bytes();
}

TEST(AlterConfigsTest, EncodesEveryVersion) {
  for (int16_t v = 0; v <= 2; ++v) {
    EXPECT_EQ(AlterResponse().Encode(v, /*incremental=*/false), AlterResponseBody(v >= 2)) << "v" << v;
  }
}

// ---- IncrementalAlterConfigs (44) ----

// One topic, one config per operation; validate_only clear.
std::string IncrementalBody(int16_t v, bool tag = false) {
  Body b(v >= 1);
  auto end = [&] { tag ? b.UnknownTag() : b.Tags(); };
  b.Count(1).I8(kConfigResourceTopic).Str("orders").Count(4);
  b.Str("retention.ms").I8(kConfigOpSet).NStr("1000");
  end();
  b.Str("segment.ms").I8(kConfigOpDelete).NStr(std::nullopt);
  end();
  b.Str("cleanup.policy").I8(kConfigOpAppend).NStr("compact");
  end();
  b.Str("leader.replication.throttled.replicas").I8(kConfigOpSubtract).NStr("0:1");
  end();
  end();
  b.I8(0);
  end();
  return b.bytes();
}

void ExpectIncrementalRequest(const AlterConfigsRequest& req, int16_t v) {
  ASSERT_EQ(req.resources.size(), 1u) << "v" << v;
  EXPECT_EQ(req.resources[0].type, kConfigResourceTopic);
  EXPECT_EQ(req.resources[0].name, "orders");
  const auto& c = req.resources[0].configs;
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].name, "retention.ms");
  EXPECT_EQ(c[0].op, kConfigOpSet);
  EXPECT_EQ(c[0].value, std::optional<std::string>("1000"));
  EXPECT_EQ(c[1].name, "segment.ms");
  EXPECT_EQ(c[1].op, kConfigOpDelete);
  EXPECT_EQ(c[1].value, std::nullopt);
  EXPECT_EQ(c[2].name, "cleanup.policy");
  EXPECT_EQ(c[2].op, kConfigOpAppend);
  EXPECT_EQ(c[2].value, std::optional<std::string>("compact"));
  EXPECT_EQ(c[3].name, "leader.replication.throttled.replicas");
  EXPECT_EQ(c[3].op, kConfigOpSubtract);
  EXPECT_EQ(c[3].value, std::optional<std::string>("0:1"));
  EXPECT_FALSE(req.validate_only);
}

TEST(IncrementalAlterConfigsTest, DecodesEveryVersion) {
  for (int16_t v = 0; v <= 1; ++v) {
    const std::string body = IncrementalBody(v);
    auto req = AlterConfigsRequest::Decode(body, v, /*incremental=*/true);
    ASSERT_TRUE(req.ok()) << "v" << v << ": " << req.status().ToString();
    ExpectIncrementalRequest(*req, v);
    ExpectTruncationsFail<IncrementalDecoder>(body, v);
  }
}

TEST(IncrementalAlterConfigsTest, SkipsUnknownTaggedFields) {
  auto req = AlterConfigsRequest::Decode(IncrementalBody(1, /*tag=*/true), 1, true);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  ExpectIncrementalRequest(*req, 1);
}

TEST(IncrementalAlterConfigsTest, TheOpByteIsIncrementalOnly) {
  // v1 is flexible for IncrementalAlterConfigs, classic for AlterConfigs:
  // the same version, two layouts.
  auto classic = AlterConfigsRequest::Decode(AlterBody(1), 1, /*incremental=*/false);
  ASSERT_TRUE(classic.ok()) << classic.status().ToString();
  ExpectAlterRequest(*classic, 1);
  // An AlterConfigs v0 body read as IncrementalAlterConfigs v0 takes each
  // value's length for an op and runs out.
  EXPECT_FALSE(AlterConfigsRequest::Decode(AlterBody(0), 0, /*incremental=*/true).ok());
}

TEST(IncrementalAlterConfigsTest, EncodesEveryVersion) {
  EXPECT_EQ(AlterResponse().Encode(0, /*incremental=*/true), AlterResponseBody(false));
  EXPECT_EQ(AlterResponse().Encode(1, /*incremental=*/true), AlterResponseBody(true));
  // Version 1 picks the encoding by API.
  EXPECT_EQ(AlterResponse().Encode(1, /*incremental=*/false), AlterResponseBody(false));
}

// ---- All three: bad versions and counts ----

TEST(ConfigCodecTest, UnknownVersionsAreNotSupported) {
  const std::string any(32, '\0');
  for (int16_t v : {-1, 5, INT16_MAX}) {
    EXPECT_EQ(DescribeConfigsRequest::Decode(any, v).status().code(), Errc::kNotSupported) << v;
  }
  for (int16_t v : {-1, 3}) {
    EXPECT_EQ(AlterConfigsRequest::Decode(any, v, false).status().code(), Errc::kNotSupported) << v;
  }
  for (int16_t v : {-1, 2}) {
    EXPECT_EQ(AlterConfigsRequest::Decode(any, v, true).status().code(), Errc::kNotSupported) << v;
  }
  EXPECT_TRUE(AlterConfigsRequest::Decode(any, 2, false).ok());
  auto st = AlterConfigsRequest::Decode(any, 2, true).status();
  EXPECT_NE(st.ToString().find("IncrementalAlterConfigs v2"), std::string::npos) << st.ToString();
}

TEST(ConfigCodecTest, AbsurdCountsAreCorrupt) {
  for (uint32_t count : {5u, 1u << 20, static_cast<uint32_t>(INT32_MAX)}) {
    for (int16_t v : {0, 4}) {
      const bool flex = v >= 4;
      // Resources, then a resource's keys.
      Body r(flex);
      r.Count(count).I8(kConfigResourceTopic).Str("t").NullCount().Tags();
      auto st = DescribeConfigsRequest::Decode(r.bytes(), v).status();
      EXPECT_EQ(st.code(), Errc::kCorruption) << "v" << v << " count " << count;
      EXPECT_NE(st.ToString().find("DescribeConfigs request"), std::string::npos) << st.ToString();
      Body k(flex);
      k.Count(1).I8(kConfigResourceTopic).Str("t").Count(count).Str("a").Tags();
      EXPECT_EQ(DescribeConfigsRequest::Decode(k.bytes(), v).status().code(), Errc::kCorruption)
          << "keys v" << v << " count " << count;
    }
    for (bool incremental : {false, true}) {
      const int16_t v = incremental ? 1 : 2;  // flexible
      Body c(true);
      c.Count(1).I8(kConfigResourceTopic).Str("t").Count(count).Str("a");
      if (incremental) c.I8(kConfigOpSet);
      c.NStr("b").Tags().Tags().I8(0).Tags();
      EXPECT_EQ(AlterConfigsRequest::Decode(c.bytes(), v, incremental).status().code(), Errc::kCorruption)
          << "configs incremental=" << incremental << " count " << count;
      EXPECT_EQ(AlterConfigsRequest::Decode(Body(false).Count(count).I8(2).Str("t").Count(0).I8(0).bytes(), 0,
                                            incremental)
                    .status()
                    .code(),
                Errc::kCorruption)
          << "resources incremental=" << incremental << " count " << count;
    }
  }
}

}  // namespace
}  // namespace rivulet::log::kafka
