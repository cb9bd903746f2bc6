// OffsetCommit / OffsetFetch handlers over the GroupCoordinator. With an
// authorizer both need Read on the group (GROUP_AUTHORIZATION_FAILED) and
// on each topic (TOPIC_AUTHORIZATION_FAILED; OffsetFetch of every topic
// leaves out the ones the principal may not describe).
#include "log/group_coordinator.h"
#include "log/kafka/protocol/offsets.h"
#include "log/kafka/server/handler.h"
#include "log/partition.h"
#include "log/txn_coordinator.h"

namespace rivulet::log::kafka {

void HandleOffsetCommit(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = OffsetCommitRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  OffsetCommitResponse resp;
  std::vector<std::pair<TopicPartition, CommittedOffset>> entries;
  const bool may_read_group = Authorized(ctx, AclOperation::kRead, ResourceType::kGroup, req->group_id);
  for (const auto& t : req->topics) {
    OffsetCommitResponse::Topic rt;
    rt.name = t.name;
    const bool may_read = Authorized(ctx, AclOperation::kRead, ResourceType::kTopic, t.name);
    for (const auto& p : t.partitions) {
      ErrorCode e = ErrorCode::kNone;
      if (!may_read_group) {
        e = ErrorCode::kGroupAuthorizationFailed;
      } else if (!may_read) {
        e = ErrorCode::kTopicAuthorizationFailed;
      } else if (!ctx.log->GetPartition({t.name, p.partition}).ok()) {
        e = ErrorCode::kUnknownTopicOrPartition;
      } else if (p.metadata.size() > 4096) {
        e = ErrorCode::kOffsetMetadataTooLarge;
      } else {
        entries.push_back({{t.name, p.partition}, {p.offset, p.metadata, 0}});
      }
      rt.partitions.emplace_back(p.partition, e);
    }
    resp.topics.push_back(std::move(rt));
  }
  ErrorCode group_error = ErrorCode::kNone;
  if (req->group_id.empty()) {
    group_error = ErrorCode::kInvalidGroupId;
  } else if (!entries.empty()) {
    Status st = ctx.log->groups().CommitOffsets(req->group_id, req->member_id, req->generation, entries);
    if (!st.ok()) group_error = ToKafkaError(st.code());
  }
  if (group_error != ErrorCode::kNone) {
    for (auto& t : resp.topics) {
      for (auto& [p, e] : t.partitions) {
        if (e == ErrorCode::kNone) e = group_error;
      }
    }
  }
  respond(resp.Encode(version));
}

void HandleOffsetFetch(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = OffsetFetchRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  OffsetFetchResponse resp;
  if (!Authorized(ctx, AclOperation::kDescribe, ResourceType::kGroup, req->group_id)) {
    resp.error = ErrorCode::kGroupAuthorizationFailed;
    return respond(resp.Encode(version));
  }
  auto committed = ctx.log->groups().FetchOffsets(req->group_id);
  if (req->topics) {
    for (const auto& [name, parts] : *req->topics) {
      OffsetFetchResponse::Topic t;
      t.name = name;
      const bool may_describe = Authorized(ctx, AclOperation::kDescribe, ResourceType::kTopic, name);
      for (int32_t p : parts) {
        OffsetFetchResponse::Partition rp;
        rp.partition = p;
        auto it = committed.find({name, p});
        if (!may_describe) {
          rp.error = ErrorCode::kTopicAuthorizationFailed;
        } else if (req->require_stable && ctx.log->transactions().HasPendingOffsets(req->group_id, {name, p})) {
          // KIP-447: an open transaction will commit this partition's offset.
          rp.error = ErrorCode::kUnstableOffsetCommit;
        } else if (it != committed.end()) {
          rp.offset = it->second.offset;
          rp.metadata = it->second.metadata;
        }
        t.partitions.push_back(std::move(rp));
      }
      resp.topics.push_back(std::move(t));
    }
  } else {
    for (const auto& [tp, c] : committed) {
      if (!Authorized(ctx, AclOperation::kDescribe, ResourceType::kTopic, tp.topic)) continue;
      if (resp.topics.empty() || resp.topics.back().name != tp.topic) resp.topics.push_back({tp.topic, {}});
      resp.topics.back().partitions.push_back({tp.partition, c.offset, c.metadata, ErrorCode::kNone});
    }
  }
  respond(resp.Encode(version));
}

// OffsetDelete: Delete on the group and Read on each topic, as Kafka. The
// group's error (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP) answers for all; a
// partition whose topic a member still reads is GROUP_SUBSCRIBED_TO_TOPIC,
// one that does not exist UNKNOWN_TOPIC_OR_PARTITION.
void HandleOffsetDelete(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = OffsetDeleteRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  OffsetDeleteResponse resp;
  if (!Authorized(ctx, AclOperation::kDelete, ResourceType::kGroup, req->group_id)) {
    resp.error = ErrorCode::kGroupAuthorizationFailed;
    return respond(resp.Encode(version));
  }
  std::vector<TopicPartition> asked;
  std::map<TopicPartition, ErrorCode> refused;
  for (const auto& t : req->topics) {
    const bool may_read = Authorized(ctx, AclOperation::kRead, ResourceType::kTopic, t.name);
    for (int32_t p : t.partitions) {
      if (!may_read) {
        refused[{t.name, p}] = ErrorCode::kTopicAuthorizationFailed;
      } else if (!ctx.log->GetPartition({t.name, p}).ok()) {
        refused[{t.name, p}] = ErrorCode::kUnknownTopicOrPartition;
      } else {
        asked.push_back({t.name, p});
      }
    }
  }
  auto done = ctx.log->groups().DeleteOffsets(req->group_id, asked);
  if (!done.ok()) {
    resp.error = done.status().code() == Errc::kNotFound ? ErrorCode::kGroupIdNotFound
                                                         : ToKafkaError(done.status().code());
    return respond(resp.Encode(version));
  }
  for (const auto& t : req->topics) {
    OffsetDeleteResponse::Topic rt;
    rt.name = t.name;
    for (int32_t p : t.partitions) {
      auto it = done->find({t.name, p});
      rt.partitions.emplace_back(p, it != done->end() ? ToKafkaError(it->second) : refused.at({t.name, p}));
    }
    resp.topics.push_back(std::move(rt));
  }
  respond(resp.Encode(version));
}

}  // namespace rivulet::log::kafka
