// Kafka API keys, the versions this broker implements, and the request /
// response headers. Flexible versions (KIP-482) are served for every API;
// the codecs write each message once for both encodings (flexible.h).
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
  kSaslHandshake = 17,
  kApiVersions = 18,
  kCreateTopics = 19,
  kDeleteTopics = 20,
  kDeleteRecords = 21,
  kInitProducerId = 22,
  kAddPartitionsToTxn = 24,
  kAddOffsetsToTxn = 25,
  kEndTxn = 26,
  kTxnOffsetCommit = 28,
  kDescribeAcls = 29,
  kCreateAcls = 30,
  kDeleteAcls = 31,
  kDescribeConfigs = 32,
  kAlterConfigs = 33,
  kDescribeLogDirs = 35,
  kSaslAuthenticate = 36,
  kCreatePartitions = 37,
  kDeleteGroups = 42,
  kIncrementalAlterConfigs = 44,
  kOffsetDelete = 47,
  kDescribeUserScramCredentials = 50,
  kAlterUserScramCredentials = 51,
  kDescribeCluster = 60,
  kDescribeProducers = 61,
  kDescribeTransactions = 65,
  kListTransactions = 66,
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

// Whether (key, version) is a flexible version (KIP-482): compact
// encodings and tagged fields in both bodies, request header v2. False for
// an unknown key.
bool FlexibleVersion(int16_t key, int16_t version);

// Whether the response to (key, version) carries response header v1
// (correlation id, then a tagged-field section) rather than v0 (correlation
// id only): flexible versions, except ApiVersions, whose response header is
// always v0 so that a client can read it whatever version it asked for.
bool FlexibleResponseHeader(int16_t key, int16_t version);

// Parses the request header (v1: key, version, correlation id, client id;
// v2, for flexible versions, adds a tagged-field section, skipped). Leaves
// `r` at the body. A malformed section is an error, except for ApiVersions:
// then the body is skipped (see api.cc).
Result<RequestHeader> ParseRequestHeader(Reader& r);

}  // namespace rivulet::log::kafka
