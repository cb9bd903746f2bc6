// Group membership handlers: the Kafka requests mapped onto the log's
// GroupCoordinator. Join and Sync answer from the coordinator's callback,
// possibly after a rebalance completes; nothing waits on an io thread.
// With an authorizer: Read on the group to join, sync, heartbeat or leave
// it; Describe to find its coordinator or describe it
// (GROUP_AUTHORIZATION_FAILED), Describe on a transactional id to find its
// coordinator; ListGroups lists what the principal may describe.
#include <algorithm>
#include <cctype>

#include "log/group_coordinator.h"
#include "log/kafka/protocol/groups.h"
#include "log/kafka/server/handler.h"

namespace rivulet::log::kafka {

namespace lg = ::rivulet::log;

void HandleFindCoordinator(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = FindCoordinatorRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  FindCoordinatorResponse resp;
  // This broker coordinates both groups (key type 0) and transactions (1).
  if (req->key_type != 0 && req->key_type != 1) {
    resp.error = ErrorCode::kInvalidRequest;
    resp.error_message = "unknown coordinator key type " + std::to_string(req->key_type);
    resp.node_id = -1;
  } else if (!std::ranges::all_of(req->coordinator_keys.empty() ? std::vector<std::string>{req->key}
                                                                 : req->coordinator_keys,
                                   [&](const std::string& key) {
                                     return Authorized(ctx, AclOperation::kDescribe,
                                                       req->key_type == 0 ? ResourceType::kGroup
                                                                          : ResourceType::kTransactionalId,
                                                       key);
                                   })) {
    resp.error = req->key_type == 0 ? ErrorCode::kGroupAuthorizationFailed
                                    : ErrorCode::kTransactionalIdAuthorizationFailed;
    resp.node_id = -1;
  } else {
    resp.node_id = ctx.broker->node_id;
    resp.host = ctx.broker->host;
    resp.port = ctx.broker->port;
  }
  resp.keys = std::move(req->coordinator_keys);
  respond(resp.Encode(version));
}

void HandleJoinGroup(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = JoinGroupRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  if (req->group_id.empty() || !Authorized(ctx, AclOperation::kRead, ResourceType::kGroup, req->group_id)) {
    JoinGroupResponse resp;
    resp.error = req->group_id.empty() ? ErrorCode::kInvalidGroupId : ErrorCode::kGroupAuthorizationFailed;
    return respond(resp.Encode(version));
  }
  lg::JoinGroupRequest j;
  j.group_id = req->group_id;
  j.member_id = req->member_id;
  j.client_id = ctx.header.client_id.value_or("");
  j.client_host = "/" + ctx.client_host.substr(0, ctx.client_host.rfind(':'));
  j.protocol_type = req->protocol_type;
  j.session_timeout_ms = req->session_timeout_ms;
  j.rebalance_timeout_ms = req->rebalance_timeout_ms;
  j.protocols = std::move(req->protocols);
  j.require_known_member_id = version >= 4;
  ctx.log->groups().JoinGroup(std::move(j), [respond = std::move(respond), version](lg::JoinGroupResponse r) {
    JoinGroupResponse resp;
    resp.error = ToKafkaError(r.error);
    resp.generation = r.generation;
    resp.protocol_type = r.protocol_type;
    resp.protocol = r.protocol;
    resp.leader = r.leader_id;
    resp.member_id = r.member_id;
    for (auto& m : r.members) resp.members.emplace_back(std::move(m.member_id), std::move(m.metadata));
    respond(resp.Encode(version));
  });
}

void HandleSyncGroup(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = SyncGroupRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  if (!Authorized(ctx, AclOperation::kRead, ResourceType::kGroup, req->group_id)) {
    SyncGroupResponse resp;
    resp.error = ErrorCode::kGroupAuthorizationFailed;
    return respond(resp.Encode(version));
  }
  lg::SyncGroupRequest s;
  s.group_id = req->group_id;
  s.member_id = req->member_id;
  s.generation = req->generation;
  s.assignments = std::move(req->assignments);
  ctx.log->groups().SyncGroup(std::move(s), [respond = std::move(respond), version](lg::SyncGroupResponse r) {
    SyncGroupResponse resp;
    resp.error = ToKafkaError(r.error);
    resp.protocol_type = std::move(r.protocol_type);
    resp.protocol = std::move(r.protocol);
    resp.assignment = std::move(r.assignment);
    respond(resp.Encode(version));
  });
}

void HandleHeartbeat(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = HeartbeatRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  if (!Authorized(ctx, AclOperation::kRead, ResourceType::kGroup, req->group_id)) {
    return respond(EncodeHeartbeatResponse(ErrorCode::kGroupAuthorizationFailed, version));
  }
  Errc e = ctx.log->groups().Heartbeat(req->group_id, req->member_id, req->generation);
  respond(EncodeHeartbeatResponse(ToKafkaError(e), version));
}

void HandleLeaveGroup(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = LeaveGroupRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  LeaveGroupResponse resp;
  if (!Authorized(ctx, AclOperation::kRead, ResourceType::kGroup, req->group_id)) {
    resp.error = ErrorCode::kGroupAuthorizationFailed;
    return respond(resp.Encode(version));
  }
  for (const auto& id : req->member_ids) {
    const ErrorCode e = ToKafkaError(ctx.log->groups().LeaveGroup(req->group_id, id));
    resp.members.emplace_back(id, e);
    if (version < 3) resp.error = e;
  }
  respond(resp.Encode(version));
}

void HandleListGroups(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = ListGroupsRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  // v4's filter matches states case-insensitively, as Kafka does.
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  auto wanted = [&](const std::string& state) {
    if (req->states_filter.empty()) return true;
    return std::ranges::any_of(req->states_filter, [&](const std::string& s) { return lower(s) == lower(state); });
  };
  ListGroupsResponse resp;
  for (auto& g : ctx.log->groups().ListGroups()) {
    if (!wanted(g.state) || !Authorized(ctx, AclOperation::kDescribe, ResourceType::kGroup, g.group_id)) continue;
    resp.groups.push_back({std::move(g.group_id), std::move(g.protocol_type), std::move(g.state)});
  }
  respond(resp.Encode(version));
}

void HandleDescribeGroups(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = DescribeGroupsRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  DescribeGroupsResponse resp;
  for (const auto& id : req->groups) {
    DescribeGroupsResponse::Group g;
    g.group_id = id;
    auto d = ctx.log->groups().DescribeGroup(id);
    if (!Authorized(ctx, AclOperation::kDescribe, ResourceType::kGroup, id)) {
      g.error = ErrorCode::kGroupAuthorizationFailed;
    } else if (!d.ok()) {
      g.state = "Dead";  // as Kafka answers for an unknown group
    } else {
      g.state = d->state;
      g.protocol_type = d->protocol_type;
      g.protocol = d->protocol;
      for (auto& m : d->members) {
        g.members.push_back({m.member_id, m.client_id, m.client_host, m.metadata, m.assignment});
      }
    }
    resp.groups.push_back(std::move(g));
  }
  respond(resp.Encode(version));
}

// Delete on the group, as Kafka; an unknown group is GROUP_ID_NOT_FOUND,
// one with members NON_EMPTY_GROUP.
void HandleDeleteGroups(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = DeleteGroupsRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  DeleteGroupsResponse resp;
  for (const auto& id : req->groups) {
    ErrorCode e = ErrorCode::kNone;
    if (!Authorized(ctx, AclOperation::kDelete, ResourceType::kGroup, id)) {
      e = ErrorCode::kGroupAuthorizationFailed;
    } else if (Status st = ctx.log->groups().DeleteGroup(id); !st.ok()) {
      e = st.code() == Errc::kNotFound ? ErrorCode::kGroupIdNotFound : ToKafkaError(st.code());
    }
    resp.results.emplace_back(id, e);
  }
  respond(resp.Encode(version));
}

}  // namespace rivulet::log::kafka
