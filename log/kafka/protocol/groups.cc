// Group membership API codecs.
#include "log/kafka/protocol/groups.h"

namespace rivulet::log::kafka {
namespace {
Status Bad(const char* api, const Reader& r) {
  return Status(Errc::kCorruption, std::string(api) + " request: " + r.error());
}
}  // namespace

Result<FindCoordinatorRequest> FindCoordinatorRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FindCoordinatorRequest req;
  req.key = r.String();
  if (version >= 1) req.key_type = r.Int8();
  if (!r.ok()) return Bad("FindCoordinator", r);
  return req;
}

std::string FindCoordinatorResponse::Encode(int16_t version) const {
  Writer w;
  if (version >= 1) w.Int32(0);
  w.Int16(Code(error));
  if (version >= 1) w.NullableString(error_message);
  w.Int32(node_id);
  w.String(host);
  w.Int32(port);
  return w.Take();
}

Result<JoinGroupRequest> JoinGroupRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  JoinGroupRequest req;
  req.group_id = r.String();
  req.session_timeout_ms = r.Int32();
  req.rebalance_timeout_ms = version >= 1 ? r.Int32() : req.session_timeout_ms;
  req.member_id = r.String();
  if (version >= 5) req.group_instance_id = r.NullableString();
  req.protocol_type = r.String();
  const int32_t n = r.ArrayCount(6);
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    std::string name = r.String();
    std::string meta(r.Bytes());
    req.protocols.emplace_back(std::move(name), std::move(meta));
  }
  if (!r.ok()) return Bad("JoinGroup", r);
  return req;
}

std::string JoinGroupResponse::Encode(int16_t version) const {
  Writer w;
  if (version >= 2) w.Int32(0);
  w.Int16(Code(error));
  w.Int32(generation);
  w.String(protocol);
  w.String(leader);
  w.String(member_id);
  w.ArrayCount(members.size());
  for (const auto& [id, meta] : members) {
    w.String(id);
    if (version >= 5) w.NullableString(std::nullopt);
    w.Bytes(meta);
  }
  return w.Take();
}

Result<SyncGroupRequest> SyncGroupRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  SyncGroupRequest req;
  req.group_id = r.String();
  req.generation = r.Int32();
  req.member_id = r.String();
  if (version >= 3) (void)r.NullableString();  // group_instance_id
  const int32_t n = r.ArrayCount(6);
  for (int32_t i = 0; i < n && r.ok(); ++i) {
    std::string id = r.String();
    std::string a(r.Bytes());
    req.assignments.emplace_back(std::move(id), std::move(a));
  }
  if (!r.ok()) return Bad("SyncGroup", r);
  return req;
}

std::string SyncGroupResponse::Encode(int16_t version) const {
  Writer w;
  if (version >= 1) w.Int32(0);
  w.Int16(Code(error));
  w.Bytes(assignment);
  return w.Take();
}

Result<HeartbeatRequest> HeartbeatRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  HeartbeatRequest req;
  req.group_id = r.String();
  req.generation = r.Int32();
  req.member_id = r.String();
  if (version >= 3) (void)r.NullableString();
  if (!r.ok()) return Bad("Heartbeat", r);
  return req;
}

std::string EncodeErrorOnly(ErrorCode error, int16_t version) {
  Writer w;
  if (version >= 1) w.Int32(0);
  w.Int16(Code(error));
  return w.Take();
}

Result<LeaveGroupRequest> LeaveGroupRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  LeaveGroupRequest req;
  req.group_id = r.String();
  if (version < 3) {
    req.member_ids.push_back(r.String());
  } else {
    const int32_t n = r.ArrayCount(4);
    for (int32_t i = 0; i < n && r.ok(); ++i) {
      req.member_ids.push_back(r.String());
      (void)r.NullableString();  // group_instance_id
    }
  }
  if (!r.ok()) return Bad("LeaveGroup", r);
  return req;
}

std::string LeaveGroupResponse::Encode(int16_t version) const {
  Writer w;
  if (version >= 1) w.Int32(0);
  w.Int16(Code(error));
  if (version >= 3) {
    w.ArrayCount(members.size());
    for (const auto& [id, e] : members) {
      w.String(id);
      w.NullableString(std::nullopt);
      w.Int16(Code(e));
    }
  }
  return w.Take();
}

std::string ListGroupsResponse::Encode(int16_t version) const {
  Writer w;
  if (version >= 1) w.Int32(0);
  w.Int16(Code(error));
  w.ArrayCount(groups.size());
  for (const auto& [id, type] : groups) {
    w.String(id);
    w.String(type);
  }
  return w.Take();
}

Result<DescribeGroupsRequest> DescribeGroupsRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  DescribeGroupsRequest req;
  const int32_t n = r.ArrayCount(2);
  for (int32_t i = 0; i < n && r.ok(); ++i) req.groups.push_back(r.String());
  if (version >= 3) (void)r.Bool();  // include_authorized_operations
  if (!r.ok()) return Bad("DescribeGroups", r);
  return req;
}

std::string DescribeGroupsResponse::Encode(int16_t version) const {
  Writer w;
  if (version >= 1) w.Int32(0);
  w.ArrayCount(groups.size());
  for (const auto& g : groups) {
    w.Int16(Code(g.error));
    w.String(g.group_id);
    w.String(g.state);
    w.String(g.protocol_type);
    w.String(g.protocol);
    w.ArrayCount(g.members.size());
    for (const auto& m : g.members) {
      w.String(m.member_id);
      if (version >= 4) w.NullableString(std::nullopt);
      w.String(m.client_id);
      w.String(m.client_host);
      w.Bytes(m.metadata);
      w.Bytes(m.assignment);
    }
    if (version >= 3) w.Int32(INT32_MIN);  // authorized_operations: not provided
  }
  return w.Take();
}

}  // namespace rivulet::log::kafka
