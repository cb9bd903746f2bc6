// ApiVersions (log/kafka/protocol/api_versions.h): the v3 request (flexible,
// naming the client software) and the v3 response, plus the v0 layout an
// unsupported version is answered in.
#include "log/kafka/protocol/api_versions.h"

#include <gtest/gtest.h>

#include "tests/log/kafka/protocol/body.h"

namespace rivulet::log::kafka {
namespace {

TEST(ApiVersionsTest, DecodesV3) {
  const std::string body = Body(true).Str("librdkafka").Str("2.0.2").UnknownTag().bytes();
  auto req = ApiVersionsRequest::Decode(body, 3);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(req->client_software_name, "librdkafka");
  EXPECT_EQ(req->client_software_version, "2.0.2");
  ExpectTruncationsFail<ApiVersionsRequest>(body, 3);
  for (int16_t v = 0; v <= 2; ++v) EXPECT_TRUE(ApiVersionsRequest::Decode("", v).ok());
}

TEST(ApiVersionsTest, EncodesV3AndV0) {
  ApiVersionsResponse resp;
  resp.apis = {{ApiKey::kProduce, 3, 9, "Produce"}, {ApiKey::kApiVersions, 0, 3, "ApiVersions"}};
  Body b(true);
  b.I16(0).Count(2).I16(0).I16(3).I16(9).Tags().I16(18).I16(0).I16(3).Tags().I32(0).Tags();
  EXPECT_EQ(resp.Encode(3), b.bytes());

  resp.error = ErrorCode::kUnsupportedVersion;
  EXPECT_EQ(resp.Encode(0), Body(false).I16(35).Count(2).I16(0).I16(3).I16(9).I16(18).I16(0).I16(3).bytes());
}

TEST(ApiVersionsTest, EveryServedApiHasAFlexibleVersion) {
  for (const auto& a : SupportedApis()) {
    // Kafka defines no flexible version of SaslHandshake, nor Kafka 3.x of OffsetDelete.
    if (a.key == ApiKey::kSaslHandshake || a.key == ApiKey::kOffsetDelete) continue;
    EXPECT_TRUE(FlexibleVersion(static_cast<int16_t>(a.key), a.max)) << a.name << " v" << a.max;
  }
}

}  // namespace
}  // namespace rivulet::log::kafka
