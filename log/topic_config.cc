// Topic settings parsing and validation; see topic_config.h.
#include "log/topic_config.h"

#include <charconv>

namespace rivulet::log {
namespace {

Result<int64_t> ParseInt(const std::string& key, const std::string& v, int64_t min) {
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty()) {
    return Status(Errc::kInvalidArgument, "invalid value '" + v + "' for " + key + ": not an integer");
  }
  if (out < min) {
    return Status(Errc::kInvalidArgument, "invalid value " + v + " for " + key +
                                              ": must be >= " + std::to_string(min));
  }
  return out;
}

}  // namespace

Status TopicConfig::Set(const std::string& key, const std::string& value) {
  auto set = [&](int64_t* field, int64_t min, int64_t max = kNever) -> Status {
    RIVULET_ASSIGN_OR_RETURN(int64_t v, ParseInt(key, value, min));
    if (v > max) {
      return Status(Errc::kInvalidArgument, "invalid value " + value + " for " + key +
                                                ": must be <= " + std::to_string(max));
    }
    *field = v;
    return Status::Ok();
  };
  if (key == "retention.ms") return set(&retention_ms, -1);
  if (key == "retention.bytes") return set(&retention_bytes, -1);
  if (key == "segment.bytes") return set(&segment_bytes, 14, std::numeric_limits<int32_t>::max());
  if (key == "segment.ms") return set(&segment_ms, 1);
  if (key == "flush.messages") return set(&flush_messages, 1);
  if (key == "flush.ms") return set(&flush_ms, 0);
  if (key == "index.interval.bytes") {
    int64_t v = 0;
    RIVULET_RETURN_IF_ERROR(set(&v, 0, std::numeric_limits<int32_t>::max()));
    index_interval_bytes = static_cast<int32_t>(v);
    return Status::Ok();
  }
  if (key == "max.message.bytes") {
    int64_t v = 0;
    RIVULET_RETURN_IF_ERROR(set(&v, 0, std::numeric_limits<int32_t>::max()));
    max_message_bytes = static_cast<int32_t>(v);
    return Status::Ok();
  }
  if (key == "message.timestamp.type") {
    if (value == "CreateTime") {
      log_append_time = false;
    } else if (value == "LogAppendTime") {
      log_append_time = true;
    } else {
      return Status(Errc::kInvalidArgument, "invalid value '" + value +
                                                "' for message.timestamp.type: CreateTime or LogAppendTime");
    }
    return Status::Ok();
  }
  // Accepted for compatibility with Kafka tools (checked as Kafka checks
  // them); no effect on this log.
  if (key == "min.insync.replicas") return ParseInt(key, value, 1).status();
  if (key == "cleanup.policy") {
    if (value == "delete" || value == "compact" || value == "compact,delete" || value == "delete,compact") {
      return Status::Ok();
    }
    return Status(Errc::kInvalidArgument, "invalid value '" + value + "' for cleanup.policy: delete, compact or both");
  }
  if (key == "compression.type") {
    for (const char* ok : {"producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"}) {
      if (value == ok) return Status::Ok();
    }
    return Status(Errc::kInvalidArgument, "invalid value '" + value +
                                              "' for compression.type: producer, uncompressed, gzip, snappy, lz4 or zstd");
  }
  return Status(Errc::kInvalidArgument, "unknown topic config '" + key + "'");
}

Result<TopicConfig> TopicConfig::FromMap(const std::map<std::string, std::string>& kv,
                                         TopicConfig base) {
  for (const auto& [k, v] : kv) RIVULET_RETURN_IF_ERROR(base.Set(k, v));
  return base;
}

std::map<std::string, std::string> TopicConfig::ToMap() const {
  return {
      {"retention.ms", std::to_string(retention_ms)},
      {"retention.bytes", std::to_string(retention_bytes)},
      {"segment.bytes", std::to_string(segment_bytes)},
      {"segment.ms", std::to_string(segment_ms)},
      {"flush.messages", std::to_string(flush_messages)},
      {"flush.ms", std::to_string(flush_ms)},
      {"index.interval.bytes", std::to_string(index_interval_bytes)},
      {"max.message.bytes", std::to_string(max_message_bytes)},
      {"message.timestamp.type", log_append_time ? "LogAppendTime" : "CreateTime"},
  };
}

const std::vector<TopicConfigKey>& TopicConfigKeys() {
  using T = TopicConfigKey::Type;
  static const std::vector<TopicConfigKey> keys = {
      {"cleanup.policy", "log.cleanup.policy", T::kList, false, "delete",
       "Accepted for Kafka's tools; segments are always deleted by retention (no compaction)."},
      {"compression.type", "compression.type", T::kString, false, "producer",
       "Accepted for Kafka's tools; batches are stored as the producer compressed them."},
      {"flush.messages", "log.flush.interval.messages", T::kLong, true, nullptr,
       "fsync the partition after this many records."},
      {"flush.ms", "log.flush.interval.ms", T::kLong, true, nullptr,
       "fsync the partition when this long has passed since the last fsync."},
      {"index.interval.bytes", "log.index.interval.bytes", T::kInt, true, nullptr,
       "Bytes of records between two offset-index entries."},
      {"max.message.bytes", "message.max.bytes", T::kInt, true, nullptr, "The largest record batch accepted."},
      {"message.timestamp.type", "log.message.timestamp.type", T::kString, true, nullptr,
       "CreateTime (the producer's) or LogAppendTime (the broker's clock on append)."},
      {"min.insync.replicas", "min.insync.replicas", T::kInt, false, "1",
       "Accepted for Kafka's tools; one broker holds the only replica."},
      {"retention.bytes", "log.retention.bytes", T::kLong, true, nullptr,
       "Delete the oldest segments while a partition is larger than this (-1: no limit)."},
      {"retention.ms", "log.retention.ms", T::kLong, true, nullptr,
       "Delete segments whose newest record is older than this (-1: keep forever)."},
      {"segment.bytes", "log.segment.bytes", T::kInt, true, nullptr, "Roll to a new segment at this size."},
      {"segment.ms", "log.roll.ms", T::kLong, true, nullptr, "Roll to a new segment after this long."},
  };
  return keys;
}

Status ValidateTopicName(const std::string& name) {
  if (name.empty()) return Status(Errc::kInvalidArgument, "topic name is empty");
  if (name == "." || name == "..") {
    return Status(Errc::kInvalidArgument, "topic name cannot be '.' or '..'");
  }
  if (name.size() > 249) {
    return Status(Errc::kInvalidArgument, "topic name longer than 249 characters");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return Status(Errc::kInvalidArgument, "topic name '" + name +
                                                "' has an illegal character: use [a-zA-Z0-9._-]");
    }
  }
  return Status::Ok();
}

}  // namespace rivulet::log
