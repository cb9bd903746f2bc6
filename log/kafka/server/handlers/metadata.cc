// Metadata: this broker is the only node and leads every partition.
// Requested topics that do not exist are created when allowed (the
// request's flag and auto.create.topics.enable).
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
    MetadataResponse::Topic t;
    t.name = name;
    if (Status st = ValidateTopicName(name); !st.ok()) {
      t.error = ErrorCode::kInvalidTopicException;
      resp.topics.push_back(std::move(t));
      continue;
    }
    auto n = ctx.log->PartitionCount(name, req->topics.has_value() && req->allow_auto_topic_creation);
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
