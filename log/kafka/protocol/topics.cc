// CreateTopics / DeleteTopics codecs, both encodings through FieldReader /
// FieldWriter (flexible.h). CreateTopics up to v7 (v5+ flexible; v6 only
// changes quota behaviour; v7's topic_id is written as the zero UUID, as
// topics have no ids here). DeleteTopics up to v5 (v4+ flexible; v6 names
// topics by id). CreateTopics v5+ answers the topic as created: partition
// count, replication factor 1 and its configs; the tagged
// topic_config_error_code is left out (configs are never hidden).
#include "log/kafka/protocol/topics.h"

#include "log/kafka/protocol/flexible.h"

namespace rivulet::log::kafka {

Result<CreateTopicsRequest> CreateTopicsRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kCreateTopics, version));
  CreateTopicsRequest req;
  const int32_t nt = f.ArrayCount(f.MinLength() + 6 + 2 * f.MinCount() + f.MinStructEnd());
  for (int32_t i = 0; i < nt && r.ok(); ++i) {
    Topic t;
    t.name = f.String();
    t.num_partitions = r.Int32();
    t.replication_factor = r.Int16();
    const int32_t na = f.ArrayCount(4 + f.MinCount() + f.MinStructEnd());
    t.has_assignments = na > 0;
    for (int32_t j = 0; j < na && r.ok(); ++j) {
      (void)r.Int32();  // partition_index
      const int32_t nb = f.ArrayCount(4);
      for (int32_t k = 0; k < nb && r.ok(); ++k) (void)r.Int32();
      f.EndStruct();
    }
    const int32_t nc = f.ArrayCount(2 * f.MinLength() + f.MinStructEnd());
    for (int32_t j = 0; j < nc && r.ok(); ++j) {
      std::string key = f.String();
      auto value = f.NullableString();
      f.EndStruct();
      if (value) t.configs[key] = *value;
    }
    f.EndStruct();
    req.topics.push_back(std::move(t));
  }
  req.timeout_ms = r.Int32();
  if (version >= 1) req.validate_only = r.Bool();
  f.EndStruct();
  if (!r.ok()) return Status(Errc::kCorruption, std::string("CreateTopics request: ") + r.error());
  return req;
}

std::string TopicErrorsResponse::EncodeCreate(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kCreateTopics, version));
  if (version >= 2) w.Int32(0);  // throttle_time_ms
  f.ArrayCount(topics.size());
  for (const auto& t : topics) {
    f.String(t.name);
    if (version >= 7) {
      w.Int64(0);  // topic_id: none
      w.Int64(0);
    }
    w.Int16(Code(t.error));
    if (version >= 1) f.NullableString(t.message);
    if (version >= 5) {
      w.Int32(t.num_partitions);
      w.Int16(t.replication_factor);
      f.ArrayCount(t.configs.size());
      for (const auto& c : t.configs) {
        f.String(c.name);
        f.NullableString(c.value);
        w.Bool(false);  // read_only
        w.Int8(c.source);
        w.Bool(false);  // is_sensitive
        f.EndStruct();
      }
    }
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

std::string TopicErrorsResponse::EncodeDelete(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(ApiKey::kDeleteTopics, version));
  if (version >= 1) w.Int32(0);  // throttle_time_ms
  f.ArrayCount(topics.size());
  for (const auto& t : topics) {
    f.String(t.name);
    w.Int16(Code(t.error));
    if (version >= 5) f.NullableString(t.message);
    f.EndStruct();
  }
  f.EndStruct();
  return w.Take();
}

Result<DeleteTopicsRequest> DeleteTopicsRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(ApiKey::kDeleteTopics, version));
  DeleteTopicsRequest req;
  const int32_t n = f.ArrayCount(f.MinLength());
  for (int32_t i = 0; i < n && r.ok(); ++i) req.names.push_back(f.String());
  req.timeout_ms = r.Int32();
  f.EndStruct();
  if (!r.ok()) return Status(Errc::kCorruption, std::string("DeleteTopics request: ") + r.error());
  return req;
}

}  // namespace rivulet::log::kafka
