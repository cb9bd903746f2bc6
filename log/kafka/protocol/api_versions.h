// ApiVersions (key 18), versions 0-2.
#pragma once

#include <string>

#include "log/kafka/protocol/api.h"
#include "log/kafka/protocol/errors.h"

namespace rivulet::log::kafka {

struct ApiVersionsResponse {
  ErrorCode error = ErrorCode::kNone;
  std::vector<ApiVersionRange> apis;
  int32_t throttle_time_ms = 0;

  // v0 layout is used for an unsupported request version, as Kafka does,
  // so that clients read the error and the list and fall back.
  std::string Encode(int16_t version) const;
};

}  // namespace rivulet::log::kafka
