// ListOffsets encoding and decoding, both encodings through FieldReader /
// FieldWriter (flexible.h). Up to v6 (flexible): v7 promises the max
// timestamp query (-3), which the log cannot answer without a scan.
// Decoded and ignored: replica_id, current_leader_epoch. Written with a
// default: leader_epoch 0 (one broker, one epoch).
#include "log/kafka/protocol/list_offsets.h"

#include "log/kafka/protocol/flexible.h"

namespace rivulet::log::kafka {
namespace {
bool Flexible(int16_t version) { return FlexibleVersion(static_cast<int16_t>(ApiKey::kListOffsets), version); }
}  // namespace

Result<ListOffsetsRequest> ListOffsetsRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(version));
  ListOffsetsRequest req;
  (void)r.Int32();  // replica_id
  if (version >= 2) req.isolation_level = r.Int8();
  const int32_t nt = f.ArrayCount(f.MinLength() + f.MinCount() + f.MinStructEnd());
  for (int32_t i = 0; i < nt && r.ok(); ++i) {
    Topic t;
    t.name = f.String();
    const int32_t np = f.ArrayCount(12 + f.MinStructEnd());
    for (int32_t j = 0; j < np && r.ok(); ++j) {
      Partition p;
      p.partition = r.Int32();
      if (version >= 4) (void)r.Int32();  // current_leader_epoch
      p.timestamp = r.Int64();
      f.EndStruct();
      t.partitions.push_back(p);
    }
    f.EndStruct();
    req.topics.push_back(std::move(t));
  }
  f.EndStruct();
  if (!r.ok()) return Status(Errc::kCorruption, std::string("ListOffsets request: ") + r.error());
  return req;
}

std::string ListOffsetsResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(version));
  if (version >= 2) w.Int32(throttle_time_ms);
  f.ArrayCount(topics.size());
  for (const auto& t : topics) {
    f.String(t.name);
    f.ArrayCount(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.Int32(p.partition);
      w.Int16(Code(p.error));
      w.Int64(p.timestamp);
      w.Int64(p.offset);
      if (version >= 4) w.Int32(0);  // leader_epoch
      f.EndStruct();
    }
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

}  // namespace rivulet::log::kafka
