// Produce encoding and decoding, both encodings through FieldReader /
// FieldWriter (flexible.h). v9 (flexible) adds nothing the broker must
// honour; record_errors is always written empty (a batch is accepted or
// refused whole).
#include "log/kafka/protocol/produce.h"

#include "log/kafka/protocol/flexible.h"

namespace rivulet::log::kafka {
namespace {
bool Flexible(int16_t version) { return FlexibleVersion(static_cast<int16_t>(ApiKey::kProduce), version); }
}  // namespace

Result<ProduceRequest> ProduceRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(version));
  ProduceRequest req;
  if (version >= 3) req.transactional_id = f.NullableString();
  req.acks = r.Int16();
  req.timeout_ms = r.Int32();
  const int32_t nt = f.ArrayCount(f.MinLength() + f.MinCount() + f.MinStructEnd());
  for (int32_t i = 0; i < nt && r.ok(); ++i) {
    Topic t;
    t.name = f.String();
    const int32_t np = f.ArrayCount(4 + f.MinCount() + f.MinStructEnd());
    for (int32_t j = 0; j < np && r.ok(); ++j) {
      Partition p;
      p.index = r.Int32();
      p.records = f.NullableBytes();
      f.EndStruct();
      t.partitions.push_back(p);
    }
    f.EndStruct();
    req.topics.push_back(std::move(t));
  }
  f.EndStruct();
  if (!r.ok()) return Status(Errc::kCorruption, std::string("Produce request: ") + r.error());
  return req;
}

int16_t ProduceRequest::PeekAcks(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(version));
  if (version >= 3) (void)f.NullableString();
  const int16_t acks = r.Int16();
  return r.ok() ? acks : -1;
}

std::string ProduceResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(version));
  f.ArrayCount(topics.size());
  for (const auto& t : topics) {
    f.String(t.name);
    f.ArrayCount(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.Int32(p.index);
      w.Int16(Code(p.error));
      w.Int64(p.base_offset);
      if (version >= 2) w.Int64(p.log_append_time_ms);
      if (version >= 5) w.Int64(p.log_start_offset);
      if (version >= 8) {
        f.ArrayCount(0);  // record_errors
        f.NullableString(p.error_message);
      }
      f.EndStruct();
    }
    f.EndStruct();
  }
  if (version >= 1) w.Int32(throttle_time_ms);
  f.EndStruct();
  return w.Take();
}

}  // namespace rivulet::log::kafka
