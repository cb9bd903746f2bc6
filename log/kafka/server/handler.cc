// The API key -> handler table.
#include "log/kafka/server/handler.h"

#include <algorithm>

#include "base/logging.h"
#include "log/kafka/auth/sasl.h"

namespace rivulet::log::kafka {

Handler FindHandler(ApiKey key) {
  switch (key) {
    case ApiKey::kApiVersions: return HandleApiVersions;
    case ApiKey::kMetadata: return HandleMetadata;
    case ApiKey::kProduce: return HandleProduce;
    case ApiKey::kFetch: return HandleFetch;
    case ApiKey::kListOffsets: return HandleListOffsets;
    case ApiKey::kFindCoordinator: return HandleFindCoordinator;
    case ApiKey::kJoinGroup: return HandleJoinGroup;
    case ApiKey::kSyncGroup: return HandleSyncGroup;
    case ApiKey::kHeartbeat: return HandleHeartbeat;
    case ApiKey::kLeaveGroup: return HandleLeaveGroup;
    case ApiKey::kOffsetCommit: return HandleOffsetCommit;
    case ApiKey::kOffsetFetch: return HandleOffsetFetch;
    case ApiKey::kListGroups: return HandleListGroups;
    case ApiKey::kDescribeGroups: return HandleDescribeGroups;
    case ApiKey::kCreateTopics: return HandleCreateTopics;
    case ApiKey::kDeleteTopics: return HandleDeleteTopics;
    case ApiKey::kInitProducerId: return HandleInitProducerId;
    case ApiKey::kAddPartitionsToTxn: return HandleAddPartitionsToTxn;
    case ApiKey::kAddOffsetsToTxn: return HandleAddOffsetsToTxn;
    case ApiKey::kEndTxn: return HandleEndTxn;
    case ApiKey::kTxnOffsetCommit: return HandleTxnOffsetCommit;
    case ApiKey::kDescribeProducers: return HandleDescribeProducers;
    case ApiKey::kDescribeTransactions: return HandleDescribeTransactions;
    case ApiKey::kListTransactions: return HandleListTransactions;
    case ApiKey::kDescribeAcls: return HandleDescribeAcls;
    case ApiKey::kCreateAcls: return HandleCreateAcls;
    case ApiKey::kDeleteAcls: return HandleDeleteAcls;
    case ApiKey::kSaslHandshake: return HandleSaslHandshake;
    case ApiKey::kSaslAuthenticate: return HandleSaslAuthenticate;
    case ApiKey::kDescribeUserScramCredentials: return HandleDescribeUserScramCredentials;
    case ApiKey::kAlterUserScramCredentials: return HandleAlterUserScramCredentials;
    case ApiKey::kDescribeConfigs: return HandleDescribeConfigs;
    case ApiKey::kAlterConfigs: return HandleAlterConfigs;
    case ApiKey::kIncrementalAlterConfigs: return HandleIncrementalAlterConfigs;
    case ApiKey::kCreatePartitions: return HandleCreatePartitions;
    case ApiKey::kDeleteRecords: return HandleDeleteRecords;
    case ApiKey::kDescribeLogDirs: return HandleDescribeLogDirs;
    case ApiKey::kDescribeCluster: return HandleDescribeCluster;
    case ApiKey::kDeleteGroups: return HandleDeleteGroups;
    case ApiKey::kOffsetDelete: return HandleOffsetDelete;
  }
  return nullptr;
}

bool Authorized(const RequestContext& ctx, AclOperation op, ResourceType type, const std::string& name) {
  if (ctx.authorizer == nullptr || !ctx.authorizer->enabled) return true;
  const std::string& principal = ctx.session ? ctx.session->principal : std::string("User:ANONYMOUS");
  if (ctx.log->acls().Authorize(*ctx.authorizer, principal, ctx.client_ip, op, type, name)) return true;
  GetLogger("broker")->debug("denied {} from {}: {} on {}:{}", principal, ctx.client_ip, AclOperationName(op),
                             ResourceTypeName(type), name);
  return false;
}

bool MayCreateTopic(const RequestContext& ctx, const std::string& topic) {
  return Authorized(ctx, AclOperation::kCreate, ResourceType::kCluster, kClusterResourceName) ||
         Authorized(ctx, AclOperation::kCreate, ResourceType::kTopic, topic);
}

bool MayWriteIdempotently(const RequestContext& ctx) {
  if (Authorized(ctx, AclOperation::kIdempotentWrite, ResourceType::kCluster, kClusterResourceName)) return true;
  // KIP-679: an Allow of Write on some topic pattern that no Deny of the
  // principal covers whole (a Deny of "*", of the same name, or of a
  // prefix of it).
  AclFilter topics;
  topics.resource_type = ResourceType::kTopic;
  const std::string& principal = ctx.session->principal;
  std::vector<AclBinding> allows, denies;
  for (AclBinding& b : ctx.log->acls().List(topics)) {
    const bool writes = b.operation == AclOperation::kWrite || b.operation == AclOperation::kAll;
    const bool mine = (b.principal == principal || b.principal == "User:*") && (b.host == "*" || b.host == ctx.client_ip);
    if (!writes || !mine) continue;
    (b.permission == AclPermission::kAllow ? allows : denies).push_back(std::move(b));
  }
  for (const AclBinding& a : allows) {
    const bool covered = std::any_of(denies.begin(), denies.end(), [&](const AclBinding& d) {
      if (d.pattern_type == PatternType::kLiteral) {
        return d.resource_name == "*" || (a.pattern_type == PatternType::kLiteral && d.resource_name == a.resource_name);
      }
      return a.resource_name.starts_with(d.resource_name) && a.resource_name != "*";
    });
    if (!covered) return true;
  }
  return false;
}

std::string QuotaUser(const RequestContext& ctx) {
  const std::string& principal = ctx.session ? ctx.session->principal : std::string("User:ANONYMOUS");
  if (principal != "User:ANONYMOUS") return principal;
  return "client-id:" + ctx.header.client_id.value_or("");
}

Session::Session() = default;
Session::~Session() = default;

}  // namespace rivulet::log::kafka
