// ApiVersions: the APIs and versions served. A request version newer than
// ours gets UNSUPPORTED_VERSION with the list, in the v0 layout, as Kafka
// answers, so that clients retry with a version both sides know.
#include "log/kafka/protocol/api_versions.h"
#include "log/kafka/server/handler.h"

namespace rivulet::log::kafka {

void HandleApiVersions(RequestContext& ctx, Respond respond) {
  ApiVersionsResponse resp;
  resp.apis = SupportedApis();
  int16_t version = ctx.header.api_version;
  const ApiVersionRange* self = FindApi(static_cast<int16_t>(ApiKey::kApiVersions));
  if (version > self->max || version < 0) {
    resp.error = ErrorCode::kUnsupportedVersion;
    version = 0;
  } else if (!ApiVersionsRequest::Decode(ctx.body, version).ok()) {
    resp.error = ErrorCode::kInvalidRequest;  // as Kafka answers a malformed v3 body
  }
  respond(resp.Encode(version));
}

}  // namespace rivulet::log::kafka
