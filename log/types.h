// Fundamental value types of the log: offsets, timestamps, topic-partition
// pairs, record headers, producer ids, and what appends and reads return.
// Public: part of the log's client API (log_manager.h, producer.h,
// consumer.h), like log/options.h and log/record_reader.h.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"

namespace rivulet::log {

// Offsets are plain int64 positions in a partition; kept as int64_t because
// they take part in arithmetic everywhere, named by these constants.
using Offset = int64_t;
inline constexpr Offset kInvalidOffset = -1;
// Idempotent producers: an id allocated by the log, an epoch bumped when a
// transactional producer restarts (fencing the old one), and a sequence
// number per partition per batch.
using ProducerId = int64_t;
using ProducerEpoch = int16_t;
inline constexpr ProducerId kNoProducerId = -1;
inline constexpr ProducerEpoch kNoProducerEpoch = -1;
inline constexpr int32_t kNoSequence = -1;

// Which records a reader sees: every appended one, or only those of
// committed transactions (and none past the last stable offset).
enum class IsolationLevel : int8_t { kReadUncommitted = 0, kReadCommitted = 1 };

// Milliseconds since the Unix epoch.
using TimestampMs = int64_t;
inline constexpr TimestampMs kNoTimestamp = -1;

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
  std::string ToString() const { return topic + "-" + std::to_string(partition); }
};

struct TopicPartitionHash {
  size_t operator()(const TopicPartition& tp) const {
    return std::hash<std::string>()(tp.topic) * 31 + static_cast<size_t>(tp.partition);
  }
};

// A record header (key, value).
struct Header {
  std::string key;
  std::optional<std::string> value;
};

// A producer id with its epoch, as the log hands them out.
struct ProducerIdAndEpoch {
  ProducerId id = kNoProducerId;
  ProducerEpoch epoch = kNoProducerEpoch;
};

// One transaction of a transactional id, as a two-phase producer prepared
// it: what an exactly-once sink keeps in its checkpoint to decide later.
struct PreparedTxn {
  ProducerId producer_id = kNoProducerId;
  ProducerEpoch epoch = kNoProducerEpoch;
  // The id's transaction number, counted from 1 as each transaction opens
  // (its first partition or group added); never reused.
  int64_t txn_seq = 0;
  bool operator==(const PreparedTxn&) const = default;
};

// What an append assigned.
struct AppendInfo {
  int64_t base_offset = 0;
  int64_t last_offset = 0;
  int64_t log_append_time = -1;  // set when the topic uses LogAppendTime
  int32_t records = 0;
  // The batch was a retry of one already appended by its idempotent
  // producer: nothing was written, the offsets are the original ones.
  bool duplicate = false;
};

// What a read returned (copied out of the log).
struct ReadResult {
  std::string bytes;  // whole batches, starting with the one holding the offset
  int64_t high_watermark = 0;
  int64_t log_start_offset = 0;
  int64_t last_stable_offset = 0;
};

// Default bound on one batch's decompressed records section. A batch whose
// records inflate past it is rejected as corrupt (a zip bomb costs at most
// this much memory).
inline constexpr size_t kDefaultMaxDecompressedBytes = 64 << 20;

// Current wall-clock time in milliseconds.
inline TimestampMs NowMs() { return WallClockMs(); }

}  // namespace rivulet::log
