// Metadata: this broker is the only node and leads every partition.
// Requested topics that do not exist are created when allowed (the
// request's flag, auto.create.topics.enable, and Create in the ACLs).
// With an authorizer, the list of all topics holds only those the
// principal may describe, and a named one it may not is
// TOPIC_AUTHORIZATION_FAILED.
#include "log/kafka/protocol/metadata.h"
#include "log/kafka/server/handler.h"
#include "log/topic_config.h"

namespace rivulet::log::kafka {

void HandleMetadata(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = MetadataRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  MetadataResponse resp;
  resp.brokers.push_back({ctx.broker->node_id, ctx.broker->host, ctx.broker->port});
  resp.cluster_id = ctx.broker->cluster_id;
  resp.controller_id = ctx.broker->node_id;
  const std::vector<std::string> names = req->topics ? *req->topics : ctx.log->ListTopics();
  for (const auto& name : names) {
    const bool may_describe = Authorized(ctx, AclOperation::kDescribe, ResourceType::kTopic, name);
    if (!req->topics && !may_describe) continue;  // not listed at all
    MetadataResponse::Topic t;
    t.name = name;
    if (!may_describe) {
      t.error = ErrorCode::kTopicAuthorizationFailed;
      resp.topics.push_back(std::move(t));
      continue;
    }
    if (Status st = ValidateTopicName(name); !st.ok()) {
      t.error = ErrorCode::kInvalidTopicException;
      resp.topics.push_back(std::move(t));
      continue;
    }
    const bool create = req->topics.has_value() && req->allow_auto_topic_creation && MayCreateTopic(ctx, name);
    auto n = ctx.log->PartitionCount(name, create);
    if (!n.ok()) {
      t.error = ToKafkaError(n.status().code());
    } else {
      for (int32_t p = 0; p < *n; ++p) t.partitions.push_back({ErrorCode::kNone, p, ctx.broker->node_id});
    }
    resp.topics.push_back(std::move(t));
  }
  for (int32_t i = 0; i < req->topics_by_id; ++i) {
    MetadataResponse::Topic t;
    t.error = ErrorCode::kUnknownTopicId;
    resp.topics.push_back(std::move(t));
  }
  respond(resp.Encode(version));
}

}  // namespace rivulet::log::kafka
