// CreateTopics / DeleteTopics handlers. One broker: the replication factor
// must be 1 (or -1, the default); explicit replica assignments are refused.
#include "log/kafka/protocol/topics.h"
#include "log/kafka/server/handler.h"
#include "log/topic_config.h"

namespace rivulet::log::kafka {

void HandleCreateTopics(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = CreateTopicsRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  TopicErrorsResponse resp;
  for (const auto& t : req->topics) {
    TopicErrorsResponse::Topic rt;
    rt.name = t.name;
    auto fail = [&](ErrorCode e, std::string msg) {
      rt.error = e;
      rt.message = std::move(msg);
    };
    const int32_t partitions = t.num_partitions == -1 ? ctx.log->options().default_partitions : t.num_partitions;
    if (!MayCreateTopic(ctx, t.name)) {
      fail(ErrorCode::kTopicAuthorizationFailed, "not authorized to create topic " + t.name);
    } else if (Status st = ValidateTopicName(t.name); !st.ok()) {
      fail(ErrorCode::kInvalidTopicException, st.message());
    } else if (t.replication_factor != -1 && t.replication_factor != 1) {
      fail(ErrorCode::kInvalidReplicationFactor, "this cluster has one broker: replication factor must be 1");
    } else if (t.has_assignments) {
      fail(ErrorCode::kInvalidRequest, "explicit replica assignments are not supported");
    } else if (partitions <= 0) {
      fail(ErrorCode::kInvalidPartitions, "number of partitions must be at least 1");
    } else if (auto cfg = TopicConfig::FromMap(t.configs, ctx.log->options().default_topic_config); !cfg.ok()) {
      fail(ErrorCode::kInvalidConfig, cfg.status().message());
    } else if (req->validate_only) {
      if (ctx.log->PartitionCount(t.name).ok()) fail(ErrorCode::kTopicAlreadyExists, "topic exists");
    } else if (Status st = ctx.log->CreateTopic(t.name, partitions, t.configs); !st.ok()) {
      const ErrorCode e = st.code() == Errc::kAlreadyExists   ? ErrorCode::kTopicAlreadyExists
                          : st.code() == Errc::kInvalidArgument ? ErrorCode::kInvalidPartitions
                                                                 : ToKafkaError(st.code());
      fail(e, st.message());
    }
    if (rt.error == ErrorCode::kNone) {  // the topic as created (v5+)
      rt.num_partitions = partitions;
      rt.replication_factor = 1;
      auto cfg = TopicConfig::FromMap(t.configs, ctx.log->options().default_topic_config);
      for (auto& [k, v] : cfg->ToMap()) {
        rt.configs.push_back({k, v, t.configs.contains(k) ? kConfigSourceTopic : kConfigSourceDefault});
      }
    }
    resp.topics.push_back(std::move(rt));
  }
  respond(resp.EncodeCreate(version));
}

void HandleDeleteTopics(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = DeleteTopicsRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  TopicErrorsResponse resp;
  for (const auto& name : req->names) {
    TopicErrorsResponse::Topic rt;
    rt.name = name;
    if (!Authorized(ctx, AclOperation::kDelete, ResourceType::kTopic, name)) {
      rt.error = ErrorCode::kTopicAuthorizationFailed;
      rt.message = "not authorized to delete topic " + name;
    } else if (Status st = ctx.log->DeleteTopic(name); !st.ok()) {
      rt.error = ToKafkaError(st.code());
      rt.message = st.message();  // v5+
    }
    resp.topics.push_back(std::move(rt));
  }
  respond(resp.EncodeDelete(version));
}

}  // namespace rivulet::log::kafka
