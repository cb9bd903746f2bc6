// SASL authentication: PLAIN (RFC 4616) and SCRAM-SHA-256 / SCRAM-SHA-512
// (RFC 5802, RFC 7677), the server side for the broker and the client side
// for Rivulet's own tools. Credentials come from log/credentials.h: the
// broker never holds a password, PLAIN included (a PLAIN password is
// checked by deriving the user's SCRAM StoredKey from it).
//
// Channel binding (SCRAM-SHA-*-PLUS) is not offered; a client asking for
// it ("p=" in its GS2 header) fails. An authorization identity other than
// the user fails too, as in Kafka.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "log/credentials.h"

namespace rivulet::log::kafka {

// ---- SCRAM arithmetic (RFC 5802 section 3) ----

// Hi(password, salt, i): PBKDF2 with the mechanism's HMAC.
std::string ScramSaltedPassword(ScramMechanism m, std::string_view password, std::string_view salt,
                                int32_t iterations);
// StoredKey and ServerKey from a salted password (what
// AlterUserScramCredentials carries), keeping salt and iterations.
ScramCredential ScramCredentialFromSalted(ScramMechanism m, std::string_view salted_password, std::string salt,
                                          int32_t iterations);
// A credential for a password, with a fresh random 32-byte salt.
ScramCredential MakeScramCredential(ScramMechanism m, std::string_view password,
                                    int32_t iterations = kDefaultScramIterations);
// Whether `password` is the one `credential` was made from (constant time
// in the comparison).
bool ScramVerifyPassword(const ScramCredential& credential, std::string_view password);

std::string RandomBytes(size_t n);
std::string Base64Encode(std::string_view bytes);
// kInvalidArgument for anything but canonical padded base64.
Result<std::string> Base64Decode(std::string_view text);

// ---- The server side ----

// The user's credential for a mechanism, or nullopt (an unknown user).
using CredentialLookup = std::function<std::optional<ScramCredential>(const std::string& user, ScramMechanism m)>;

// One authentication exchange of one connection. Step takes the client's
// next token and returns the server's answer; complete() once the client
// has proved who it is. A failed step returns kAuthenticationFailed with a
// reason for the broker's log (not for the client), or kInvalidArgument for
// a malformed message; either ends the exchange.
class SaslServer {
 public:
  virtual ~SaslServer() = default;
  virtual Result<std::string> Step(std::string_view token) = 0;
  virtual bool complete() const = 0;
  // The user the client claims (known after its first token), then proved.
  virtual const std::string& user() const = 0;

  // The mechanisms this broker implements.
  static const std::vector<std::string>& Implemented();
  // An exchange for `mechanism`, or nullptr when it is not implemented.
  // `secret` (random per broker) makes the made-up salt of an unknown user
  // stable, so that a client cannot tell unknown users from known ones.
  // `nonce`: the server's part of the SCRAM nonce; empty: a random one (a
  // fixed one is for tests that replay RFC 7677's example).
  static std::unique_ptr<SaslServer> Create(std::string_view mechanism, CredentialLookup lookup,
                                            std::string_view secret, std::string nonce = {});
  static std::unique_ptr<SaslServer> Create(std::string_view mechanism, const CredentialStore& store,
                                            std::string_view secret, std::string nonce = {}) {
    return Create(
        mechanism, [&store](const std::string& user, ScramMechanism m) { return store.Find(user, m); }, secret,
        std::move(nonce));
  }
};

// ---- The client side (Rivulet's tools: --command-config) ----

class SaslClient {
 public:
  virtual ~SaslClient() = default;
  // The next token to send, given the server's last answer (empty at the
  // start); kAuthenticationFailed when the server's answer does not verify.
  virtual Result<std::string> Step(std::string_view server_token) = 0;
  virtual bool complete() const = 0;

  // kInvalidArgument for a mechanism other than PLAIN, SCRAM-SHA-256, SCRAM-SHA-512.
  // `nonce` as SaslServer::Create's.
  static Result<std::unique_ptr<SaslClient>> Create(std::string_view mechanism, std::string user,
                                                    std::string password, std::string nonce = {});
};

}  // namespace rivulet::log::kafka
