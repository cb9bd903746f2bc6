// Group membership API codecs, both encodings through FieldReader /
// FieldWriter (flexible.h); the version decides which.
//
// Decoded and ignored (no static membership, no authorised operations):
// group_instance_id (JoinGroup v5+, SyncGroup v3+, Heartbeat v3+,
// LeaveGroup v3+), SyncGroup v5's protocol_type / protocol_name (the
// coordinator checked them at join), include_authorized_operations.
// Written with Kafka's defaults: throttle time 0, group_instance_id null,
// authorized_operations INT32_MIN ("not provided"). JoinGroup v7 and
// SyncGroup v5 answer the group's protocol type and name (null when not
// known, e.g. on an error). ListGroups v4 filters by state.
#include "log/kafka/protocol/groups.h"

#include "log/kafka/protocol/flexible.h"

namespace rivulet::log::kafka {
namespace {

// Null for an empty string: the nullable protocol fields of JoinGroup v7
// and SyncGroup v5.
std::optional<std::string> NullIfEmpty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

}  // namespace

Result<FindCoordinatorRequest> FindCoordinatorRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kFindCoordinator, version));
  FindCoordinatorRequest req;
  if (version <= 3) req.key = f.String();
  if (version >= 1) req.key_type = r.Int8();
  if (version >= 4) {
    const int32_t n = f.ArrayCount(f.MinLength());
    for (int32_t i = 0; i < n && r.ok(); ++i) req.coordinator_keys.push_back(f.String());
  }
  f.EndStruct();
  if (!r.ok()) return BadRequest("FindCoordinator", r);
  return req;
}

std::string FindCoordinatorResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kFindCoordinator, version));
  if (version >= 1) w.Int32(0);  // throttle_time_ms
  if (version >= 4) {
    f.ArrayCount(keys.size());
    for (const auto& key : keys) {
      f.String(key);
      w.Int32(node_id);
      f.String(host);
      w.Int32(port);
      w.Int16(Code(error));
      f.NullableString(error_message);
      f.EndStruct();
    }
  } else {
    w.Int16(Code(error));
    if (version >= 1) f.NullableString(error_message);
    w.Int32(node_id);
    f.String(host);
    w.Int32(port);
  }
  f.EndStruct();
  return w.Take();
}

Result<JoinGroupRequest> JoinGroupRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kJoinGroup, version));
  JoinGroupRequest req;
  req.group_id = f.String();
  req.session_timeout_ms = r.Int32();
  req.rebalance_timeout_ms = version >= 1 ? r.Int32() : req.session_timeout_ms;
  req.member_id = f.String();
  if (version >= 5) req.group_instance_id = f.NullableString();
  req.protocol_type = f.String();
  const int32_t n = f.ArrayCount(f.MinLength() + f.MinCount() + f.MinStructEnd());
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    std::string name = f.String();
    std::string meta(f.Bytes());
    f.EndStruct();
    req.protocols.emplace_back(std::move(name), std::move(meta));
  }
  f.EndStruct();
  if (!r.ok()) return BadRequest("JoinGroup", r);
  return req;
}

std::string JoinGroupResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kJoinGroup, version));
  if (version >= 2) w.Int32(0);  // throttle_time_ms
  w.Int16(Code(error));
  w.Int32(generation);
  if (version >= 7) {
    f.NullableString(NullIfEmpty(protocol_type));
    f.NullableString(NullIfEmpty(protocol));
  } else {
    f.String(protocol);
  }
  f.String(leader);
  f.String(member_id);
  f.ArrayCount(members.size());
  for (const auto& [id, meta] : members) {
    f.String(id);
    if (version >= 5) f.NullableString(std::nullopt);  // group_instance_id
    f.Bytes(meta);
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

Result<SyncGroupRequest> SyncGroupRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kSyncGroup, version));
  SyncGroupRequest req;
  req.group_id = f.String();
  req.generation = r.Int32();
  req.member_id = f.String();
  if (version >= 3) (void)f.NullableString();  // group_instance_id
  if (version >= 5) {
    (void)f.NullableString();  // protocol_type
    (void)f.NullableString();  // protocol_name
  }
  const int32_t n = f.ArrayCount(f.MinLength() + f.MinCount() + f.MinStructEnd());
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    std::string id = f.String();
    std::string a(f.Bytes());
    f.EndStruct();
    req.assignments.emplace_back(std::move(id), std::move(a));
  }
  f.EndStruct();
  if (!r.ok()) return BadRequest("SyncGroup", r);
  return req;
}

std::string SyncGroupResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kSyncGroup, version));
  if (version >= 1) w.Int32(0);  // throttle_time_ms
  w.Int16(Code(error));
  if (version >= 5) {
    f.NullableString(NullIfEmpty(protocol_type));
    f.NullableString(NullIfEmpty(protocol));
  }
  f.Bytes(assignment);
  f.EndStruct();
  return w.Take();
}

Result<HeartbeatRequest> HeartbeatRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kHeartbeat, version));
  HeartbeatRequest req;
  req.group_id = f.String();
  req.generation = r.Int32();
  req.member_id = f.String();
  if (version >= 3) (void)f.NullableString();  // group_instance_id
  f.EndStruct();
  if (!r.ok()) return BadRequest("Heartbeat", r);
  return req;
}

std::string EncodeHeartbeatResponse(ErrorCode error, int16_t version) {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kHeartbeat, version));
  if (version >= 1) w.Int32(0);  // throttle_time_ms
  w.Int16(Code(error));
  f.EndStruct();
  return w.Take();
}

Result<LeaveGroupRequest> LeaveGroupRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kLeaveGroup, version));
  LeaveGroupRequest req;
  req.group_id = f.String();
  if (version < 3) {
    req.member_ids.push_back(f.String());
  } else {
    const int32_t n = f.ArrayCount(2 * f.MinLength() + f.MinStructEnd());
    for (int32_t i = 0; i < n && r.ok(); ++i) {
      req.member_ids.push_back(f.String());
      (void)f.NullableString();  // group_instance_id
      f.EndStruct();
    }
  }
  f.EndStruct();
  if (!r.ok()) return BadRequest("LeaveGroup", r);
  return req;
}

std::string LeaveGroupResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kLeaveGroup, version));
  if (version >= 1) w.Int32(0);  // throttle_time_ms
  w.Int16(Code(error));
  if (version >= 3) {
    f.ArrayCount(members.size());
    for (const auto& [id, e] : members) {
      f.String(id);
      f.NullableString(std::nullopt);  // group_instance_id
      w.Int16(Code(e));
      f.EndStruct();
    }
  }
  f.EndStruct();
  return w.Take();
}

Result<ListGroupsRequest> ListGroupsRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kListGroups, version));
  ListGroupsRequest req;
  if (version >= 4) {
    const int32_t n = f.ArrayCount(f.MinLength());
    for (int32_t i = 0; i < n && r.ok(); ++i) req.states_filter.push_back(f.String());
  }
  f.EndStruct();
  if (!r.ok()) return BadRequest("ListGroups", r);
  return req;
}

std::string ListGroupsResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kListGroups, version));
  if (version >= 1) w.Int32(0);  // throttle_time_ms
  w.Int16(Code(error));
  f.ArrayCount(groups.size());
  for (const auto& g : groups) {
    f.String(g.group_id);
    f.String(g.protocol_type);
    if (version >= 4) f.String(g.state);
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

Result<DescribeGroupsRequest> DescribeGroupsRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kDescribeGroups, version));
  DescribeGroupsRequest req;
  const int32_t n = f.ArrayCount(f.MinLength());
  for (int32_t i = 0; i < n && r.ok(); ++i) req.groups.push_back(f.String());
  if (version >= 3) (void)r.Bool();  // include_authorized_operations
  f.EndStruct();
  if (!r.ok()) return BadRequest("DescribeGroups", r);
  return req;
}

std::string DescribeGroupsResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kDescribeGroups, version));
  if (version >= 1) w.Int32(0);  // throttle_time_ms
  f.ArrayCount(groups.size());
  for (const auto& g : groups) {
    w.Int16(Code(g.error));
    f.String(g.group_id);
    f.String(g.state);
    f.String(g.protocol_type);
    f.String(g.protocol);
    f.ArrayCount(g.members.size());
    for (const auto& m : g.members) {
      f.String(m.member_id);
      if (version >= 4) f.NullableString(std::nullopt);  // group_instance_id
      f.String(m.client_id);
      f.String(m.client_host);
      f.Bytes(m.metadata);
      f.Bytes(m.assignment);
      f.EndStruct();
    }
    if (version >= 3) w.Int32(INT32_MIN);  // authorized_operations: not provided
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

Result<DeleteGroupsRequest> DeleteGroupsRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kDeleteGroups, version));
  DeleteGroupsRequest req;
  const int32_t n = f.ArrayCount(f.MinLength());
  for (int32_t i = 0; i < n && r.ok(); ++i) req.groups.push_back(f.String());
  f.EndStruct();
  if (!r.ok()) return BadRequest("DeleteGroups", r);
  return req;
}

std::string DeleteGroupsResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kDeleteGroups, version));
  w.Int32(0);  // throttle_time_ms
  f.ArrayCount(results.size());
  for (const auto& [id, e] : results) {
    f.String(id);
    w.Int16(Code(e));
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

}  // namespace rivulet::log::kafka
