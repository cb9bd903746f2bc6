// Config administration: DescribeConfigs (32, v0-4; v4 flexible),
// AlterConfigs (33, v0-2; v2 flexible) and IncrementalAlterConfigs (44,
// v0-1; v1 flexible). Broker side only: requests decode, responses encode.
// v1 of DescribeConfigs adds config sources and synonyms (KIP-226), v3 the
// config type and documentation (KIP-569); AlterConfigs v1 and
// DescribeConfigs v2 only change throttling.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "log/kafka/protocol/api.h"
#include "log/kafka/protocol/errors.h"

namespace rivulet::log::kafka {

// Where a config's value comes from: Kafka's DescribeConfigsResponse
// ConfigSource numbers (CreateTopics v5+ reports them too).
inline constexpr int8_t kConfigSourceUnknown = 0;
inline constexpr int8_t kConfigSourceTopic = 1;                 // DYNAMIC_TOPIC_CONFIG
inline constexpr int8_t kConfigSourceDynamicBroker = 2;         // DYNAMIC_BROKER_CONFIG
inline constexpr int8_t kConfigSourceDynamicDefaultBroker = 3;  // DYNAMIC_DEFAULT_BROKER_CONFIG
inline constexpr int8_t kConfigSourceStaticBroker = 4;          // STATIC_BROKER_CONFIG
inline constexpr int8_t kConfigSourceDefault = 5;               // DEFAULT_CONFIG
inline constexpr int8_t kConfigSourceBrokerLogger = 6;          // DYNAMIC_BROKER_LOGGER_CONFIG

// The resource types the config APIs name (Kafka's ConfigResource.Type;
// not the ACL resource types, where 4 is the cluster).
inline constexpr int8_t kConfigResourceUnknown = 0;
inline constexpr int8_t kConfigResourceTopic = 2;
inline constexpr int8_t kConfigResourceBroker = 4;
inline constexpr int8_t kConfigResourceBrokerLogger = 8;

// A config's data type, DescribeConfigs v3+ (Kafka's
// DescribeConfigsResponse.ConfigType).
inline constexpr int8_t kConfigTypeUnknown = 0;
inline constexpr int8_t kConfigTypeBoolean = 1;
inline constexpr int8_t kConfigTypeString = 2;
inline constexpr int8_t kConfigTypeInt = 3;
inline constexpr int8_t kConfigTypeShort = 4;
inline constexpr int8_t kConfigTypeLong = 5;
inline constexpr int8_t kConfigTypeDouble = 6;
inline constexpr int8_t kConfigTypeList = 7;
inline constexpr int8_t kConfigTypeClass = 8;
inline constexpr int8_t kConfigTypePassword = 9;

// IncrementalAlterConfigs operations (Kafka's AlterConfigOp.OpType).
inline constexpr int8_t kConfigOpSet = 0;
inline constexpr int8_t kConfigOpDelete = 1;
inline constexpr int8_t kConfigOpAppend = 2;
inline constexpr int8_t kConfigOpSubtract = 3;

// Every Decode below returns kNotSupported for a version outside the range
// in the file comment and kCorruption for malformed bytes; Encode trusts
// its version. Enum fields are passed through as sent: checking them is the
// handler's business.

struct DescribeConfigsRequest {
  struct Resource {
    int8_t type = kConfigResourceUnknown;
    std::string name;
    std::optional<std::vector<std::string>> keys;  // nullopt: every config
  };
  std::vector<Resource> resources;
  bool include_synonyms = false;       // v1+
  bool include_documentation = false;  // v3+
  static Result<DescribeConfigsRequest> Decode(std::string_view body, int16_t version);
};

struct DescribeConfigsResponse {
  struct Synonym {
    std::string name;
    std::optional<std::string> value;
    int8_t source = kConfigSourceDefault;
  };
  struct Entry {
    std::string name;
    std::optional<std::string> value;
    bool read_only = false;
    // v1+; v0 writes is_default, true exactly when this is
    // kConfigSourceDefault.
    int8_t source = kConfigSourceDefault;
    bool is_sensitive = false;
    std::vector<Synonym> synonyms;             // v1+
    int8_t type = kConfigTypeUnknown;          // v3+
    std::optional<std::string> documentation;  // v3+
  };
  struct Resource {
    ErrorCode error = ErrorCode::kNone;
    std::optional<std::string> message;
    int8_t type = kConfigResourceUnknown;
    std::string name;
    std::vector<Entry> entries;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Resource> results;
  std::string Encode(int16_t version) const;
};

// AlterConfigs replaces a resource's configs with the set given (a null
// value removes one); IncrementalAlterConfigs applies one operation per
// config. Both requests decode to this struct: `incremental` picks the API
// (44 rather than 33) and so its versions and the op byte, which
// AlterConfigs lacks (there every op reads as kConfigOpSet).
struct AlterConfigsRequest {
  struct Config {
    std::string name;
    int8_t op = kConfigOpSet;
    std::optional<std::string> value;
  };
  struct Resource {
    int8_t type = kConfigResourceUnknown;
    std::string name;
    std::vector<Config> configs;
  };
  std::vector<Resource> resources;
  bool validate_only = false;
  static Result<AlterConfigsRequest> Decode(std::string_view body, int16_t version, bool incremental);
};

// Both APIs' responses: one result per resource. `incremental` as above.
struct AlterConfigsResponse {
  struct Resource {
    ErrorCode error = ErrorCode::kNone;
    std::optional<std::string> message;
    int8_t type = kConfigResourceUnknown;
    std::string name;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Resource> responses;
  std::string Encode(int16_t version, bool incremental) const;
};

}  // namespace rivulet::log::kafka
