#include "engine/time.h"

#include <chrono>

namespace rivulet::engine {

Timestamp WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace rivulet::engine
