// The settings of the embedded log that LogOptions (log_manager.h) holds:
// per-topic settings (TopicConfig), the group coordinator's (GroupOptions)
// and the transaction coordinator's (TxnOptions). Public: part of the log's
// client API.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include "base/status.h"

namespace rivulet::log {

// Per-topic settings, named as Kafka names them, with Kafka's defaults
// except where noted. Parsed and validated from key=value strings
// (topic_config.cc).
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

struct GroupOptions {
  // group.initial.rebalance.delay.ms: how long the first rebalance of an
  // empty group waits for more members (Kafka's default is 3000; the
  // embedded log uses 0, the broker reads server.properties).
  int64_t initial_rebalance_delay_ms = 0;
  int32_t min_session_timeout_ms = 1000;     // group.min.session.timeout.ms
  int32_t max_session_timeout_ms = 1800000;  // group.max.session.timeout.ms
  int64_t tick_ms = 20;                      // timer resolution
};

struct TxnOptions {
  int32_t max_timeout_ms = 900000;  // transaction.max.timeout.ms
  bool sync = true;                 // fsync each transaction-log write
  // The transaction log is compacted (live state rewritten, older segments
  // deleted) once it holds more than this many records beyond twice the
  // live ones: on open and by the periodic AbortExpired.
  int64_t compact_slack_records = 10000;
};

}  // namespace rivulet::log
