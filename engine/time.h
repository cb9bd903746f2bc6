// Event time in the runtime: timestamps and watermarks are milliseconds
// since the epoch (as Kafka record timestamps are). A watermark W says no
// record with a timestamp <= W is expected any more.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "base/clock.h"

namespace rivulet::engine {

using Timestamp = int64_t;

inline constexpr Timestamp kMinTimestamp = std::numeric_limits<Timestamp>::min();
// The watermark of an ended input: every window may fire.
inline constexpr Timestamp kMaxTimestamp = std::numeric_limits<Timestamp>::max();

// Milliseconds on the wall clock (processing time): base/clock.h's.
using rivulet::WallClockMs;

// "HH:MM:SS" (UTC) of a timestamp, for people reading job output.
std::string TimeOfDayUtc(Timestamp ms);

}  // namespace rivulet::engine
