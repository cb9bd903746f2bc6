// ListOffsets: earliest (-2), latest (-1) or the first offset whose record
// timestamp is at or after a time. With isolation_level read_committed,
// latest is the last stable offset. Needs Describe on the topic.
#include "log/kafka/protocol/list_offsets.h"
#include "log/kafka/server/handler.h"
#include "log/partition.h"

namespace rivulet::log::kafka {

void HandleListOffsets(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = ListOffsetsRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  ListOffsetsResponse resp;
  for (const auto& t : req->topics) {
    ListOffsetsResponse::Topic rt;
    rt.name = t.name;
    const bool may_describe = Authorized(ctx, AclOperation::kDescribe, ResourceType::kTopic, t.name);
    for (const auto& p : t.partitions) {
      ListOffsetsResponse::Partition rp;
      rp.partition = p.partition;
      auto part = ctx.log->GetPartition({t.name, p.partition});
      if (!may_describe) {
        rp.error = ErrorCode::kTopicAuthorizationFailed;
      } else if (!part.ok()) {
        rp.error = ErrorCode::kUnknownTopicOrPartition;
      } else if (p.timestamp == kLatestTimestamp) {
        rp.offset = req->isolation_level == 1 ? (*part)->last_stable_offset() : (*part)->log_end_offset();
      } else if (p.timestamp == kEarliestTimestamp) {
        rp.offset = (*part)->log_start_offset();
      } else if (p.timestamp < 0) {
        rp.error = ErrorCode::kInvalidRequest;
      } else {
        auto off = (*part)->OffsetForTimestamp(p.timestamp);
        if (!off.ok()) {
          rp.error = ToKafkaError(off.status().code());
        } else if (*off >= 0) {
          rp.offset = *off;
          rp.timestamp = p.timestamp;
        }
      }
      rt.partitions.push_back(rp);
    }
    resp.topics.push_back(std::move(rt));
  }
  respond(resp.Encode(version));
}

}  // namespace rivulet::log::kafka
