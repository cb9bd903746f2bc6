// Fetch (key 1), versions 4-12 (v12 flexible). Sessionless: every response carries
// session id 0, so clients send full requests.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "log/kafka/protocol/api.h"
#include "log/kafka/protocol/errors.h"

namespace rivulet::log::kafka {

struct FetchRequest {
  struct Partition {
    int32_t partition = 0;
    int64_t fetch_offset = 0;
    int32_t partition_max_bytes = 0;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  int32_t max_wait_ms = 0;
  int32_t min_bytes = 0;
  int32_t max_bytes = 0x7fffffff;
  int8_t isolation_level = 0;
  int32_t session_id = 0;
  int32_t session_epoch = -1;
  std::vector<Topic> topics;

  static Result<FetchRequest> Decode(std::string_view body, int16_t version);
};

struct FetchResponse {
  struct Partition {
    int32_t partition = 0;
    ErrorCode error = ErrorCode::kNone;
    int64_t high_watermark = -1;
    int64_t last_stable_offset = -1;
    int64_t log_start_offset = -1;
    // (producer id, first offset) of the aborted transactions in `records`.
    std::vector<std::pair<int64_t, int64_t>> aborted_transactions;
    std::string records;
    // Records sent in place (zero copy) instead of `records` when
    // records_keep is set: a view of a segment's mapping, which it holds.
    std::span<const char> records_view;
    std::shared_ptr<const void> records_keep;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  int32_t throttle_time_ms = 0;
  ErrorCode error = ErrorCode::kNone;
  int32_t session_id = 0;
  std::vector<Topic> topics;

  // The body; with spliced records, only the bytes around them.
  std::string Encode(int16_t version) const { return EncodeSpliced(version, nullptr); }
  // The body, and in *splices where the records_view bytes go.
  std::string EncodeSpliced(int16_t version, std::vector<Splice>* splices) const;
};

}  // namespace rivulet::log::kafka
