// Fetch encoding and decoding.
#include "log/kafka/protocol/fetch.h"

namespace rivulet::log::kafka {

Result<FetchRequest> FetchRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FetchRequest req;
  (void)r.Int32();  // replica_id
  req.max_wait_ms = r.Int32();
  req.min_bytes = r.Int32();
  if (version >= 3) req.max_bytes = r.Int32();
  if (version >= 4) req.isolation_level = r.Int8();
  if (version >= 7) {
    req.session_id = r.Int32();
    req.session_epoch = r.Int32();
  }
  const int32_t nt = r.ArrayCount(6);
  for (int32_t i = 0; i < nt && r.ok(); ++i) {
    Topic t;
    t.name = r.String();
    const int32_t np = r.ArrayCount(16);
    for (int32_t j = 0; j < np && r.ok(); ++j) {
      Partition p;
      p.partition = r.Int32();
      if (version >= 9) (void)r.Int32();  // current_leader_epoch
      p.fetch_offset = r.Int64();
      if (version >= 5) (void)r.Int64();  // log_start_offset (followers only)
      p.partition_max_bytes = r.Int32();
      t.partitions.push_back(p);
    }
    req.topics.push_back(std::move(t));
  }
  if (version >= 7) {
    const int32_t nf = r.ArrayCount(6);
    for (int32_t i = 0; i < nf && r.ok(); ++i) {
      (void)r.String();
      const int32_t np = r.ArrayCount(4);
      for (int32_t j = 0; j < np && r.ok(); ++j) (void)r.Int32();
    }
  }
  if (version >= 11) (void)r.String();  // rack_id
  if (!r.ok()) return Status(Errc::kCorruption, std::string("Fetch request: ") + r.error());
  return req;
}

std::string FetchResponse::Encode(int16_t version) const {
  Writer w;
  w.Int32(throttle_time_ms);
  if (version >= 7) {
    w.Int16(Code(error));
    w.Int32(session_id);
  }
  w.ArrayCount(topics.size());
  for (const auto& t : topics) {
    w.String(t.name);
    w.ArrayCount(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.Int32(p.partition);
      w.Int16(Code(p.error));
      w.Int64(p.high_watermark);
      w.Int64(p.last_stable_offset >= 0 ? p.last_stable_offset : p.high_watermark);
      if (version >= 5) w.Int64(p.log_start_offset);
      w.ArrayCount(p.aborted_transactions.size());
      for (const auto& [producer_id, first_offset] : p.aborted_transactions) {
        w.Int64(producer_id);
        w.Int64(first_offset);
      }
      if (version >= 11) w.Int32(-1);  // preferred_read_replica
      w.Bytes(p.records);
    }
  }
  return w.Take();
}

}  // namespace rivulet::log::kafka
