// ApiVersions encoding.
#include "log/kafka/protocol/api_versions.h"

namespace rivulet::log::kafka {

std::string ApiVersionsResponse::Encode(int16_t version) const {
  Writer w;
  w.Int16(Code(error));
  w.ArrayCount(apis.size());
  for (const auto& a : apis) {
    w.Int16(static_cast<int16_t>(a.key));
    w.Int16(a.min);
    w.Int16(a.max);
  }
  if (version >= 1) w.Int32(throttle_time_ms);
  return w.Take();
}

}  // namespace rivulet::log::kafka
