// Cluster administration: CreatePartitions (37, v0-3; v2+ flexible),
// DeleteRecords (21, v0-2; v2 flexible), DescribeLogDirs (35, v0-4; v2+
// flexible) and DescribeCluster (60, v0-1; every version flexible).
// Codecs only: requests decoded, responses encoded, each for the version
// given, flexible ones (compact encodings, tagged fields) included.
#pragma once

#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "log/kafka/protocol/api.h"
#include "log/kafka/protocol/errors.h"

namespace rivulet::log::kafka {

// Every Decode below returns kNotSupported for a version outside the range
// its API's line above gives, and kCorruption for malformed bytes; Encode
// trusts its version.

// ---- CreatePartitions (37) ----

struct CreatePartitionsRequest {
  struct Topic {
    std::string name;
    int32_t count = 0;  // the partition count asked for (not the increase)
    // Whether the client placed the new partitions itself: a non-null
    // assignments array, even an empty one. The broker ids are dropped.
    bool has_assignments = false;
  };
  std::vector<Topic> topics;
  int32_t timeout_ms = 0;
  bool validate_only = false;
  static Result<CreatePartitionsRequest> Decode(std::string_view body, int16_t version);
};

struct CreatePartitionsResponse {
  struct TopicResult {
    std::string name;
    ErrorCode error = ErrorCode::kNone;
    std::optional<std::string> message;
  };
  int32_t throttle_time_ms = 0;
  std::vector<TopicResult> results;
  std::string Encode(int16_t version) const;
};

// ---- DeleteRecords (21) ----

struct DeleteRecordsRequest {
  struct Partition {
    int32_t partition = 0;
    int64_t offset = 0;  // delete below this; -1: the high watermark
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  std::vector<Topic> topics;
  int32_t timeout_ms = 0;
  static Result<DeleteRecordsRequest> Decode(std::string_view body, int16_t version);
};

struct DeleteRecordsResponse {
  struct Partition {
    int32_t partition = 0;
    int64_t low_watermark = -1;
    ErrorCode error = ErrorCode::kNone;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;
  std::string Encode(int16_t version) const;
};

// ---- DescribeLogDirs (35) ----

struct DescribeLogDirsRequest {
  struct Topic {
    std::string name;
    std::vector<int32_t> partitions;
  };
  // nullopt (a null array): every topic; an empty array: none (the
  // directories alone).
  std::optional<std::vector<Topic>> topics;
  static Result<DescribeLogDirsRequest> Decode(std::string_view body, int16_t version);
};

struct DescribeLogDirsResponse {
  struct Partition {
    int32_t partition = 0;
    int64_t size_bytes = 0;  // of the partition's segments
    int64_t offset_lag = 0;
    bool is_future = false;  // a replica being moved here (never, yet)
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  struct LogDir {
    ErrorCode error = ErrorCode::kNone;
    std::string path;  // absolute
    std::vector<Topic> topics;
    // v4+: the volume holding the directory, -1 when unknown.
    int64_t total_bytes = -1;
    int64_t usable_bytes = -1;
  };
  int32_t throttle_time_ms = 0;
  ErrorCode error = ErrorCode::kNone;  // v3+
  std::vector<LogDir> results;
  std::string Encode(int16_t version) const;
};

// ---- DescribeCluster (60) ----

// What a DescribeCluster v1+ asks for (KIP-919): brokers or controllers.
inline constexpr int8_t kEndpointTypeBrokers = 1;
inline constexpr int8_t kEndpointTypeControllers = 2;

struct DescribeClusterRequest {
  bool include_cluster_authorized_operations = false;
  int8_t endpoint_type = kEndpointTypeBrokers;  // v1+; brokers before
  static Result<DescribeClusterRequest> Decode(std::string_view body, int16_t version);
};

struct DescribeClusterResponse {
  struct Broker {
    int32_t broker_id = 0;
    std::string host;
    int32_t port = 0;
    std::optional<std::string> rack;
  };
  int32_t throttle_time_ms = 0;
  ErrorCode error = ErrorCode::kNone;
  std::optional<std::string> error_message;
  int8_t endpoint_type = kEndpointTypeBrokers;  // v1+
  std::string cluster_id;
  int32_t controller_id = -1;
  std::vector<Broker> brokers;
  // A bit per ACL operation (acls.h's numbers); INT32_MIN is Kafka's "not
  // provided", the answer when the request did not ask for them.
  int32_t cluster_authorized_operations = INT32_MIN;
  std::string Encode(int16_t version) const;
};

}  // namespace rivulet::log::kafka
