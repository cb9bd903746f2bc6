// The broker's users: their SCRAM credentials (RFC 5802), kept in the data
// directory as DIR/security/credentials.meta and replaced atomically on
// every change. A credential verifies a password without holding it: the
// salt, the iteration count, StoredKey and ServerKey. Deriving them, and
// the SASL exchanges that use them, are log/kafka/auth/scram.h.
//
// Threading: all methods are thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace rivulet::log {

// Numbered as KIP-554 numbers them on the wire.
enum class ScramMechanism : int8_t { kSha256 = 1, kSha512 = 2 };
// "SCRAM-SHA-256", "SCRAM-SHA-512".
inline const char* ScramMechanismName(ScramMechanism m) {
  return m == ScramMechanism::kSha256 ? "SCRAM-SHA-256" : "SCRAM-SHA-512";
}
// The mechanism of a SASL name (case-sensitive, as Kafka), or nullopt.
inline std::optional<ScramMechanism> ParseScramMechanism(std::string_view name) {
  if (name == "SCRAM-SHA-256") return ScramMechanism::kSha256;
  if (name == "SCRAM-SHA-512") return ScramMechanism::kSha512;
  return std::nullopt;
}

// Kafka's bounds on the iteration count (and its default).
constexpr int32_t kMinScramIterations = 4096;
constexpr int32_t kMaxScramIterations = 16384;
constexpr int32_t kDefaultScramIterations = 8192;

struct ScramCredential {
  ScramMechanism mechanism = ScramMechanism::kSha512;
  std::string salt;
  std::string stored_key;
  std::string server_key;
  int32_t iterations = kDefaultScramIterations;
};

class CredentialStore {
 public:
  // Loads DIR/credentials.meta (none: no users). kCorruption when the file
  // does not parse.
  static Result<std::unique_ptr<CredentialStore>> Open(const std::string& dir);

  // The user's credential for `mechanism`, or nullopt.
  std::optional<ScramCredential> Find(const std::string& user, ScramMechanism mechanism) const;
  // Every user and its credentials, by name.
  std::map<std::string, std::vector<ScramCredential>> List() const;
  bool empty() const;

  // Adds or replaces the user's credential for its mechanism; durable when
  // it returns. kInvalidArgument for an empty name or one over 255 bytes,
  // iterations outside [4096, 16384], or a key of the wrong length.
  Status Upsert(const std::string& user, const ScramCredential& credential);
  // Removes the user's credential for `mechanism` (the user with its last
  // one). kNotFound when there is none.
  Status Remove(const std::string& user, ScramMechanism mechanism);

  // Why `user` cannot be a user name, or ok.
  static Status ValidateUser(const std::string& user);

 private:
  explicit CredentialStore(std::string dir) : dir_(std::move(dir)) {}
  Status SaveLocked() const;

  const std::string dir_;
  mutable std::mutex mu_;
  std::map<std::string, std::map<ScramMechanism, ScramCredential>> users_;  // guarded by mu_
};

}  // namespace rivulet::log
