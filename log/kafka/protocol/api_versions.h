// ApiVersions (key 18), versions 0-3 (v3 flexible, but its response
// header stays v0: see FlexibleResponseHeader).
#pragma once

#include <string>

#include "log/kafka/protocol/api.h"
#include "log/kafka/protocol/errors.h"

namespace rivulet::log::kafka {

struct ApiVersionsRequest {
  std::string client_software_name;     // v3+
  std::string client_software_version;  // v3+
  static Result<ApiVersionsRequest> Decode(std::string_view body, int16_t version);
};

struct ApiVersionsResponse {
  ErrorCode error = ErrorCode::kNone;
  std::vector<ApiVersionRange> apis;
  int32_t throttle_time_ms = 0;

  // v0 layout is used for an unsupported request version, as Kafka does,
  // so that clients read the error and the list and fall back.
  std::string Encode(int16_t version) const;
};

}  // namespace rivulet::log::kafka
