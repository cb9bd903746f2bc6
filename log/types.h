// Fundamental value types of the log: offsets, timestamps, topic-partition
// pairs and record headers.
#pragma once

#include <compare>
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

// Current wall-clock time in milliseconds.
inline TimestampMs NowMs() { return WallClockMs(); }

}  // namespace rivulet::log
