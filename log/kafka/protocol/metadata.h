// Metadata (key 3), versions 0-12 (v9+ flexible).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "log/kafka/protocol/api.h"
#include "log/kafka/protocol/errors.h"

namespace rivulet::log::kafka {

struct MetadataRequest {
  // nullopt = all topics (v1+: null array; v0: empty array).
  std::optional<std::vector<std::string>> topics;
  bool allow_auto_topic_creation = true;  // v4+
  // v10+: topics asked for by id alone (null name); answered
  // UNKNOWN_TOPIC_ID, as this broker names topics only.
  int32_t topics_by_id = 0;

  static Result<MetadataRequest> Decode(std::string_view body, int16_t version);
};

struct MetadataResponse {
  struct Broker {
    int32_t node_id;
    std::string host;
    int32_t port;
  };
  struct Partition {
    ErrorCode error = ErrorCode::kNone;
    int32_t index = 0;
    int32_t leader = 0;
  };
  struct Topic {
    ErrorCode error = ErrorCode::kNone;
    std::string name;
    std::vector<Partition> partitions;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Broker> brokers;
  std::string cluster_id;
  int32_t controller_id = 0;
  std::vector<Topic> topics;

  std::string Encode(int16_t version) const;
};

}  // namespace rivulet::log::kafka
