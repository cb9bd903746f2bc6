// SaslHandshake and SaslAuthenticate: a SASL listener's connection picks a
// mechanism, then runs its exchange (log/kafka/auth/sasl.h) one token per
// request. The connection (broker.cc) answers nothing else until the
// session is authenticated, and closes it after a failure.
#include <utility>  // before Asio: Boost 1.74 needs std::exchange declared
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <openssl/crypto.h>

#include <algorithm>
#include <memory>

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
  if (enabled.empty()) {
    // Not a SASL listener: answered, as Kafka does, and nothing changes.
    resp.error = ErrorCode::kIllegalSaslState;
  } else if (s.authenticated || s.sasl) {
    // A second handshake.
    resp.error = ErrorCode::kIllegalSaslState;
    s.failed = true;
  } else if (std::find(enabled.begin(), enabled.end(), req->mechanism) == enabled.end()) {
    resp.error = ErrorCode::kUnsupportedSaslMechanism;
    GetLogger("broker")->warn("authentication from {} refused: mechanism '{}' is not enabled", ctx.client_host,
                              Printable(req->mechanism));
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
  auto token = std::make_shared<std::string>(std::move(req->auth_bytes));
  SaslStepAsync(ctx.sasl_pool, ctx.client_host, s, token,
                [version, &s, respond = std::move(respond)](Result<std::string> answer) {
    SaslAuthenticateResponse resp;
    if (!answer.ok()) {
      resp.error = ErrorCode::kSaslAuthenticationFailed;
      // As Kafka: the client learns that it failed, not why.
      resp.error_message = "Authentication failed during authentication due to invalid credentials with SASL "
                           "mechanism " + s.mechanism;
    } else {
      resp.auth_bytes = std::move(answer).value();
    }
    respond(resp.Encode(version));
  });
}

// PLAIN costs a PBKDF2 (milliseconds) per attempt, and anyone may try:
// the checks run on the broker's SASL threads, not on the io threads that
// serve every connection. One attempt per connection at a time (a
// connection waits for its answer), connections bounded by max.connections.
void SaslStepAsync(boost::asio::thread_pool* pool, const std::string& client, Session& s,
                   std::shared_ptr<std::string> token, std::function<void(Result<std::string>)> done) {
  if (s.mechanism != "PLAIN" || pool == nullptr) return done(SaslStep(client, s, *token));
  boost::asio::post(*pool, [client, &s, token, done = std::move(done)] {
    auto answer = SaslStep(client, s, *token);
    OPENSSL_cleanse(token->data(), token->size());  // the password
    done(std::move(answer));
  });
}

Result<std::string> SaslStep(const std::string& client, Session& s, std::string_view token) {
  auto answer = s.sasl->Step(token);
  if (!answer.ok()) {
    s.failed = true;
    GetLogger("broker")->warn("authentication failed from {}: user '{}', {}: {}", client,
                              Printable(s.sasl->user()), s.mechanism, Printable(answer.status().message()));
    return answer.status();
  }
  if (s.sasl->complete()) {
    s.authenticated = true;
    s.principal = "User:" + s.sasl->user();
    GetLogger("broker")->debug("{} authenticated as {} with {}", client, Printable(s.principal), s.mechanism);
  }
  return answer;
}

}  // namespace rivulet::log::kafka
