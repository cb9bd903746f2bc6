// Produce (key 0), versions 3-9 (RecordBatch v2 only; v9 flexible).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "log/kafka/protocol/api.h"
#include "log/kafka/protocol/errors.h"

namespace rivulet::log::kafka {

struct ProduceRequest {
  struct Partition {
    int32_t index = 0;
    std::optional<std::string_view> records;  // view into the request body
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  std::optional<std::string> transactional_id;
  int16_t acks = -1;
  int32_t timeout_ms = 0;
  std::vector<Topic> topics;

  static Result<ProduceRequest> Decode(std::string_view body, int16_t version);
  // The acks field alone (the broker sends no response to acks=0), or -1
  // when the body is too short to hold it.
  static int16_t PeekAcks(std::string_view body, int16_t version);
};

struct ProduceResponse {
  struct Partition {
    int32_t index = 0;
    ErrorCode error = ErrorCode::kNone;
    int64_t base_offset = -1;
    int64_t log_append_time_ms = -1;
    int64_t log_start_offset = -1;
    std::optional<std::string> error_message;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  std::vector<Topic> topics;
  int32_t throttle_time_ms = 0;

  std::string Encode(int16_t version) const;
};

}  // namespace rivulet::log::kafka
