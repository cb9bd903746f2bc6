#include "engine/time.h"

#include <cstdio>

namespace rivulet::engine {

std::string TimeOfDayUtc(Timestamp ms) {
  const int64_t s = ((ms / 1000) % 86400 + 86400) % 86400;
  char b[16];
  std::snprintf(b, sizeof(b), "%02d:%02d:%02d", static_cast<int>(s / 3600), static_cast<int>(s / 60 % 60),
                static_cast<int>(s % 60));
  return b;
}

}  // namespace rivulet::engine
