// ListOffsets encoding and decoding.
#include "log/kafka/protocol/list_offsets.h"

namespace rivulet::log::kafka {

Result<ListOffsetsRequest> ListOffsetsRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  ListOffsetsRequest req;
  (void)r.Int32();  // replica_id
  if (version >= 2) req.isolation_level = r.Int8();
  const int32_t nt = r.ArrayCount(6);
  for (int32_t i = 0; i < nt && r.ok(); ++i) {
    Topic t;
    t.name = r.String();
    const int32_t np = r.ArrayCount(12);
    for (int32_t j = 0; j < np && r.ok(); ++j) {
      Partition p;
      p.partition = r.Int32();
      if (version >= 4) (void)r.Int32();  // current_leader_epoch
      p.timestamp = r.Int64();
      t.partitions.push_back(p);
    }
    req.topics.push_back(std::move(t));
  }
  if (!r.ok()) return Status(Errc::kCorruption, std::string("ListOffsets request: ") + r.error());
  return req;
}

std::string ListOffsetsResponse::Encode(int16_t version) const {
  Writer w;
  if (version >= 2) w.Int32(throttle_time_ms);
  w.ArrayCount(topics.size());
  for (const auto& t : topics) {
    w.String(t.name);
    w.ArrayCount(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.Int32(p.partition);
      w.Int16(Code(p.error));
      w.Int64(p.timestamp);
      w.Int64(p.offset);
      if (version >= 4) w.Int32(0);  // leader_epoch
    }
  }
  return w.Take();
}

}  // namespace rivulet::log::kafka
