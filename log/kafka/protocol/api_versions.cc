// ApiVersions encoding and decoding, both encodings through FieldReader /
// FieldWriter (flexible.h). v3 (flexible) names the client software,
// decoded and not used; its response's tagged fields (supported and
// finalized features) are left out, as a broker without features does.
#include "log/kafka/protocol/api_versions.h"

#include "log/kafka/protocol/flexible.h"

namespace rivulet::log::kafka {
namespace {
bool Flexible(int16_t version) { return FlexibleVersion(static_cast<int16_t>(ApiKey::kApiVersions), version); }
}  // namespace

Result<ApiVersionsRequest> ApiVersionsRequest::Decode(std::string_view body, int16_t version) {
  Reader r(body);
  FieldReader f(r, Flexible(version));
  ApiVersionsRequest req;
  if (version >= 3) {
    req.client_software_name = f.String();
    req.client_software_version = f.String();
  }
  f.EndStruct();
  if (!r.ok()) return Status(Errc::kCorruption, std::string("ApiVersions request: ") + r.error());
  return req;
}

std::string ApiVersionsResponse::Encode(int16_t version) const {
  Writer w;
  FieldWriter f(w, Flexible(version));
  w.Int16(Code(error));
  f.ArrayCount(apis.size());
  for (const auto& a : apis) {
    w.Int16(static_cast<int16_t>(a.key));
    w.Int16(a.min);
    w.Int16(a.max);
    f.EndStruct();
  }
  if (version >= 1) w.Int32(throttle_time_ms);
  f.EndStruct();
  return w.Take();
}

}  // namespace rivulet::log::kafka
