// OffsetCommit / OffsetFetch / OffsetDelete codecs, both encodings through
// FieldReader / FieldWriter (flexible.h). OffsetCommit v0-8 (v8 flexible);
// v9 belongs to the KIP-848 consumer protocol. v0 carries neither
// generation nor member id (decoded as -1 and empty: a commit outside any
// generation). OffsetFetch v0-7 (v0 laid out as v1: kafka-python's
// api_version=(0, 8, 1) reads its v0 commits back with it; v6+ flexible; v7's
// require_stable is answered with UNSTABLE_OFFSET_COMMIT for a partition
// whose offsets an open transaction holds, KIP-447); v8 batches groups.
// OffsetDelete v0 (classic, its one version). Decoded and ignored:
// OffsetCommit v1's commit_timestamp, retention_time_ms (v2-4),
// group_instance_id (v7+, no static membership), committed_leader_epoch.
// Written with Kafka's default: leader epoch -1.
#include "log/kafka/protocol/offsets.h"

#include "log/kafka/protocol/flexible.h"

namespace rivulet::log::kafka {

Result<OffsetCommitRequest> OffsetCommitRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kOffsetCommit, version));
  OffsetCommitRequest req;
  req.group_id = f.String();
  if (version >= 1) {
    req.generation = r.Int32();
    req.member_id = f.String();
  }
  if (version >= 2 && version <= 4) (void)r.Int64();  // retention_time_ms
  if (version >= 7) (void)f.NullableString();         // group_instance_id
  const int32_t nt = f.ArrayCount(f.MinLength() + f.MinCount() + f.MinStructEnd());
  for (int32_t i = 0; i < nt && r.ok(); ++i) {
    Topic t;
    t.name = f.String();
    const int32_t np = f.ArrayCount(12 + f.MinLength() + f.MinStructEnd());
    for (int32_t j = 0; j < np && r.ok(); ++j) {
      Partition p;
      p.partition = r.Int32();
      p.offset = r.Int64();
      if (version == 1) (void)r.Int64();  // commit_timestamp
      if (version >= 6) (void)r.Int32();  // committed_leader_epoch
      p.metadata = f.NullableString().value_or("");
      f.EndStruct();
      t.partitions.push_back(std::move(p));
    }
    f.EndStruct();
    req.topics.push_back(std::move(t));
  }
  f.EndStruct();
  if (!r.ok()) return Status(Errc::kCorruption, std::string("OffsetCommit request: ") + r.error());
  return req;
}

namespace {

// OffsetCommit's and OffsetDelete's answer: per topic, each partition's error.
void WritePartitionErrors(Writer& w, FieldWriter& f, const std::vector<OffsetCommitResponse::Topic>& topics) {
  f.ArrayCount(topics.size());
  for (const auto& t : topics) {
    f.String(t.name);
    f.ArrayCount(t.partitions.size());
    for (const auto& [p, e] : t.partitions) {
      w.Int32(p);
      w.Int16(Code(e));
      f.EndStruct();
    }
    f.EndStruct();
  }
}

}  // namespace

std::string OffsetCommitResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kOffsetCommit, version));
  if (version >= 3) w.Int32(0);  // throttle_time_ms
  WritePartitionErrors(w, f, topics);
  f.EndStruct();
  return w.Take();
}

Result<OffsetFetchRequest> OffsetFetchRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kOffsetFetch, version));
  OffsetFetchRequest req;
  req.group_id = f.String();
  const std::optional<int32_t> nt = f.NullableArrayCount(f.MinLength() + f.MinCount() + f.MinStructEnd());
  if (nt) {
    std::vector<std::pair<std::string, std::vector<int32_t>>> topics;
    for (int32_t i = 0; i < *nt && r.ok(); ++i) {
      std::string name = f.String();
      std::vector<int32_t> parts;
      const int32_t np = f.ArrayCount(4);
      for (int32_t j = 0; j < np && r.ok(); ++j) parts.push_back(r.Int32());
      f.EndStruct();
      topics.emplace_back(std::move(name), std::move(parts));
    }
    req.topics = std::move(topics);
  } else if (r.ok() && version < 2) {
    r.Fail("null topics before OffsetFetch v2");
  }
  if (version >= 7) req.require_stable = r.Bool();
  f.EndStruct();
  if (!r.ok()) return Status(Errc::kCorruption, std::string("OffsetFetch request: ") + r.error());
  return req;
}

std::string OffsetFetchResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kOffsetFetch, version));
  if (version >= 3) w.Int32(0);  // throttle_time_ms
  f.ArrayCount(topics.size());
  for (const auto& t : topics) {
    f.String(t.name);
    f.ArrayCount(t.partitions.size());
    for (const auto& p : t.partitions) {
      w.Int32(p.partition);
      w.Int64(p.offset);
      if (version >= 5) w.Int32(-1);  // committed_leader_epoch
      f.NullableString(p.metadata);
      w.Int16(Code(p.error));
      f.EndStruct();
    }
    f.EndStruct();
  }
  if (version >= 2) w.Int16(Code(error));
  f.EndStruct();
  return w.Take();
}

Result<OffsetDeleteRequest> OffsetDeleteRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kOffsetDelete, version));
  OffsetDeleteRequest req;
  req.group_id = f.String();
  const int32_t nt = f.ArrayCount(f.MinLength() + f.MinCount() + f.MinStructEnd());
  for (int32_t i = 0; i < nt && r.ok(); ++i) {
    Topic t;
    t.name = f.String();
    const int32_t np = f.ArrayCount(4 + f.MinStructEnd());
    for (int32_t j = 0; j < np && r.ok(); ++j) {
      t.partitions.push_back(r.Int32());
      f.EndStruct();
    }
    f.EndStruct();
    req.topics.push_back(std::move(t));
  }
  f.EndStruct();
  if (!r.ok()) return Status(Errc::kCorruption, std::string("OffsetDelete request: ") + r.error());
  return req;
}

std::string OffsetDeleteResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kOffsetDelete, version));
  w.Int16(Code(error));  // before the throttle time, unlike most responses
  w.Int32(0);            // throttle_time_ms
  WritePartitionErrors(w, f, topics);
  f.EndStruct();
  return w.Take();
}

}  // namespace rivulet::log::kafka
