// CreatePartitions, DeleteRecords, DescribeLogDirs and DescribeCluster
// handlers. One broker, one log directory: CreatePartitions grows a topic
// (never with explicit replica assignments), DeleteRecords moves
// partitions' log start (log/partition.h), DescribeLogDirs reports the data
// directory and the partitions in it, DescribeCluster this broker as the
// cluster and its controller. ACLs as Kafka: Alter on the topic, Delete on
// the topic, Describe on the cluster; DescribeCluster needs none, and
// reports the cluster operations the principal may do when asked (none
// without Describe on the cluster).
#include <sys/statvfs.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "log/kafka/protocol/admin.h"
#include "log/kafka/server/handler.h"
#include "log/partition.h"

namespace rivulet::log::kafka {

void HandleCreatePartitions(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = CreatePartitionsRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  CreatePartitionsResponse resp;
  std::set<std::string> seen;
  for (const auto& t : req->topics) {
    CreatePartitionsResponse::TopicResult out;
    out.name = t.name;
    auto fail = [&](ErrorCode e, std::string msg) {
      out.error = e;
      out.message = std::move(msg);
    };
    auto have = ctx.log->PartitionCount(t.name);
    if (!seen.insert(t.name).second) {
      fail(ErrorCode::kInvalidRequest, "topic " + t.name + " is named twice");
    } else if (!Authorized(ctx, AclOperation::kAlter, ResourceType::kTopic, t.name)) {
      fail(ErrorCode::kTopicAuthorizationFailed, "not authorized to alter topic " + t.name);
    } else if (!have.ok()) {
      fail(ErrorCode::kUnknownTopicOrPartition, have.status().message());
    } else if (t.has_assignments) {
      fail(ErrorCode::kInvalidReplicaAssignment, "explicit replica assignments are not supported: one broker holds every partition");
    } else if (t.count <= *have) {
      fail(ErrorCode::kInvalidPartitions, "topic " + t.name + " has " + std::to_string(*have) +
                                              " partitions: the count can only grow");
    } else if (!req->validate_only) {
      if (Status st = ctx.log->AddPartitions(t.name, t.count); !st.ok()) {
        fail(st.code() == Errc::kInvalidArgument ? ErrorCode::kInvalidPartitions : ToKafkaError(st.code()),
             st.message());
      }
    }
    resp.results.push_back(std::move(out));
  }
  respond(resp.Encode(version));
}

void HandleDeleteRecords(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = DeleteRecordsRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  DeleteRecordsResponse resp;
  for (const auto& t : req->topics) {
    DeleteRecordsResponse::Topic rt;
    rt.name = t.name;
    const bool may_delete = Authorized(ctx, AclOperation::kDelete, ResourceType::kTopic, t.name);
    for (const auto& p : t.partitions) {
      DeleteRecordsResponse::Partition rp;
      rp.partition = p.partition;
      auto part = ctx.log->GetPartition({t.name, p.partition});
      if (!may_delete) {
        rp.error = ErrorCode::kTopicAuthorizationFailed;
      } else if (!part.ok()) {
        rp.error = ErrorCode::kUnknownTopicOrPartition;
      } else if (auto start = (*part)->DeleteRecordsBefore(p.offset); !start.ok()) {
        rp.error = start.status().code() == Errc::kOutOfRange ? ErrorCode::kOffsetOutOfRange
                                                             : ToKafkaError(start.status().code());
      } else {
        rp.low_watermark = *start;
      }
      rt.partitions.push_back(rp);
    }
    resp.topics.push_back(std::move(rt));
  }
  respond(resp.Encode(version));
}

void HandleDescribeLogDirs(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = DescribeLogDirsRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  DescribeLogDirsResponse resp;
  if (!Authorized(ctx, AclOperation::kDescribe, ResourceType::kCluster, kClusterResourceName)) {
    resp.error = ErrorCode::kClusterAuthorizationFailed;  // v3+; before, no directory
    return respond(resp.Encode(version));
  }
  DescribeLogDirsResponse::LogDir dir;
  std::error_code ec;
  dir.path = std::filesystem::absolute(ctx.log->dir(), ec).lexically_normal().string();
  if (ec) dir.path = ctx.log->dir();
  struct statvfs vfs {};
  if (::statvfs(ctx.log->dir().c_str(), &vfs) == 0) {
    dir.total_bytes = static_cast<int64_t>(vfs.f_blocks) * static_cast<int64_t>(vfs.f_frsize);
    dir.usable_bytes = static_cast<int64_t>(vfs.f_bavail) * static_cast<int64_t>(vfs.f_frsize);
  }
  std::vector<DescribeLogDirsRequest::Topic> wanted;
  if (req->topics) {
    wanted = *req->topics;
  } else {
    for (auto& name : ctx.log->ListTopics()) wanted.push_back({name, {}});
  }
  for (const auto& t : wanted) {
    auto d = ctx.log->DescribeTopic(t.name);
    if (!d.ok()) continue;  // Kafka leaves out what it does not hold
    DescribeLogDirsResponse::Topic rt;
    rt.name = t.name;
    for (const auto& p : d->partitions) {
      const bool asked = !req->topics ||
                         std::find(t.partitions.begin(), t.partitions.end(), p.partition) != t.partitions.end();
      if (!asked) continue;
      rt.partitions.push_back({p.partition, static_cast<int64_t>(p.size_bytes), 0, false});
    }
    if (!rt.partitions.empty()) dir.topics.push_back(std::move(rt));
  }
  resp.results.push_back(std::move(dir));
  respond(resp.Encode(version));
}

void HandleDescribeCluster(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = DescribeClusterRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  DescribeClusterResponse resp;
  resp.endpoint_type = req->endpoint_type;
  if (req->endpoint_type != kEndpointTypeBrokers) {
    resp.error = ErrorCode::kInvalidRequest;
    resp.error_message = "this broker is its own controller: ask for brokers (endpoint type 1)";
    return respond(resp.Encode(version));
  }
  resp.cluster_id = ctx.broker->cluster_id;
  resp.controller_id = ctx.broker->node_id;
  resp.brokers.push_back({ctx.broker->node_id, ctx.broker->host, ctx.broker->port, std::nullopt});
  // Asked for: none without Describe on the cluster (0, as Kafka answers;
  // INT32_MIN only when not asked).
  if (req->include_cluster_authorized_operations) {
    int32_t ops = 0;
    if (Authorized(ctx, AclOperation::kDescribe, ResourceType::kCluster, kClusterResourceName)) {
      for (AclOperation op : {AclOperation::kCreate, AclOperation::kAlter, AclOperation::kDescribe,
                              AclOperation::kClusterAction, AclOperation::kDescribeConfigs,
                              AclOperation::kAlterConfigs, AclOperation::kIdempotentWrite}) {
        if (Authorized(ctx, op, ResourceType::kCluster, kClusterResourceName)) ops |= 1 << static_cast<int>(op);
      }
    }
    resp.cluster_authorized_operations = ops;
  }
  respond(resp.Encode(version));
}

}  // namespace rivulet::log::kafka
