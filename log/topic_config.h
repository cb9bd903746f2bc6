// Per-topic settings, named as Kafka names them, with Kafka's defaults
// except where noted. Parsed and validated from key=value strings.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include "base/status.h"

namespace rivulet::log {

struct TopicConfig {
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

  int64_t retention_ms = 7LL * 24 * 3600 * 1000;  // retention.ms; -1 = keep forever
  int64_t retention_bytes = -1;                   // retention.bytes per partition; -1 = no limit
  int64_t segment_bytes = 1LL << 30;              // segment.bytes
  int64_t segment_ms = 7LL * 24 * 3600 * 1000;    // segment.ms
  // flush.messages / flush.ms: fsync after this many records / this long.
  // Default: never force (the OS writes back; data survives a process crash
  // as soon as it is appended, and a machine crash once fsynced).
  int64_t flush_messages = kNever;
  int64_t flush_ms = kNever;
  int32_t index_interval_bytes = 4096;            // index.interval.bytes
  int32_t max_message_bytes = 1048588;            // max.message.bytes (one batch)
  // message.timestamp.type: CreateTime (false) or LogAppendTime (true).
  bool log_append_time = false;

  // Applies `key=value`; kInvalidArgument names the key for unknown keys and
  // bad values.
  Status Set(const std::string& key, const std::string& value);
  // Applies every entry of `kv`.
  static Result<TopicConfig> FromMap(const std::map<std::string, std::string>& kv,
                                     TopicConfig base);
  // All settings as key=value strings (for describe and persistence).
  std::map<std::string, std::string> ToMap() const;
};

// Checks a topic name the way Kafka does: 1..249 chars of [a-zA-Z0-9._-],
// not "." or "..".
Status ValidateTopicName(const std::string& name);

}  // namespace rivulet::log
