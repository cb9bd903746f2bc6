// Metadata encoding and decoding.
#include "log/kafka/protocol/metadata.h"

namespace rivulet::log::kafka {

Result<MetadataRequest> MetadataRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  MetadataRequest req;
  const int32_t n = r.Int32();
  if (n >= 0) {
    if (n > kMaxArrayCount || static_cast<size_t>(n) * 2 > r.remaining()) r.Fail("topic count past end");
    std::vector<std::string> topics;
    for (int32_t i = 0; i < n && r.ok(); ++i) topics.push_back(r.String());
    if (version > 0 || !topics.empty()) req.topics = std::move(topics);
  } else if (version == 0) {
    r.Fail("null topic array in Metadata v0");
  }
  if (version >= 4) req.allow_auto_topic_creation = r.Bool();
  if (version >= 8) {
    (void)r.Bool();  // include_cluster_authorized_operations
    (void)r.Bool();  // include_topic_authorized_operations
  }
  if (!r.ok()) return Status(Errc::kCorruption, std::string("Metadata request: ") + r.error());
  return req;
}

std::string MetadataResponse::Encode(int16_t version) const {
  Writer w;
  if (version >= 3) w.Int32(throttle_time_ms);
  w.ArrayCount(brokers.size());
  for (const auto& b : brokers) {
    w.Int32(b.node_id);
    w.String(b.host);
    w.Int32(b.port);
    if (version >= 1) w.NullableString(std::nullopt);  // rack
  }
  if (version >= 2) w.NullableString(cluster_id);
  if (version >= 1) w.Int32(controller_id);
  w.ArrayCount(topics.size());
  for (const auto& t : topics) {
    w.Int16(Code(t.error));
    w.String(t.name);
    if (version >= 1) w.Bool(false);  // is_internal
    w.ArrayCount(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.Int16(Code(p.error));
      w.Int32(p.index);
      w.Int32(p.leader);
      if (version >= 7) w.Int32(0);  // leader_epoch
      w.ArrayCount(1);               // replica_nodes
      w.Int32(p.leader);
      w.ArrayCount(1);  // isr_nodes
      w.Int32(p.leader);
      if (version >= 5) w.ArrayCount(0);  // offline_replicas
    }
    if (version >= 8) w.Int32(INT32_MIN);  // topic_authorized_operations: not provided
  }
  if (version >= 8) w.Int32(INT32_MIN);  // cluster_authorized_operations
  return w.Take();
}

}  // namespace rivulet::log::kafka
