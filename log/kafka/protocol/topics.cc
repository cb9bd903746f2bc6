// CreateTopics / DeleteTopics codecs.
#include "log/kafka/protocol/topics.h"

namespace rivulet::log::kafka {

Result<CreateTopicsRequest> CreateTopicsRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  CreateTopicsRequest req;
  const int32_t nt = r.ArrayCount(16);
  for (int32_t i = 0; i < nt && r.ok(); ++i) {
    Topic t;
    t.name = r.String();
    t.num_partitions = r.Int32();
    t.replication_factor = r.Int16();
    const int32_t na = r.ArrayCount(8);
    t.has_assignments = na > 0;
    for (int32_t j = 0; j < na && r.ok(); ++j) {
      (void)r.Int32();
      const int32_t nb = r.ArrayCount(4);
      for (int32_t k = 0; k < nb && r.ok(); ++k) (void)r.Int32();
    }
    const int32_t nc = r.ArrayCount(4);
    for (int32_t j = 0; j < nc && r.ok(); ++j) {
      std::string key = r.String();
      auto value = r.NullableString();
      if (value) t.configs[key] = *value;
    }
    req.topics.push_back(std::move(t));
  }
  req.timeout_ms = r.Int32();
  if (version >= 1) req.validate_only = r.Bool();
  if (!r.ok()) return Status(Errc::kCorruption, std::string("CreateTopics request: ") + r.error());
  return req;
}

std::string TopicErrorsResponse::EncodeCreate(int16_t version) const {
  Writer w;
  if (version >= 2) w.Int32(0);
  w.ArrayCount(topics.size());
  for (const auto& t : topics) {
    w.String(t.name);
    w.Int16(Code(t.error));
    if (version >= 1) w.NullableString(t.message);
  }
  return w.Take();
}

std::string TopicErrorsResponse::EncodeDelete(int16_t version) const {
  Writer w;
  if (version >= 1) w.Int32(0);
  w.ArrayCount(topics.size());
  for (const auto& t : topics) {
    w.String(t.name);
    w.Int16(Code(t.error));
  }
  return w.Take();
}

Result<DeleteTopicsRequest> DeleteTopicsRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  DeleteTopicsRequest req;
  const int32_t n = r.ArrayCount(2);
  for (int32_t i = 0; i < n && r.ok(); ++i) req.names.push_back(r.String());
  req.timeout_ms = r.Int32();
  if (!r.ok()) return Status(Errc::kCorruption, std::string("DeleteTopics request: ") + r.error());
  return req;
}

}  // namespace rivulet::log::kafka
