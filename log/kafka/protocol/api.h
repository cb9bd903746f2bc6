// Kafka API keys, the versions this broker implements, and the request /
// response headers. Only non-flexible versions are advertised: flexible
// versions (tagged fields, compact encodings) are not implemented.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "log/wire.h"

namespace rivulet::log::kafka {

enum class ApiKey : int16_t {
  kProduce = 0,
  kFetch = 1,
  kListOffsets = 2,
  kMetadata = 3,
  kOffsetCommit = 8,
  kOffsetFetch = 9,
  kFindCoordinator = 10,
  kJoinGroup = 11,
  kHeartbeat = 12,
  kLeaveGroup = 13,
  kSyncGroup = 14,
  kDescribeGroups = 15,
  kListGroups = 16,
  kApiVersions = 18,
  kCreateTopics = 19,
  kDeleteTopics = 20,
};

struct ApiVersionRange {
  ApiKey key;
  int16_t min;
  int16_t max;
  const char* name;
};

// The APIs and versions served, in key order.
const std::vector<ApiVersionRange>& SupportedApis();
// The range for `key`, or nullptr when the API is not served.
const ApiVersionRange* FindApi(int16_t key);

struct RequestHeader {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string> client_id;
};

// Parses the request header (v1: key, version, correlation id, client id;
// v2 adds tagged fields, skipped). Leaves `r` at the body.
Result<RequestHeader> ParseRequestHeader(Reader& r);

}  // namespace rivulet::log::kafka
