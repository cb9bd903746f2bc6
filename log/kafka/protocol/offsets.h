// Committed offsets: OffsetCommit (8, v0-8; v8 flexible), OffsetFetch
// (9, v1-7; v6+ flexible) and OffsetDelete (47, v0; not flexible).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "log/kafka/protocol/api.h"
#include "log/kafka/protocol/errors.h"

namespace rivulet::log::kafka {

struct OffsetCommitRequest {
  struct Partition {
    int32_t partition = 0;
    int64_t offset = 0;
    std::string metadata;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  std::string group_id;
  int32_t generation = -1;  // v1+; v0 commits outside any generation
  std::string member_id;    // v1+; empty in v0
  std::vector<Topic> topics;
  static Result<OffsetCommitRequest> Decode(std::string_view body, int16_t version);
};

struct OffsetCommitResponse {
  struct Topic {
    std::string name;
    std::vector<std::pair<int32_t, ErrorCode>> partitions;
  };
  std::vector<Topic> topics;
  std::string Encode(int16_t version) const;
};

struct OffsetFetchRequest {
  std::string group_id;
  // nullopt = every committed partition of the group (v2+).
  std::optional<std::vector<std::pair<std::string, std::vector<int32_t>>>> topics;
  bool require_stable = false;  // v7+
  static Result<OffsetFetchRequest> Decode(std::string_view body, int16_t version);
};

struct OffsetFetchResponse {
  struct Partition {
    int32_t partition = 0;
    int64_t offset = -1;
    std::string metadata;
    ErrorCode error = ErrorCode::kNone;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  std::vector<Topic> topics;
  ErrorCode error = ErrorCode::kNone;
  std::string Encode(int16_t version) const;
};

struct OffsetDeleteRequest {
  struct Topic {
    std::string name;
    std::vector<int32_t> partitions;
  };
  std::string group_id;
  std::vector<Topic> topics;
  static Result<OffsetDeleteRequest> Decode(std::string_view body, int16_t version);
};

// `error` answers for the whole group (e.g. GROUP_ID_NOT_FOUND); each
// partition carries its own (e.g. GROUP_SUBSCRIBED_TO_TOPIC).
struct OffsetDeleteResponse {
  using Topic = OffsetCommitResponse::Topic;
  ErrorCode error = ErrorCode::kNone;
  std::vector<Topic> topics;
  std::string Encode(int16_t version) const;
};

}  // namespace rivulet::log::kafka
