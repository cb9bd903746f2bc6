// Wall-clock time, one definition for every folder (the log's record
// timestamps, the runtime's processing time).
#pragma once

#include <chrono>
#include <cstdint>

namespace rivulet {

// Milliseconds since the Unix epoch.
inline int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace rivulet
