// Metadata encoding and decoding, both encodings through FieldReader /
// FieldWriter (flexible.h). Up to v12 (v9+ flexible). Topics have no ids
// here: topic_id (v10+) is written as the zero UUID, and a topic asked for
// by id alone (null name, v10+) is answered UNKNOWN_TOPIC_ID. Decoded and
// ignored: the include_*_authorized_operations flags (operations are
// written as Kafka's "not provided", INT32_MIN). Written with defaults:
// no rack, leader epoch 0, replicas and ISR the leader alone.
#include "log/kafka/protocol/metadata.h"

#include "log/kafka/protocol/flexible.h"

namespace rivulet::log::kafka {
namespace {
bool Flexible(int16_t version) { return FlexibleVersion(static_cast<int16_t>(ApiKey::kMetadata), version); }
}  // namespace

Result<MetadataRequest> MetadataRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(version));
  MetadataRequest req;
  const size_t min_topic = (version >= 10 ? 16 : 0) + f.MinLength() + f.MinStructEnd();
  const std::optional<int32_t> n = f.NullableArrayCount(min_topic);
  if (n) {
    std::vector<std::string> topics;
    for (int32_t i = 0; i < *n && r.ok(); ++i) {
      if (version >= 10) {
        (void)r.Int64();  // topic_id
        (void)r.Int64();
        auto name = f.NullableString();
        if (name) {
          topics.push_back(std::move(*name));
        } else {
          ++req.topics_by_id;
        }
      } else {
        topics.push_back(f.String());
      }
      f.EndStruct();
    }
    if (version > 0 || !topics.empty()) req.topics = std::move(topics);
  } else if (version == 0) {
    r.Fail("null topic array in Metadata v0");
  }
  if (version >= 4) req.allow_auto_topic_creation = r.Bool();
  if (version >= 8 && version <= 10) (void)r.Bool();  // include_cluster_authorized_operations
  if (version >= 8) (void)r.Bool();                   // include_topic_authorized_operations
  f.EndStruct();
  if (!r.ok()) return Status(Errc::kCorruption, std::string("Metadata request: ") + r.error());
  return req;
}

std::string MetadataResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(version));
  if (version >= 3) w.Int32(throttle_time_ms);
  f.ArrayCount(brokers.size());
  for (const auto& b : brokers) {
    w.Int32(b.node_id);
    f.String(b.host);
    w.Int32(b.port);
    if (version >= 1) f.NullableString(std::nullopt);  // rack
    f.EndStruct();
  }
  if (version >= 2) f.NullableString(cluster_id);
  if (version >= 1) w.Int32(controller_id);
  f.ArrayCount(topics.size());
  for (const auto& t : topics) {
    w.Int16(Code(t.error));
    f.String(t.name);
    if (version >= 10) {
      w.Int64(0);  // topic_id: none
      w.Int64(0);
    }
    if (version >= 1) w.Bool(false);  // is_internal
    f.ArrayCount(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.Int16(Code(p.error));
      w.Int32(p.index);
      w.Int32(p.leader);
      if (version >= 7) w.Int32(0);  // leader_epoch
      f.ArrayCount(1);               // replica_nodes
      w.Int32(p.leader);
      f.ArrayCount(1);  // isr_nodes
      w.Int32(p.leader);
      if (version >= 5) f.ArrayCount(0);  // offline_replicas
      f.EndStruct();
    }
    if (version >= 8) w.Int32(INT32_MIN);  // topic_authorized_operations: not provided
    f.EndStruct();
  }
  if (version >= 8 && version <= 10) w.Int32(INT32_MIN);  // cluster_authorized_operations
  f.EndStruct();
  return w.Take();
}

}  // namespace rivulet::log::kafka
