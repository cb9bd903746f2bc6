// SaslHandshake and SaslAuthenticate: a SASL listener's connection picks a
// mechanism, then runs its exchange (log/kafka/auth/sasl.h) one token per
// request. The connection (broker.cc) answers nothing else until the
// session is authenticated, and closes it after a failure.
#include <algorithm>

#include "base/logging.h"
#include "log/credentials.h"
#include "log/kafka/auth/sasl.h"
#include "log/kafka/protocol/sasl.h"
#include "log/kafka/server/handler.h"

namespace rivulet::log::kafka {

void HandleSaslHandshake(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = SaslHandshakeRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  Session& s = *ctx.session;
  SaslHandshakeResponse resp;
  resp.mechanisms = ctx.broker->sasl_mechanisms;
  const auto& enabled = ctx.broker->sasl_mechanisms;
  if (enabled.empty() || s.authenticated || s.sasl) {
    // Not a SASL listener, or a second handshake.
    resp.error = ErrorCode::kIllegalSaslState;
    s.failed = true;
  } else if (std::find(enabled.begin(), enabled.end(), req->mechanism) == enabled.end()) {
    resp.error = ErrorCode::kUnsupportedSaslMechanism;
    GetLogger("broker")->warn("authentication from {} refused: mechanism '{}' is not enabled", ctx.client_host,
                              req->mechanism);
    s.failed = true;
  } else {
    s.sasl = SaslServer::Create(req->mechanism, ctx.log->credentials(), ctx.broker->sasl_secret);
    s.mechanism = req->mechanism;
    s.raw_tokens = version == 0;
  }
  respond(resp.Encode(version));
}

void HandleSaslAuthenticate(RequestContext& ctx, Respond respond) {
  const int16_t version = ctx.header.api_version;
  auto req = SaslAuthenticateRequest::Decode(ctx.body, version);
  if (!req.ok()) return respond(std::string());
  Session& s = *ctx.session;
  SaslAuthenticateResponse resp;
  if (!s.sasl || s.authenticated || s.raw_tokens) {
    resp.error = ErrorCode::kIllegalSaslState;
    resp.error_message = "SaslAuthenticate without a SaslHandshake v1 before it";
    s.failed = true;
    return respond(resp.Encode(version));
  }
  auto answer = SaslStep(ctx.client_host, s, req->auth_bytes);
  if (!answer.ok()) {
    resp.error = ErrorCode::kSaslAuthenticationFailed;
    // As Kafka: the client learns that it failed, not why.
    resp.error_message = "Authentication failed during authentication due to invalid credentials with SASL "
                         "mechanism " + s.mechanism;
  } else {
    resp.auth_bytes = std::move(answer).value();
  }
  respond(resp.Encode(version));
}

Result<std::string> SaslStep(const std::string& client, Session& s, std::string_view token) {
  auto answer = s.sasl->Step(token);
  if (!answer.ok()) {
    s.failed = true;
    GetLogger("broker")->warn("authentication failed from {}: user '{}', {}: {}", client, s.sasl->user(),
                              s.mechanism, answer.status().message());
    return answer.status();
  }
  if (s.sasl->complete()) {
    s.authenticated = true;
    s.principal = "User:" + s.sasl->user();
    GetLogger("broker")->debug("{} authenticated as {} with {}", client, s.principal, s.mechanism);
  }
  return answer;
}

}  // namespace rivulet::log::kafka
