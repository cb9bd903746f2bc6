// Group membership APIs: FindCoordinator (10, v0-4; v3+ flexible),
// JoinGroup (11, v0-7; v6+), SyncGroup (14, v0-5; v4+), Heartbeat (12,
// v0-4; v4), LeaveGroup (13, v0-4; v4), ListGroups (16, v0-4; v3+),
// DescribeGroups (15, v0-5; v5), DeleteGroups (42, v0-2; v2).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "log/kafka/protocol/api.h"
#include "log/kafka/protocol/errors.h"

namespace rivulet::log::kafka {

struct FindCoordinatorRequest {
  std::string key;      // v0-3
  int8_t key_type = 0;  // 0 group, 1 transaction
  std::vector<std::string> coordinator_keys;  // v4+, instead of key
  static Result<FindCoordinatorRequest> Decode(std::string_view body, int16_t version);
};

struct FindCoordinatorResponse {
  ErrorCode error = ErrorCode::kNone;
  std::optional<std::string> error_message;
  int32_t node_id = 0;
  std::string host;
  int32_t port = 0;
  // v4+: the keys asked for; each gets this same answer.
  std::vector<std::string> keys;
  std::string Encode(int16_t version) const;
};

struct JoinGroupRequest {
  std::string group_id;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = -1;  // v0: the session timeout
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string protocol_type;
  std::vector<std::pair<std::string, std::string>> protocols;
  static Result<JoinGroupRequest> Decode(std::string_view body, int16_t version);
};

struct JoinGroupResponse {
  ErrorCode error = ErrorCode::kNone;
  int32_t generation = -1;
  std::string protocol_type;  // v7+
  std::string protocol;
  std::string leader;
  std::string member_id;
  std::vector<std::pair<std::string, std::string>> members;  // (id, metadata)
  std::string Encode(int16_t version) const;
};

struct SyncGroupRequest {
  std::string group_id;
  int32_t generation = -1;
  std::string member_id;
  std::vector<std::pair<std::string, std::string>> assignments;
  static Result<SyncGroupRequest> Decode(std::string_view body, int16_t version);
};

struct SyncGroupResponse {
  ErrorCode error = ErrorCode::kNone;
  std::string protocol_type, protocol;  // v5+
  std::string assignment;
  std::string Encode(int16_t version) const;
};

struct HeartbeatRequest {
  std::string group_id;
  int32_t generation = -1;
  std::string member_id;
  static Result<HeartbeatRequest> Decode(std::string_view body, int16_t version);
};

// The Heartbeat response: throttle time (v1+) and an error.
std::string EncodeHeartbeatResponse(ErrorCode error, int16_t version);

struct LeaveGroupRequest {
  std::string group_id;
  std::vector<std::string> member_ids;  // one before v3
  static Result<LeaveGroupRequest> Decode(std::string_view body, int16_t version);
};

struct LeaveGroupResponse {
  ErrorCode error = ErrorCode::kNone;
  std::vector<std::pair<std::string, ErrorCode>> members;  // v3+
  std::string Encode(int16_t version) const;
};

struct ListGroupsRequest {
  std::vector<std::string> states_filter;  // v4+; empty: every state
  static Result<ListGroupsRequest> Decode(std::string_view body, int16_t version);
};

struct ListGroupsResponse {
  struct Group {
    std::string group_id, protocol_type, state;  // state: v4+
  };
  ErrorCode error = ErrorCode::kNone;
  std::vector<Group> groups;
  std::string Encode(int16_t version) const;
};

struct DescribeGroupsRequest {
  std::vector<std::string> groups;
  static Result<DescribeGroupsRequest> Decode(std::string_view body, int16_t version);
};

struct DescribeGroupsResponse {
  struct Member {
    std::string member_id, client_id, client_host, metadata, assignment;
  };
  struct Group {
    ErrorCode error = ErrorCode::kNone;
    std::string group_id, state, protocol_type, protocol;
    std::vector<Member> members;
  };
  std::vector<Group> groups;
  std::string Encode(int16_t version) const;
};

struct DeleteGroupsRequest {
  std::vector<std::string> groups;
  static Result<DeleteGroupsRequest> Decode(std::string_view body, int16_t version);
};

struct DeleteGroupsResponse {
  std::vector<std::pair<std::string, ErrorCode>> results;  // (group id, error)
  std::string Encode(int16_t version) const;
};

}  // namespace rivulet::log::kafka
