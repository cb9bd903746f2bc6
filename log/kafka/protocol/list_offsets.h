// ListOffsets (key 2), versions 1-6 (v6 flexible).
#pragma once

#include <string>
#include <vector>

#include "log/kafka/protocol/api.h"
#include "log/kafka/protocol/errors.h"

namespace rivulet::log::kafka {

inline constexpr int64_t kLatestTimestamp = -1;
inline constexpr int64_t kEarliestTimestamp = -2;

struct ListOffsetsRequest {
  struct Partition {
    int32_t partition = 0;
    int64_t timestamp = 0;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  int8_t isolation_level = 0;
  std::vector<Topic> topics;

  static Result<ListOffsetsRequest> Decode(std::string_view body, int16_t version);
};

struct ListOffsetsResponse {
  struct Partition {
    int32_t partition = 0;
    ErrorCode error = ErrorCode::kNone;
    int64_t timestamp = -1;
    int64_t offset = -1;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  std::string Encode(int16_t version) const;
};

}  // namespace rivulet::log::kafka
