// Event time in the runtime: timestamps and watermarks are milliseconds
// since the epoch (as Kafka record timestamps are). A watermark W says no
// record with a timestamp <= W is expected any more.
#pragma once

#include <cstdint>
#include <limits>

namespace rivulet::engine {

using Timestamp = int64_t;

inline constexpr Timestamp kMinTimestamp = std::numeric_limits<Timestamp>::min();
// The watermark of an ended input: every window may fire.
inline constexpr Timestamp kMaxTimestamp = std::numeric_limits<Timestamp>::max();

// Milliseconds on the wall clock (processing time).
Timestamp WallClockMs();

}  // namespace rivulet::engine
