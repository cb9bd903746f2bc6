// OffsetCommit / OffsetFetch codecs.
#include "log/kafka/protocol/offsets.h"

namespace rivulet::log::kafka {

Result<OffsetCommitRequest> OffsetCommitRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  OffsetCommitRequest req;
  req.group_id = r.String();
  req.generation = r.Int32();
  req.member_id = r.String();
  if (version >= 2 && version <= 4) (void)r.Int64();  // retention_time_ms
  if (version >= 7) (void)r.NullableString();         // group_instance_id
  const int32_t nt = r.ArrayCount(6);
  for (int32_t i = 0; i < nt && r.ok(); ++i) {
    Topic t;
    t.name = r.String();
    const int32_t np = r.ArrayCount(14);
    for (int32_t j = 0; j < np && r.ok(); ++j) {
      Partition p;
      p.partition = r.Int32();
      p.offset = r.Int64();
      if (version >= 6) (void)r.Int32();  // committed_leader_epoch
      p.metadata = r.NullableString().value_or("");
      t.partitions.push_back(std::move(p));
    }
    req.topics.push_back(std::move(t));
  }
  if (!r.ok()) return Status(Errc::kCorruption, std::string("OffsetCommit request: ") + r.error());
  return req;
}

std::string OffsetCommitResponse::Encode(int16_t version) const {
  Writer w;
  if (version >= 3) w.Int32(0);
  w.ArrayCount(topics.size());
  for (const auto& t : topics) {
    w.String(t.name);
    w.ArrayCount(t.partitions.size());
    for (const auto& [p, e] : t.partitions) {
      w.Int32(p);
      w.Int16(Code(e));
    }
  }
  return w.Take();
}

Result<OffsetFetchRequest> OffsetFetchRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  OffsetFetchRequest req;
  req.group_id = r.String();
  const int32_t raw = r.Int32();
  if (r.ok() && raw >= 0) {
    if (raw > kMaxArrayCount || static_cast<size_t>(raw) * 6 > r.remaining()) r.Fail("topic count past end");
    std::vector<std::pair<std::string, std::vector<int32_t>>> topics;
    for (int32_t i = 0; i < raw && r.ok(); ++i) {
      std::string name = r.String();
      std::vector<int32_t> parts;
      const int32_t np = r.ArrayCount(4);
      for (int32_t j = 0; j < np && r.ok(); ++j) parts.push_back(r.Int32());
      topics.emplace_back(std::move(name), std::move(parts));
    }
    req.topics = std::move(topics);
  } else if (r.ok() && version < 2) {
    r.Fail("null topics before OffsetFetch v2");
  }
  if (!r.ok()) return Status(Errc::kCorruption, std::string("OffsetFetch request: ") + r.error());
  return req;
}

std::string OffsetFetchResponse::Encode(int16_t version) const {
  Writer w;
  if (version >= 3) w.Int32(0);
  w.ArrayCount(topics.size());
  for (const auto& t : topics) {
    w.String(t.name);
    w.ArrayCount(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.Int32(p.partition);
      w.Int64(p.offset);
      if (version >= 5) w.Int32(-1);  // committed_leader_epoch
      w.NullableString(p.metadata);
      w.Int16(Code(p.error));
    }
  }
  if (version >= 2) w.Int16(Code(error));
  return w.Take();
}

}  // namespace rivulet::log::kafka
