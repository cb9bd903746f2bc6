// Produce encoding and decoding.
#include "log/kafka/protocol/produce.h"

namespace rivulet::log::kafka {

Result<ProduceRequest> ProduceRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  ProduceRequest req;
  if (version >= 3) req.transactional_id = r.NullableString();
  req.acks = r.Int16();
  req.timeout_ms = r.Int32();
  const int32_t nt = r.ArrayCount(6);
  for (int32_t i = 0; i < nt && r.ok(); ++i) {
    Topic t;
    t.name = r.String();
    const int32_t np = r.ArrayCount(8);
    for (int32_t j = 0; j < np && r.ok(); ++j) {
      Partition p;
      p.index = r.Int32();
      p.records = r.NullableBytes();
      t.partitions.push_back(p);
    }
    req.topics.push_back(std::move(t));
  }
  if (!r.ok()) return Status(Errc::kCorruption, std::string("Produce request: ") + r.error());
  return req;
}

std::string ProduceResponse::Encode(int16_t version) const {
  Writer w;
  w.ArrayCount(topics.size());
  for (const auto& t : topics) {
    w.String(t.name);
    w.ArrayCount(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.Int32(p.index);
      w.Int16(Code(p.error));
      w.Int64(p.base_offset);
      if (version >= 2) w.Int64(p.log_append_time_ms);
      if (version >= 5) w.Int64(p.log_start_offset);
      if (version >= 8) {
        w.ArrayCount(0);  // record_errors
        w.NullableString(p.error_message);
      }
    }
  }
  if (version >= 1) w.Int32(throttle_time_ms);
  return w.Take();
}

}  // namespace rivulet::log::kafka
