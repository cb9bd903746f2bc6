#include "engine/time.h"

#include <chrono>
#include <cstdio>

namespace rivulet::engine {

Timestamp WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string TimeOfDayUtc(Timestamp ms) {
  const int64_t s = ((ms / 1000) % 86400 + 86400) % 86400;
  char b[16];
  std::snprintf(b, sizeof(b), "%02d:%02d:%02d", static_cast<int>(s / 3600), static_cast<int>(s / 60 % 60),
                static_cast<int>(s % 60));
  return b;
}

}  // namespace rivulet::engine
