// Topic administration: CreateTopics (19, v0-7; v5+ flexible) and
// DeleteTopics (20, v0-5; v4+ flexible).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "log/kafka/protocol/api.h"
#include "log/kafka/protocol/configs.h"  // the config sources CreateTopics v5+ reports
#include "log/kafka/protocol/errors.h"

namespace rivulet::log::kafka {

struct CreateTopicsRequest {
  struct Topic {
    std::string name;
    int32_t num_partitions = -1;
    int16_t replication_factor = -1;
    bool has_assignments = false;
    std::map<std::string, std::string> configs;
  };
  std::vector<Topic> topics;
  int32_t timeout_ms = 0;
  bool validate_only = false;
  static Result<CreateTopicsRequest> Decode(std::string_view body, int16_t version);
};

struct TopicErrorsResponse {
  struct Config {
    std::string name;
    std::optional<std::string> value;
    int8_t source = kConfigSourceDefault;
  };
  struct Topic {
    std::string name;
    ErrorCode error = ErrorCode::kNone;
    std::optional<std::string> message;  // CreateTopics v1+, DeleteTopics v5+
    // CreateTopics v5+: the topic as created (Kafka's defaults on error).
    int32_t num_partitions = -1;
    int16_t replication_factor = -1;
    std::vector<Config> configs;
  };
  std::vector<Topic> topics;
  std::string EncodeCreate(int16_t version) const;
  std::string EncodeDelete(int16_t version) const;
};

struct DeleteTopicsRequest {
  std::vector<std::string> names;
  int32_t timeout_ms = 0;
  static Result<DeleteTopicsRequest> Decode(std::string_view body, int16_t version);
};

}  // namespace rivulet::log::kafka
